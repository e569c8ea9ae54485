// The compiler's stage table: text → YAML → IR → checked IR; each stage lists its passes in order.

import { DiagnosticBag, sortDiagnostics, type Diagnostic } from "./diagnostics/diagnostic.ts";
import type { SourceText } from "./diagnostics/source.ts";
import type { Combine, Policy } from "./ir/types.ts";
import { buildFileDraft, mergeDrafts, type FileDraft } from "./load/build-ir.ts";
import { parsePolicyYaml } from "./load/parse-yaml.ts";
import { inferPolicyHash } from "./passes/infer-policy-hash.ts";
import { normalizeConditions } from "./passes/normalize-conditions.ts";
import { normalizeWhen } from "./passes/normalize-when.ts";
import type { Pass } from "./passes/pass.ts";
import { reportDuplicateRuleNames } from "./passes/report-duplicate-rule-names.ts";
import { reportRuleAnomalies } from "./passes/report-rule-anomalies.ts";

export interface Stage {
  readonly name: string;
  readonly passes: readonly Pass[];
}

/**
 * Loading already reports every shape error; the validation passes run on whatever loaded so
 * that one run shows all problems. The driver stops after the stage in which errors appeared.
 */
export const STAGES: readonly Stage[] = [
  { name: "validate", passes: [normalizeConditions, normalizeWhen, reportDuplicateRuleNames] },
  { name: "finish", passes: [inferPolicyHash] },
];

/**
 * Run on request (`aegisc check`) after a policy compiled: its findings, errors included, say
 * how rules interact, not that the policy is malformed, so the compiled policy is still returned.
 */
export const ANALYSIS_STAGE: Stage = { name: "analyze", passes: [reportRuleAnomalies] };

export interface CompileOptions {
  /** Overrides the policy's `combine:` (the CLI's `--combine`). */
  readonly combine?: Combine;
  /** Also run the analysis stage (unreachable, shadowed, redundant rules, …). */
  readonly analyze?: boolean;
  /** The analysis's work limit in steps (a cube comparison is one, an example call checked four; `Infinity`: none); its default keeps `check` to seconds. */
  readonly analysisLimit?: number;
}

export interface CompileResult {
  /** Present when no stage reported an error. */
  readonly policy?: Policy;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceText>;
}

export function compileSources(sources: readonly SourceText[], options: CompileOptions = {}, bag = new DiagnosticBag()): CompileResult {
  const sourceMap = new Map(sources.map((s) => [s.path, s]));
  const finish = (policy?: Policy): CompileResult => ({
    ...(policy ? { policy } : {}),
    diagnostics: sortDiagnostics(bag.items, sources.map((s) => s.path)),
    sources: sourceMap,
  });
  const drafts: FileDraft[] = [];
  for (const source of sources) {
    const doc = parsePolicyYaml(source, bag);
    const draft = doc && buildFileDraft(source, doc, bag);
    if (draft) drafts.push(draft);
  }
  if (drafts.length === 0) return finish();
  const merged = mergeDrafts(drafts, bag);
  const policy: Policy = options.combine ? { ...merged, combine: options.combine, combineExplicit: true } : merged;
  for (const stage of STAGES) {
    for (const pass of stage.passes) pass.run(policy, { diagnostics: bag });
    if (bag.hasErrors) return finish();
  }
  const analysis = options.analysisLimit !== undefined ? { workLimit: options.analysisLimit } : {};
  if (options.analyze) for (const pass of ANALYSIS_STAGE.passes) pass.run(policy, { diagnostics: bag, analysis });
  return finish(policy);
}
