// The aegisc command line (check, explain, build) as a class with injected streams that returns an exit code.

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { compileFiles } from "./compile-files.ts";
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.ts";
import { renderDiagnosticsJson } from "./diagnostics/render-json.ts";
import { renderDiagnosticsSarif } from "./diagnostics/render-sarif.ts";
import { location, renderDiagnosticsText } from "./diagnostics/render-text.ts";
import type { SourceText } from "./diagnostics/source.ts";
import { summarize, summaryLine } from "./diagnostics/summary.ts";
import { TOTAL_STEP_BUDGET } from "./analysis/analyze.ts";
import { explain, type ToolCall } from "./interpret.ts";
import { COMBINES, type Combine, type Policy } from "./ir/types.ts";
import { expandPolicyPatterns, readSources } from "./load/read-sources.ts";
import { compileSources } from "./pipeline.ts";
import { registerProxyCommands } from "./proxy/command.ts";

/** Anything with `write(string)`: process streams in the binary, string buffers in tests. */
export interface OutputStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit codes: the contract scripts depend on (DESIGN.md §4). */
export const EXIT = Object.freeze({ ok: 0, errors: 1, usage: 2, internal: 3 });

const EMITS = ["ts", "js", "both"] as const;
type Emit = (typeof EMITS)[number];

interface CheckOptions {
  format: "text" | "json" | "sarif";
  combine?: Combine;
  maxWarnings?: number;
  analysisLimit?: number;
}

interface ExplainOptions {
  tool: string;
  server: string;
  args?: string;
  agent?: string;
  at?: string;
  format: "text" | "json";
  combine?: Combine;
}

interface BuildOptions {
  outDir: string;
  merge?: string;
  emit: Emit;
}

/** A problem with how the command was called (exit 2), reported without a stack. */
class UsageError extends Error {}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

export class Cli {
  private readonly io: CliIo;

  constructor(io: CliIo) {
    this.io = io;
  }

  /** Runs one command line (without the node and script arguments) and returns the exit code. */
  async run(argv: readonly string[]): Promise<number> {
    let exitCode: number = EXIT.ok;
    const program = this.program((code) => (exitCode = code));
    try {
      await program.parseAsync([...argv], { from: "user" });
      return exitCode;
    } catch (e) {
      if (e instanceof CommanderError) {
        if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.ok;
        if (e.code === "commander.help") return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        return EXIT.usage;
      }
      if (e instanceof UsageError) {
        this.io.stderr.write(`aegisc: ${e.message}\n`);
        return EXIT.usage;
      }
      const err = e as Error;
      this.io.stderr.write(`aegisc: internal error: ${err?.stack ?? String(e)}\nPlease report this with the command and policy that caused it.\n`);
      return EXIT.internal;
    }
  }

  private program(setExit: (code: number) => void): Command {
    const program = new Command("aegisc");
    // Settings first: subcommands copy them when they are created.
    program
      .exitOverride()
      .configureOutput({
        writeOut: (s) => void this.io.stdout.write(s),
        writeErr: (s) => void this.io.stderr.write(s),
        outputError: (s, write) => write(s),
      })
      .showHelpAfterError("(run `aegisc --help` for usage)")
      .description("Compile MCP tool-call policies (Aegis format) into a dependency-free TypeScript guard, and check them.")
      .version(packageVersion(), "-V, --version", "print the aegisc version")
      .option("--no-color", "never color the output (also: NO_COLOR=1)");

    const combineOption = () =>
      new Option("--combine <mode>", "override the policy's combine mode").choices(COMBINES as unknown as string[]);

    program
      .command("check")
      .description("report problems in policy files; exit 0 clean, 1 errors, 2 usage or I/O")
      .argument("<globs...>", "policy files or fast-glob patterns, merged in order")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
      .addOption(combineOption())
      .option("--max-warnings <n>", "exit 1 when there are more warnings than this", parseCount)
      .option("--analysis-limit <n>", `most steps of work (a cube comparison is one, an example call checked four) the analysis may make before it reports what it did not finish (default ${TOTAL_STEP_BUDGET}; 0: no limit)`, parseCount)
      .action(async (globs: string[], opts: CheckOptions) => setExit(await this.check(globs, opts, program.opts().color !== false)));

    program
      .command("explain")
      .description("decide one call and say, for every rule, whether it matched and why")
      .argument("<globs...>", "policy files or fast-glob patterns, merged in order")
      .requiredOption("--tool <name>", "MCP tool name of the call")
      .requiredOption("--server <name>", "MCP server name of the call")
      .option("--args <json>", "call arguments as a JSON object", undefined)
      .option("--agent <id>", "agent id of the call (none by default)")
      .option("--at <iso>", "time of the call, ISO 8601 (default: now)")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
      .addOption(combineOption())
      .action(async (globs: string[], opts: ExplainOptions) => setExit(await this.explain(globs, opts, program.opts().color !== false)));

    program
      .command("build")
      .description("compile each policy file to <name>.guard.ts (or one module with --merge)")
      .argument("<globs...>", "policy files or fast-glob patterns")
      .option("-o, --out-dir <dir>", "directory to write into", ".")
      .option("--merge <name>", "compile all files together into <name>.guard.*", parseModuleName)
      .addOption(new Option("--emit <kind>", "what to write: .ts, or .js with .d.ts, or all three").choices(EMITS as unknown as string[]).default("ts"))
      .action(async (globs: string[], opts: BuildOptions) => setExit(await this.build(globs, opts, program.opts().color !== false)));

    registerProxyCommands(program, this.io, setExit);
    return program;
  }

  private useColor(stream: OutputStream, wanted: boolean): boolean {
    const env = this.io.env ?? {};
    if (!wanted || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")) return false;
    if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
    return stream.isTTY === true;
  }

  /** Diagnostics that are not the command's main output (explain, build) go to stderr. */
  private reportToStderr(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceText>, color: boolean): void {
    if (diagnostics.length === 0) return;
    this.io.stderr.write(renderDiagnosticsText(diagnostics, sources, { color: this.useColor(this.io.stderr, color) }) + "\n");
  }

  async check(globs: readonly string[], opts: CheckOptions, color = true): Promise<number> {
    const analysisLimit = opts.analysisLimit === undefined ? {} : { analysisLimit: opts.analysisLimit === 0 ? Infinity : opts.analysisLimit };
    const result = await compileFiles(globs, { cwd: this.io.cwd, analyze: true, ...analysisLimit, ...(opts.combine ? { combine: opts.combine } : {}) });
    const summary = summarize(result.diagnostics, result.files.length, result.policy ? result.policy.rules.length : null);
    const tooManyWarnings = opts.maxWarnings !== undefined && summary.warnings > opts.maxWarnings;
    const warningLimit = `Too many warnings (${summary.warnings}, maximum ${opts.maxWarnings}).`;
    if (opts.format === "json") {
      this.io.stdout.write(renderDiagnosticsJson(result.diagnostics, result.sources, summary));
      if (tooManyWarnings) this.io.stderr.write(`aegisc: ${warningLimit}\n`);
    } else if (opts.format === "sarif") {
      this.io.stdout.write(renderDiagnosticsSarif(result.diagnostics, result.sources, { toolVersion: packageVersion(), cwd: this.io.cwd }));
      if (tooManyWarnings) this.io.stderr.write(`aegisc: ${warningLimit}\n`);
    } else {
      const text = renderDiagnosticsText(result.diagnostics, result.sources, { color: this.useColor(this.io.stdout, color), policyFiles: result.files });
      this.io.stdout.write(`${text}${text ? "\n" : ""}${summaryLine(summary)}\n${tooManyWarnings ? warningLimit + "\n" : ""}`);
    }
    if (result.ioError) return EXIT.usage;
    if (summary.errors > 0 || tooManyWarnings) return EXIT.errors;
    return EXIT.ok;
  }

  async explain(globs: readonly string[], opts: ExplainOptions, color = true): Promise<number> {
    const call = this.callFromOptions(opts);
    const result = await compileFiles(globs, { cwd: this.io.cwd, ...(opts.combine ? { combine: opts.combine } : {}) });
    this.reportToStderr(result.diagnostics, result.sources, color);
    if (result.ioError) return EXIT.usage;
    if (!result.policy) return EXIT.errors;
    const policy = result.policy;
    const explanation = explain(policy, call);
    if (opts.format === "json") {
      const { approval, risk, rule, index } = explanation.decision;
      const json = {
        decision: { approval, risk, rule, index },
        rules: explanation.rules.map((r) => ({ name: r.name, matched: r.matched, why: r.why })),
      };
      this.io.stdout.write(JSON.stringify(json, null, 2) + "\n");
      return EXIT.ok;
    }
    this.io.stdout.write(explainText(policy, call, explanation, result.sources));
    return EXIT.ok;
  }

  private callFromOptions(opts: ExplainOptions): ToolCall & { time: Date } {
    let args: Record<string, unknown> = {};
    if (opts.args !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(opts.args);
      } catch (e) {
        throw new UsageError(`--args is not valid JSON: ${(e as Error).message}`);
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new UsageError(`--args must be a JSON object such as '{"path": "/tmp/x"}', not ${Array.isArray(parsed) ? "an array" : JSON.stringify(parsed)}`);
      }
      args = parsed as Record<string, unknown>;
    }
    let time = new Date();
    if (opts.at !== undefined) {
      const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
      time = new Date(opts.at);
      if (!iso.test(opts.at.trim()) || Number.isNaN(time.getTime())) {
        throw new UsageError(`--at expects an ISO 8601 time such as 2025-01-06T18:30:00Z, not ${JSON.stringify(opts.at)}`);
      }
    }
    return { tool: opts.tool, server: opts.server, args, ...(opts.agent !== undefined ? { agent: opts.agent } : {}), time };
  }

  async build(globs: readonly string[], opts: BuildOptions, color = true): Promise<number> {
    const cwd = this.io.cwd;
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
    this.reportToStderr(diagnostics, allSources, color);
    if (ioBag.hasErrors) return EXIT.usage;
    if (compiled.some((c) => !c.result.policy)) {
      this.io.stderr.write(`${summaryLine(summarize(diagnostics, files.length, null))}; nothing written.\n`);
      return EXIT.errors;
    }
    // Loaded only here: the code generator pulls in ts-morph, which check and explain do not need.
    const { emitGuardFiles } = await import("./codegen/emit-files.ts");
    const outputs = compiled.flatMap(({ unit, result }) => emitGuardFiles(result.policy as Policy, unit.name, opts.emit));
    const written = await writeAtomically(resolve(cwd, opts.outDir), outputs);
    for (const f of written) this.io.stdout.write(`wrote ${join(opts.outDir, f)}\n`);
    return EXIT.ok;
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

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number of 0 or more.");
  return Number(value);
}

function parseModuleName(value: string): string {
  if (value === "" || value === "." || value === ".." || /[/\\\0]/.test(value)) {
    throw new InvalidArgumentError("expected a file name without directories, such as `policy`.");
  }
  return value;
}

/** The decision first, then one line per rule in file order with why it matched or not. */
function explainText(policy: Policy, call: ToolCall & { time: Date }, explanation: ReturnType<typeof explain>, sources: ReadonlyMap<string, SourceText>): string {
  const d = explanation.decision;
  const decider = d.index >= 0 ? policy.rules[d.index] : undefined;
  const out: string[] = [];
  out.push(
    decider
      ? `Decision: ${d.approval} (risk ${d.risk}) by rule ${d.rule} at ${location(decider.span, sources)}`
      : `Decision: ${d.approval} (risk ${d.risk}) from the defaults: no rule matches`,
  );
  const agent = call.agent === undefined || call.agent === "" ? "no agent" : `agent ${JSON.stringify(call.agent)}`;
  out.push(`  call:    tool ${JSON.stringify(call.tool)} on server ${JSON.stringify(call.server)}, ${agent}, args ${JSON.stringify(call.args ?? {})}, at ${call.time.toISOString()}`);
  out.push(
    `  combine: ${policy.combine} (${policy.combine === "first-match" ? "the first matching rule in file order decides" : "the strictest matching rule decides; ties go to the higher risk, then the earlier rule"})`,
  );
  out.push("");
  if (explanation.rules.length === 0) out.push("No rules.");
  const width = Math.max(0, ...explanation.rules.map((r) => r.name.length));
  for (const r of explanation.rules) {
    out.push(`  ${r.decided ? "→" : " "} ${r.matched ? "✓" : "✗"} ${r.name.padEnd(width)}  ${r.why}`);
  }
  return out.join("\n") + "\n";
}
