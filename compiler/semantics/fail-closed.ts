// Fail-closed rules: where Aegis raises evaluating a rule's conditions, the rule blocks; derives the Boolean tests and entries that say so.

import type { Expr, Policy, Rule } from "../ir/types.ts";

/*
 * Aegis evaluates a rule's conditions left to right and stops at the first one that is false;
 * where Python raises on one it reaches (ordering a string against a number, `in` on a number),
 * Aegis produces no decision at all. aegisc blocks such a call instead, naming the rule, with the
 * rule's own risk level. In precedence, that block is a block rule of the rule's risk at the
 * rule's place in the file: in first-match the first rule in file order that matches or fails
 * decides (a failure exactly where Aegis raises); in strictest the failure ranks among the block
 * rules, so that every call on which Aegis raises is blocked in both modes and a failing rule is
 * never passed over for a laxer rule or the defaults.
 *
 * The interpreter evaluates that directly (three outcomes per rule). The analysis and the code
 * generator see it as plain rules: each rule that can fail is preceded by an entry that holds
 * exactly where its conditions fail and decides `block` (failClosedPolicy).
 */

/** The Boolean reading of an expression: a leaf that raises is false (what the rule's match test is once failures are split off). */
export function holdsOf(expr: Expr): Expr {
  switch (expr.kind) {
    case "compare":
    case "contains": {
      if (!expr.raises) return expr;
      const { raises: _raised, ...plain } = expr;
      return plain;
    }
    case "and":
    case "or": {
      const items = expr.items.map(holdsOf);
      return items.every((item, i) => item === expr.items[i]) ? expr : { ...expr, items };
    }
    case "not": {
      const item = holdsOf(expr.item);
      return item === expr.item ? expr : { ...expr, item };
    }
    default:
      return expr;
  }
}

/**
 * Where evaluating `expr` the Aegis way (conjunctions left to right, stopping at the first false
 * item) reaches a `raises` leaf that raises: a Boolean expression without `raises` leaves, or
 * undefined when `expr` can never fail. `raises` leaves sit only in conjunctions (see Expr).
 */
export function failureOf(expr: Expr): Expr | undefined {
  switch (expr.kind) {
    case "compare":
    case "contains":
      return expr.raises ? { kind: "fails", item: expr, span: expr.span } : undefined;
    case "and": {
      // fails(a ∧ rest) = fails(a) ∨ (holds(a) ∧ fails(rest)), built from the right.
      let rest: Expr | undefined;
      for (let i = expr.items.length - 1; i >= 0; i--) {
        const item = expr.items[i];
        const reached: Expr | undefined = rest && { kind: "and", items: [holdsOf(item), rest], span: expr.span };
        const own = failureOf(item);
        rest = own && reached ? { kind: "or", items: [own, reached], span: expr.span } : (own ?? reached);
      }
      return rest;
    }
    default:
      return undefined;
  }
}

const failures = new WeakMap<Rule, Expr | null>();

/** When a rule's conditions cannot be evaluated (see failureOf), kept per rule. */
export function ruleFailure(rule: Rule): Expr | undefined {
  let f = failures.get(rule);
  if (f === undefined) failures.set(rule, (f = failureOf(rule.when) ?? null));
  return f ?? undefined;
}

const lowered = new WeakMap<Policy, Policy>();
const writtenIndex = new WeakMap<Rule, number>();

/**
 * The policy as plain rules that never fail: in file order, every rule with its conditions read
 * as Booleans, each rule that can fail preceded by an entry (`failureOf` the rule) that holds
 * where the rule's conditions fail and decides `block` with the rule's risk. Indexes are
 * positions in this list, so that file order is index order as in any policy; writtenIndexOf
 * gives each one's rule in `policy`. In first-match an entry then comes right before its rule;
 * in strictest it ranks among the block rules of its risk. A policy whose rules cannot fail is
 * returned as it is.
 */
export function failClosedPolicy(policy: Policy): Policy {
  let out = lowered.get(policy);
  if (out) return out;
  if (!policy.rules.some((r) => ruleFailure(r))) out = policy;
  else {
    const rules: Rule[] = [];
    for (const rule of policy.rules) {
      const failure = ruleFailure(rule);
      if (failure) {
        const entry: Rule = { ...rule, index: rules.length, failureOf: rule.index, approval: "block", when: failure };
        writtenIndex.set(entry, rule.index);
        rules.push(entry);
      }
      const plain: Rule = { ...rule, index: rules.length, when: failure ? holdsOf(rule.when) : rule.when };
      writtenIndex.set(plain, rule.index);
      rules.push(plain);
    }
    out = { ...policy, rules };
  }
  lowered.set(policy, out);
  return out;
}

/** The index in the written policy of a rule of failClosedPolicy (a rule of the written policy is its own). */
export function writtenIndexOf(rule: Rule): number {
  return writtenIndex.get(rule) ?? rule.failureOf ?? rule.index;
}
