// aegisc's library API: compile policies, decide with the reference interpreter, emit guard modules.

export { compileFiles, type CompileFilesOptions, type CompileFilesResult } from "./compile-files.ts";
export { compileSources, STAGES, type CompileOptions, type CompileResult } from "./pipeline.ts";
export { decide, explain, precedenceOrder, type Decision, type Explanation, type ToolCall } from "./interpret.ts";
export { emitGuardFiles, type EmitFilesOptions, type EmitKind, type EmittedFile } from "./codegen/emit-files.ts";
export { moduleFormatFor, type ModuleFormat, type ModuleFormatChoice } from "./codegen/module-format.ts";
export { emitGuardModule } from "./codegen/emit-module.ts";
export { COMPILER_VERSION } from "./version.ts";
export { renderDiagnosticsText } from "./diagnostics/render-text.ts";
export type { Diagnostic } from "./diagnostics/diagnostic.ts";
export type { Policy, Rule, Expr, Approval, Risk, Combine } from "./ir/types.ts";
