// Turns a policy into the files `aegisc build` writes: `.guard.ts`, or `.guard.js` with `.guard.d.ts`, or all three.

import { requireCjs } from "../require-cjs.ts";
import type { Policy } from "../ir/types.ts";
import { emitGuardModule, type EmitOptions } from "./emit-module.ts";
import type { ModuleFormat } from "./module-format.ts";

export type EmitKind = "ts" | "js" | "both";

export interface EmittedFile {
  /** Relative to the output directory, e.g. `policy.guard.ts`. */
  readonly fileName: string;
  readonly text: string;
}

export interface EmitFilesOptions extends Omit<EmitOptions, "baseName"> {
  /**
   * The syntax of the `.js`: `esm` (the default) or `cjs`, TypeScript's CommonJS emit, whose
   * `exports.decide = …` Node's cjs-module-lexer reads as named exports, so that both
   * `import { decide }` and `require()` work. `aegisc build` picks it with moduleFormatFor. The
   * `.d.ts` is the same for both.
   */
  readonly module?: ModuleFormat;
}

export function emitGuardFiles(policy: Policy, baseName: string, emit: EmitKind, options: EmitFilesOptions = {}): EmittedFile[] {
  const { module = "esm", ...moduleOptions } = options;
  const tsName = `${baseName}.guard.ts`;
  const ts = emitGuardModule(policy, { ...moduleOptions, baseName });
  const out: EmittedFile[] = [];
  if (emit === "ts" || emit === "both") out.push({ fileName: tsName, text: ts });
  if (emit === "js" || emit === "both") {
    const project = emitProject(module);
    // Alone in the project while it emits, so that nothing of an earlier module (emitted with the same name) is seen.
    const file = project.createSourceFile(`/${tsName}`, ts, { overwrite: true });
    try {
      const result = project.emitToMemory({ targetSourceFile: file });
      const byName = new Map(result.getFiles().map((f) => [f.filePath.replace(/^.*\//, ""), f.text]));
      for (const name of [`${baseName}.guard.js`, `${baseName}.guard.d.ts`]) {
        const text = byName.get(name);
        if (text === undefined) throw new Error(`TypeScript did not emit ${name}`);
        out.push({ fileName: name, text });
      }
    } finally {
      project.removeSourceFile(file);
    }
  }
  return out;
}

type TsMorphProject = import("ts-morph").Project;
const projects = new Map<ModuleFormat, TsMorphProject>();

/**
 * One in-memory project per module format, kept for the process: each emit then reuses the
 * parsed library files instead of reading them again. ES2022 alone and no ambient types: the
 * module needs nothing else, and the declaration emit then skips the DOM's types.
 */
function emitProject(module: ModuleFormat): TsMorphProject {
  let project = projects.get(module);
  if (project === undefined) {
    // TypeScript itself only for .js and .d.ts: the .ts module is written without it.
    const { ModuleKind, Project, ScriptTarget } = requireCjs("ts-morph") as typeof import("ts-morph");
    project = new Project({
      useInMemoryFileSystem: true,
      compilerOptions: {
        target: ScriptTarget.ES2022,
        module: module === "cjs" ? ModuleKind.CommonJS : ModuleKind.ES2022,
        lib: ["lib.es2022.d.ts"],
        types: [],
        declaration: true,
        strict: true,
        removeComments: false,
        newLine: 1,
      },
    });
    projects.set(module, project);
  }
  return project;
}
