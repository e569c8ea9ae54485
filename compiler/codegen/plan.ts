// Plans the decision procedure: straight-line buckets per tool name for small policies, or tables for the indexed engine.

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

/** How `decide` is generated: straight-line code per tool-name bucket, or tables read by the indexed engine. */
export type Strategy = "straight" | "tables";

/**
 * Straight-line code reads well in a review and is the fastest for a handful of rules, but it
 * tests rules one after another and copies rules that apply to many names into every bucket.
 * Past these bounds the tables take over: their size is linear in the rules and their cost per
 * call does not grow with them.
 */
export const STRAIGHT_MAX_RULES = 32;
export const STRAIGHT_MAX_TESTS = 96;

export type ModulePlan = { readonly strategy: "straight"; readonly plan: DecisionPlan } | { readonly strategy: "tables" };

export function planModule(policy: Policy, requested: Strategy | "auto" = "auto"): ModulePlan {
  if (requested === "tables" || (requested === "auto" && policy.rules.length > STRAIGHT_MAX_RULES)) return { strategy: "tables" };
  const plan = planDecisions(policy);
  const tests = plan.buckets.reduce((n, b) => n + b.candidates.length, plan.fallback.candidates.length);
  if (requested === "auto" && tests > STRAIGHT_MAX_TESTS) return { strategy: "tables" };
  return { strategy: "straight", plan };
}
