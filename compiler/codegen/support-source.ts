// Copies run-time code into generated modules (the helpers of semantics/support.ts and codegen/fast-support.ts, the table engine), so that modules have no imports.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { requireCjs } from "../require-cjs.ts";

interface SupportFunction {
  readonly name: string;
  /** The declaration without `export`, with its doc comment. */
  readonly text: string;
  readonly uses: readonly string[];
}

/** What the emitter copies, as text: read from the TypeScript sources, or from the JSON the package build wrote from them. */
export interface EmbeddedSources {
  /** In source order; a function's `uses` are the others it calls. */
  readonly functions: readonly SupportFunction[];
  /** table-runtime.ts without its file comment and `export`s. */
  readonly tableRuntime: string;
}

/** The sources, relative to this file in the repository. */
const SOURCE_FILES = {
  support: [fileURLToPath(new URL("../semantics/support.ts", import.meta.url)), fileURLToPath(new URL("./fast-support.ts", import.meta.url))],
  tableRuntime: fileURLToPath(new URL("./table-runtime.ts", import.meta.url)),
};

/** Where scripts/build.mjs writes extractEmbeddedSources(SOURCE_FILES) beside the compiled file. */
export const EMBEDDED_SOURCES_JSON = "embedded-sources.json";

/**
 * Reads the functions (with ts-morph, loaded only here) and the table engine from their source files.
 * Run from the sources (tests, tsx) on every first emit, and once by the package build, so
 * that the installed compiler emits the very same text without loading TypeScript.
 */
export function extractEmbeddedSources(files: { readonly support: readonly string[]; readonly tableRuntime: string } = SOURCE_FILES): EmbeddedSources {
  const { Project, SyntaxKind } = requireCjs("ts-morph") as typeof import("ts-morph");
  const project = new Project({ useInMemoryFileSystem: true });
  const sourceFiles = files.support.map((path, i) => project.createSourceFile(`support${i}.ts`, readFileSync(path, "utf8")));
  const declarations = sourceFiles.flatMap((file) => file.getFunctions());
  // Interfaces that helpers take (a compiled regex program) are copied like the helpers, ahead of them.
  const interfaces = sourceFiles.flatMap((file) => file.getInterfaces());
  const names = new Set([...declarations.map((f) => f.getName()!), ...interfaces.map((i) => i.getName())]);
  const types = interfaces.map((decl): SupportFunction => {
    decl.setIsExported(false);
    const docs = decl.getJsDocs().map((d) => d.getText()).join("\n");
    const body = decl.getText(false);
    return { name: decl.getName(), text: docs ? `${docs}\n${body}` : body, uses: [] };
  });
  const functions = declarations.map((fn): SupportFunction => {
    const name = fn.getName()!;
    const uses = new Set<string>();
    for (const id of fn.getDescendantsOfKind(SyntaxKind.Identifier)) {
      const t = id.getText();
      if (t !== name && names.has(t)) uses.add(t);
    }
    fn.setIsExported(false);
    const docs = fn.getJsDocs().map((d) => d.getText()).join("\n");
    const body = fn.getText(false);
    return { name, text: docs ? `${docs}\n${body}` : body, uses: [...uses].sort() };
  });
  const lines = readFileSync(files.tableRuntime, "utf8").split("\n");
  let start = 0;
  while (start < lines.length && (lines[start].startsWith("//") || lines[start].trim() === "")) start++;
  const tableRuntime = lines
    .slice(start)
    .map((line) => line.replace(/^export /, ""))
    .join("\n")
    .trimEnd();
  return { functions: [...types, ...functions], tableRuntime };
}

let cache: { readonly byName: ReadonlyMap<string, SupportFunction>; readonly tableRuntime: string } | undefined;

function embedded(): NonNullable<typeof cache> {
  if (cache) return cache;
  const sources: EmbeddedSources = import.meta.url.endsWith(".ts")
    ? extractEmbeddedSources()
    : (JSON.parse(readFileSync(new URL(`./${EMBEDDED_SOURCES_JSON}`, import.meta.url), "utf8")) as EmbeddedSources);
  cache = { byName: new Map(sources.functions.map((f) => [f.name, f])), tableRuntime: sources.tableRuntime };
  return cache;
}

/** The helpers needed by `names`, with everything they call, in a stable order. */
export function supportSource(names: Iterable<string>): string[] {
  const all = embedded().byName;
  const needed = new Set<string>();
  const visit = (n: string) => {
    if (needed.has(n)) return;
    const fn = all.get(n);
    if (!fn) throw new Error(`unknown support function ${n}`);
    needed.add(n);
    fn.uses.forEach(visit);
  };
  for (const n of names) visit(n);
  return [...all.keys()].filter((n) => needed.has(n)).map((n) => all.get(n)!.text);
}

/** The indexed decision engine for table-mode modules. */
export function tableRuntimeSource(): string {
  return embedded().tableRuntime;
}
