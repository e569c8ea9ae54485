// Compiles policy files into a guard module loaded in this process, plus the analysis the proxy's --hide-blocked needs.
import { ts } from "ts-morph";
import { blocksEveryCall } from "../analysis/analyze.ts";
import { emitGuardFiles } from "../codegen/emit-files.ts";
import { compileFiles, type CompileFilesResult } from "../compile-files.ts";
import type { Combine, Policy } from "../ir/types.ts";
import type { GuardModule } from "../../runtime/src/types.ts";

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
  const compiled = await compileFiles(patterns, { cwd: options.cwd, ...(options.combine ? { combine: options.combine } : {}) });
  if (!compiled.policy || compiled.ioError) return { compiled };
  return { compiled, loaded: { guard: await importGuard(compiled.policy), policy: compiled.policy } };
}

/**
 * The very module `aegisc build` writes, made JavaScript by a plain transpile (the emitter's
 * output is already type-checked by its own tests; a full TypeScript emit would cost seconds of
 * startup) and imported from a data: URL, so nothing is written to disk. It has no imports.
 */
export async function importGuard(policy: Policy): Promise<GuardModule> {
  const [module] = emitGuardFiles(policy, "proxy", "ts");
  const js = ts.transpileModule(module.text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 } }).outputText;
  return (await import(`data:text/javascript;base64,${Buffer.from(js, "utf8").toString("base64")}`)) as GuardModule;
}

/** `--hide-blocked`: a tool is hidden when the policy blocks it on that server whatever the arguments and time. */
export function blockedToolPredicate(policy: Policy, agent?: string): (server: string, tool: string) => boolean {
  return (server, tool) => blocksEveryCall(policy, { server, tool, ...(agent !== undefined ? { agent } : {}) });
}
