// Test helper: compiles policy text and loads the generated module in-process (transpiled, imported from a data: URL).

import ts from "typescript";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import type { Decision, ToolCall } from "../../compiler/interpret.ts";
import type { Combine, Policy } from "../../compiler/ir/types.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { renderDiagnosticsText } from "../../compiler/diagnostics/render-text.ts";

export interface GuardModule {
  decide(call: ToolCall): Decision;
  POLICY: { hash: string; combine: string; rules: readonly { name: string; description?: string }[] };
}

/** Compiles policy text; throws with rendered diagnostics when it has errors (tests expect valid policies here). */
export function compilePolicyText(text: string, options: { combine?: Combine; path?: string } = {}): Policy {
  const result = compileSources([{ path: options.path ?? "policy.yaml", text }], options.combine ? { combine: options.combine } : {});
  if (!result.policy) throw new Error("policy did not compile:\n" + renderDiagnosticsText(result.diagnostics, result.sources));
  return result.policy;
}

export function transpileToJs(tsSource: string): string {
  return ts.transpileModule(tsSource, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 } }).outputText;
}

export async function importJs(js: string): Promise<GuardModule> {
  return (await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as GuardModule;
}

export async function loadGeneratedGuard(policy: Policy): Promise<GuardModule> {
  return importJs(transpileToJs(emitGuardModule(policy)));
}
