// The shape of a compiler pass: a named function over the IR that may only add diagnostics or annotate.

import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import type { Policy } from "../ir/types.ts";

export interface PassContext {
  readonly diagnostics: DiagnosticBag;
  /** The analysis stage's settings (the CLI's `--analysis-limit`). */
  readonly analysis?: { readonly workLimit?: number };
}

export interface Pass {
  /** `resolve-`, `normalize-`, `infer-` passes may annotate the IR; `report-` passes only read it. */
  readonly name: string;
  run(policy: Policy, context: PassContext): void;
}
