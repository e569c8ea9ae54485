// report-rule-anomalies: runs the region analysis and reports its findings (unreachable, shadowed, redundant, …) with example calls.

import { analyzePolicy, type Finding, type FindingKind } from "../analysis/analyze.ts";
import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticDef } from "../diagnostics/catalog.ts";
import type { Span } from "../ir/span.ts";
import type { Rule } from "../ir/types.ts";
import type { Pass } from "./pass.ts";

const DEFS: Readonly<Record<FindingKind, DiagnosticDef>> = {
  unreachable: Diagnostics.unreachable,
  shadowed: Diagnostics.shadowed,
  redundant: Diagnostics.redundant,
  overlap: Diagnostics.overlap,
  correlation: Diagnostics.correlation,
  generalization: Diagnostics.generalization,
  unsatisfiable: Diagnostics.unsatisfiable,
  "mode-dependent": Diagnostics.modeDependent,
  incomplete: Diagnostics.analysisIncomplete,
};

/** Where a finding points: the rule's name, or the whole rule when it has none. */
export function ruleAnchor(rule: Rule): Span {
  return rule.named ? rule.nameSpan : rule.span;
}

function noteFor(f: Finding, other: Rule): string {
  switch (f.kind) {
    case "shadowed":
    case "unreachable":
      return `\`${other.name}\` covers part of it (${other.approval}, ${other.risk})`;
    case "redundant":
      return `\`${other.name}\` would decide its calls instead`;
    case "mode-dependent":
      return `strictest lets \`${other.name}\` decide (${other.approval}, ${other.risk})`;
    default:
      return `\`${other.name}\` decides the common calls (${other.approval}, ${other.risk})`;
  }
}

export const reportRuleAnomalies: Pass = {
  name: "report-rule-anomalies",
  run(policy, { diagnostics, analysis }) {
    for (const f of analyzePolicy(policy, analysis?.workLimit !== undefined ? { workLimit: analysis.workLimit } : {})) {
      // An unfinished analysis is a fact about the analysis, not a possible problem in the policy.
      const possibly = f.certainty === "possible" && f.kind !== "incomplete";
      const message = possibly ? `Possibly: ${f.message.charAt(0).toLowerCase()}${f.message.slice(1)}` : f.message;
      diagnostics.add(DEFS[f.kind], message, ruleAnchor(f.rule), {
        severity: f.certainty === "possible" && f.severity === "error" ? "warning" : f.severity,
        certainty: f.certainty,
        rule: f.rule.name,
        others: [...f.others.map((o) => o.name), ...(f.withDefaults ? ["<default>"] : [])],
        notes: f.others.map((o) => ({ message: noteFor(f, o), span: ruleAnchor(o) })),
        ...(f.hint ? { hint: f.hint } : {}),
        ...(f.witness ? { witness: f.witness } : {}),
      });
    }
  },
};
