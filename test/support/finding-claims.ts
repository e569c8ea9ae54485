// Test helper: checks, with the reference interpreter, that an analysis finding's witness lands where the finding says.

import { toToolCall, type Finding } from "../../compiler/analysis/analyze.ts";
import { decide, ruleMatchesCall } from "../../compiler/interpret.ts";
import type { Policy } from "../../compiler/ir/types.ts";
import { ruleRegion } from "../../compiler/analysis/rule-region.ts";

function ruleIsOpaque(f: Finding): boolean {
  return ruleRegion(f.rule).opaque;
}

/** The policy with one rule disabled but indexes kept, to ask what would decide without it. */
function without(policy: Policy, index: number): Policy {
  return { ...policy, rules: policy.rules.map((r) => (r.index === index ? { ...r, when: { kind: "const", value: false, span: r.span } } : r)) };
}

function outcome(policy: Policy, call: ReturnType<typeof toToolCall>) {
  const d = decide(policy, call);
  return `${d.approval}/${d.risk}`;
}

export function checkWitness(policy: Policy, f: Finding): string | undefined {
  // An unreachable rule whose conditions are opaque may match no call at all: then it has no example to show.
  const mayLackWitness = f.kind === "unsatisfiable" || f.kind === "incomplete" || (f.kind === "unreachable" && ruleIsOpaque(f));
  if (!f.witness) return mayLackWitness ? undefined : "no witness";
  const p: Policy = { ...policy, combine: f.combine };
  const call = toToolCall(f.witness);
  const d = decide(p, call);
  const others = f.others.map((o) => o.index);
  switch (f.kind) {
    case "shadowed":
    case "unreachable":
      if (!ruleMatchesCall(f.rule, call)) return "the rule does not match its witness";
      if (!others.includes(d.index)) return `decided by ${d.rule}, not a covering rule`;
      if (f.kind === "shadowed" && d.approval === f.rule.approval && d.risk === f.rule.risk) return "the covering decision has the same outcome";
      return undefined;
    case "overlap":
    case "correlation":
    case "generalization":
      if (!ruleMatchesCall(f.rule, call) || !ruleMatchesCall(f.others[0], call)) return "both rules must match the witness";
      return d.index === others[0] ? undefined : `decided by ${d.rule}, not ${f.others[0].name}`;
    case "redundant":
      if (d.index !== f.rule.index) return `decided by ${d.rule}, not the redundant rule`;
      return outcome(p, call) === outcome(without(p, f.rule.index), call) ? undefined : "removing the rule changes the outcome";
    case "mode-dependent":
      if (decide({ ...policy, combine: "first-match" }, call).index !== f.rule.index) return "first-match does not pick the rule";
      return decide({ ...policy, combine: "strictest" }, call).index === others[0] ? undefined : "strictest does not pick the other rule";
    default:
      return undefined;
  }
}

