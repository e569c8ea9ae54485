// `aegisc build`: compile each policy file (or all of them, merged) into guard modules, written atomically.

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { DiagnosticBag, sortDiagnostics } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { summarize, summaryLine } from "../diagnostics/summary.ts";
import type { EmitKind } from "../codegen/emit-files.ts";
import type { ModuleFormat } from "../codegen/module-format.ts";
import type { Policy } from "../ir/types.ts";
import { expandPolicyPatterns, readSources } from "../load/read-sources.ts";
import { compileSources } from "../pipeline.ts";
import { EXIT, reportToStderr, UsageError, type CliIo } from "./io.ts";

export interface BuildOptions {
  outDir: string;
  merge?: string;
  emit: EmitKind;
  /** The syntax of the `.js`; by default what the output directory's nearest package.json makes Node expect. */
  module?: ModuleFormat;
}

export async function runBuild(globs: readonly string[], opts: BuildOptions, io: CliIo, color: boolean): Promise<number> {
  const cwd = io.cwd;
  const ioBag = new DiagnosticBag();
  const files = await expandPolicyPatterns(globs, cwd, ioBag);
  const sources = await readSources(files, cwd, ioBag);
  // One module per policy file, each compiled on its own; --merge compiles all of them together.
  const units: { name: string; sources: SourceText[] }[] = opts.merge
    ? sources.length > 0
      ? [{ name: opts.merge, sources }]
      : []
    : sources.map((s) => ({ name: basename(s.path, extname(s.path)), sources: [s] }));
  const byName = new Map<string, string>();
  for (const unit of units) {
    const earlier = byName.get(unit.name);
    if (earlier !== undefined) {
      throw new UsageError(`${earlier} and ${unit.sources[0].path} would both be written to ${unit.name}.guard.*; build them in separate runs or use --merge`);
    }
    byName.set(unit.name, unit.sources[0].path);
  }
  const compiled = units.map((unit) => ({ unit, result: compileSources(unit.sources) }));
  const allSources = new Map(sources.map((s) => [s.path, s]));
  const diagnostics = sortDiagnostics([...ioBag.items, ...compiled.flatMap((c) => c.result.diagnostics)], files);
  await reportToStderr(io, diagnostics, allSources, color);
  if (ioBag.hasErrors) return EXIT.usage;
  if (compiled.some((c) => !c.result.policy)) {
    io.stderr.write(`${summaryLine(summarize(diagnostics, files.length, null))}; nothing written.\n`);
    return EXIT.errors;
  }
  // Loaded only here, once the policies compiled: the code generator pulls in ts-morph.
  const { emitGuardFiles } = await import("../codegen/emit-files.ts");
  const outDir = resolve(cwd, opts.outDir);
  const module = opts.emit === "ts" ? undefined : (opts.module ?? (await moduleFormatOf(outDir)));
  const outputs = compiled.flatMap(({ unit, result }) => emitGuardFiles(result.policy as Policy, unit.name, opts.emit, module ? { module } : {}));
  const written = await writeAtomically(outDir, outputs);
  for (const f of written) io.stdout.write(`wrote ${join(opts.outDir, f)}\n`);
  return EXIT.ok;
}

/** The `.js` syntax that Node expects in `dir`, from its nearest package.json; one it cannot read is a usage error. */
async function moduleFormatOf(dir: string): Promise<ModuleFormat> {
  const { moduleFormatFor, PackageJsonError } = await import("../codegen/module-format.ts");
  try {
    return moduleFormatFor(dir).format;
  } catch (e) {
    if (e instanceof PackageJsonError) throw new UsageError(`${e.message}: cannot tell whether the .js should be ESM or CommonJS; fix it, or pass --module esm or --module cjs`);
    throw e;
  }
}

/**
 * Writes every file to a temporary name in the output directory first and renames them into
 * place only when all writes succeeded, so a failed build leaves no half-written module.
 */
async function writeAtomically(dir: string, files: readonly { fileName: string; text: string }[]): Promise<string[]> {
  const staged: { tmp: string; final: string; name: string }[] = [];
  try {
    await mkdir(dir, { recursive: true });
    for (const f of files) {
      const tmp = join(dir, `.${f.fileName}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
      staged.push({ tmp, final: join(dir, f.fileName), name: f.fileName });
      await writeFile(tmp, f.text, { encoding: "utf8", flag: "wx" });
    }
    for (const s of staged) await rename(s.tmp, s.final);
  } catch (e) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    throw new UsageError(`cannot write to ${dir}: ${(e as Error).message}`);
  }
  return staged.map((s) => s.name);
}
