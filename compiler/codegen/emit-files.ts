// Turns a policy into the files `aegisc build` writes: `.guard.ts`, or `.guard.js` with `.guard.d.ts`, or all three.

import { requireCjs } from "../require-cjs.ts";
import type { Policy } from "../ir/types.ts";
import { emitGuardModule, type EmitOptions } from "./emit-module.ts";

export type EmitKind = "ts" | "js" | "both";

export interface EmittedFile {
  /** Relative to the output directory, e.g. `policy.guard.ts`. */
  readonly fileName: string;
  readonly text: string;
}

export function emitGuardFiles(policy: Policy, baseName: string, emit: EmitKind, options: Omit<EmitOptions, "baseName"> = {}): EmittedFile[] {
  const tsName = `${baseName}.guard.ts`;
  const ts = emitGuardModule(policy, { ...options, baseName });
  const out: EmittedFile[] = [];
  if (emit === "ts" || emit === "both") out.push({ fileName: tsName, text: ts });
  if (emit === "js" || emit === "both") {
    // TypeScript itself only for .js and .d.ts: the .ts module is written without it.
    const { ModuleKind, Project, ScriptTarget } = requireCjs("ts-morph") as typeof import("ts-morph");
    const project = new Project({
      useInMemoryFileSystem: true,
      compilerOptions: { target: ScriptTarget.ES2022, module: ModuleKind.ES2022, declaration: true, strict: true, removeComments: false, newLine: 1 },
    });
    project.createSourceFile(`/${tsName}`, ts);
    const result = project.emitToMemory();
    const byName = new Map(result.getFiles().map((f) => [f.filePath.replace(/^.*\//, ""), f.text]));
    for (const name of [`${baseName}.guard.js`, `${baseName}.guard.d.ts`]) {
      const text = byName.get(name);
      if (text === undefined) throw new Error(`TypeScript did not emit ${name}`);
      out.push({ fileName: name, text });
    }
  }
  return out;
}
