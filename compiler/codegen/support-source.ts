// Copies run-time code into generated modules (the helpers of semantics/support.ts and codegen/fast-support.ts, the table engine), so that modules have no imports.

import { readFileSync } from "node:fs";
import { Project, SyntaxKind } from "ts-morph";

const SUPPORT_PATHS = [new URL("../semantics/support.ts", import.meta.url), new URL("./fast-support.ts", import.meta.url)];

interface SupportFunction {
  readonly name: string;
  /** The declaration without `export`, with its doc comment. */
  readonly text: string;
  readonly uses: readonly string[];
}

let cache: Map<string, SupportFunction> | undefined;

function supportFunctions(): Map<string, SupportFunction> {
  if (cache) return cache;
  const project = new Project({ useInMemoryFileSystem: true });
  const files = SUPPORT_PATHS.map((path, i) => project.createSourceFile(`support${i}.ts`, readFileSync(path, "utf8")));
  const functions = files.flatMap((file) => file.getFunctions());
  const names = new Set(functions.map((f) => f.getName()!));
  cache = new Map();
  for (const fn of functions) {
    const name = fn.getName()!;
    const uses = new Set<string>();
    for (const id of fn.getDescendantsOfKind(SyntaxKind.Identifier)) {
      const t = id.getText();
      if (t !== name && names.has(t)) uses.add(t);
    }
    fn.setIsExported(false);
    const docs = fn.getJsDocs().map((d) => d.getText()).join("\n");
    const body = fn.getText(false);
    cache.set(name, { name, text: docs ? `${docs}\n${body}` : body, uses: [...uses].sort() });
  }
  return cache;
}

/** The helpers needed by `names`, with everything they call, in a stable order. */
export function supportSource(names: Iterable<string>): string[] {
  const all = supportFunctions();
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

const TABLE_RUNTIME_PATH = new URL("./table-runtime.ts", import.meta.url);
let tableRuntimeCache: string | undefined;

/** The indexed decision engine for table-mode modules: table-runtime.ts without its file comment and `export`s. */
export function tableRuntimeSource(): string {
  if (tableRuntimeCache !== undefined) return tableRuntimeCache;
  const lines = readFileSync(TABLE_RUNTIME_PATH, "utf8").split("\n");
  let start = 0;
  while (start < lines.length && (lines[start].startsWith("//") || lines[start].trim() === "")) start++;
  tableRuntimeCache = lines
    .slice(start)
    .map((line) => line.replace(/^export /, ""))
    .join("\n")
    .trimEnd();
  return tableRuntimeCache;
}
