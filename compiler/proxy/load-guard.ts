// Where the proxy's guard comes from: a module `aegisc build --emit js` wrote (no compiler loaded), or policy files compiled in this process.

import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { GuardModule } from "@aegisc/runtime";
import type { CompileFilesResult } from "../compile-files.ts";
import type { Combine, Policy } from "../ir/types.ts";

export interface LoadedGuard {
  guard: GuardModule;
  policy: Policy;
}

export interface GuardLoad {
  compiled: CompileFilesResult;
  loaded?: LoadedGuard;
}

/** Compiles as `aegisc build` would; `loaded` is absent when the policy has errors or a file cannot be read. */
export async function loadGuard(patterns: readonly string[], options: { cwd: string; combine?: Combine }): Promise<GuardLoad> {
  const compiled = await compilePolicy(patterns, options);
  if (!compiled.policy || compiled.ioError) return { compiled };
  return { compiled, loaded: { guard: await importGuard(compiled.policy), policy: compiled.policy } };
}

/** The policy's IR only (no code generated): what `--guard` with `--policy` checks the guard against. */
export async function compilePolicy(patterns: readonly string[], options: { cwd: string; combine?: Combine }): Promise<CompileFilesResult> {
  const { compileFiles } = await import("../compile-files.ts");
  return compileFiles(patterns, { cwd: options.cwd, ...(options.combine ? { combine: options.combine } : {}) });
}

/**
 * The very module `aegisc build` writes, made JavaScript by a plain transpile (the emitter's
 * output is already type-checked by its own tests; a full TypeScript emit would cost seconds of
 * startup) and imported from a data: URL, so nothing is written to disk. It has no imports.
 */
export async function importGuard(policy: Policy): Promise<GuardModule> {
  const [{ ts }, { emitGuardFiles }] = await Promise.all([import("ts-morph"), import("../codegen/emit-files.ts")]);
  const [module] = emitGuardFiles(policy, "proxy", "ts");
  const js = ts.transpileModule(module.text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 } }).outputText;
  return (await import(`data:text/javascript;base64,${Buffer.from(js, "utf8").toString("base64")}`)) as GuardModule;
}

export type GuardFile = { guard: GuardModule; file: string } | { error: string; file: string };

/** Extensions Node runs as JavaScript; a `.ts` guard must be built with `--emit js` first. */
const GUARD_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

/** Imports a guard module from disk and checks that it has the shape `aegisc build` gives it (`decide` and `POLICY.hash`). */
export async function importGuardFile(path: string, cwd: string): Promise<GuardFile> {
  const file = resolve(cwd, path);
  if (!GUARD_EXTENSIONS.has(extname(file))) {
    return { file, error: `${path} is not JavaScript: give the .guard.js that \`aegisc build --emit js\` writes` };
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" && (error as Error).message.includes(pathToFileURL(file).href)) return { file, error: `cannot read ${path}: no such file` };
    return { file, error: `cannot load ${path}: ${(error as Error).message.split("\n")[0]}` };
  }
  // A CommonJS guard imported from ESM may expose its exports only as `default`.
  const exports = typeof module.decide === "function" ? module : ((module.default ?? {}) as Record<string, unknown>);
  const policy = exports.POLICY as { hash?: unknown } | undefined;
  if (typeof exports.decide !== "function" || typeof policy?.hash !== "string") {
    return { file, error: `${path} is not a guard module: it must export decide() and POLICY, as the .guard.js of \`aegisc build --emit js\` does` };
  }
  return { file, guard: exports as unknown as GuardModule };
}

/** `--hide-blocked`: a tool is hidden when the policy blocks it on that server whatever the arguments and time. */
export async function blockedToolPredicate(policy: Policy, agent?: string): Promise<(server: string, tool: string) => boolean> {
  const { blocksEveryCall } = await import("../analysis/analyze.ts");
  return (server, tool) => blocksEveryCall(policy, { server, tool, ...(agent !== undefined ? { agent } : {}) });
}
