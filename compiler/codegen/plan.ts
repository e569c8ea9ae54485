// Plans the decision procedure: which rules can decide each tool-name class, in precedence order.

import type { Policy, Rule } from "../ir/types.ts";
import { precedenceOrder } from "../interpret.ts";
import { classifyGlob, compileGlob } from "../semantics/glob.ts";

export interface Candidate {
  readonly rule: Rule;
  /** False inside an exact-name bucket, where the tool is already known to match. */
  readonly testTool: boolean;
}

export interface Bucket {
  /** Exact tool names that share these candidates; empty for the fallback bucket (every other name). */
  readonly names: readonly string[];
  readonly candidates: readonly Candidate[];
}

export interface DecisionPlan {
  readonly buckets: readonly Bucket[];
  readonly fallback: Bucket;
}

/** Whether a rule matches every call its tool test admits (no server, agent or condition test). */
export function isUnconditional(rule: Rule, testTool: boolean): boolean {
  return (
    (!testTool || classifyGlob(rule.tool.source).kind === "any") &&
    classifyGlob(rule.server.source).kind === "any" &&
    rule.agent.source === "*" &&
    rule.when.kind === "const" &&
    rule.when.value
  );
}

/** Candidates after the first unconditional one can never decide. */
function prune(candidates: Candidate[]): Candidate[] {
  const cut = candidates.findIndex((c) => isUnconditional(c.rule, c.testTool));
  return cut < 0 ? candidates : candidates.slice(0, cut + 1);
}

/**
 * Exact tool names are classified by one switch; each name's bucket holds the rules whose tool
 * glob matches that name (decided here, at compile time). Every other name falls through to the
 * rules whose tool pattern is a real glob. Names with identical candidate lists share a bucket.
 */
export function planDecisions(policy: Policy): DecisionPlan {
  const order = precedenceOrder(policy).map((i) => policy.rules[i]);
  const exactNames = new Set<string>();
  for (const rule of order) {
    const test = classifyGlob(rule.tool.source);
    if (test.kind === "exact") exactNames.add(test.text);
  }
  const globRules = order.filter((r) => classifyGlob(r.tool.source).kind !== "exact");
  const byKey = new Map<string, { names: string[]; candidates: Candidate[] }>();
  for (const name of [...exactNames].sort()) {
    const candidates = prune(
      order.filter((r) => compileGlob(r.tool.source).test(name)).map((rule) => ({ rule, testTool: false })),
    );
    const key = candidates.map((c) => c.rule.index).join(",");
    const bucket = byKey.get(key);
    if (bucket) bucket.names.push(name);
    else byKey.set(key, { names: [name], candidates });
  }
  return {
    buckets: [...byKey.values()],
    fallback: { names: [], candidates: prune(globRules.map((rule) => ({ rule, testTool: true }))) },
  };
}
