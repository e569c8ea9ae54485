// Findings about the rules as written, from the analysis of the policy's fail-closed form: what is found about a fail-closed entry folds into its rule's findings.

import type { Policy, Rule } from "../ir/types.ts";
import { writtenIndexOf } from "../semantics/fail-closed.ts";
import type { Finding } from "./analyze.ts";

const DEAD = new Set(["unreachable", "shadowed", "unsatisfiable"]);

/**
 * The analysis runs on failClosedPolicy(written) (semantics/fail-closed.ts): each rule that can
 * fail is there an entry that blocks where its conditions cannot be evaluated, then the rule
 * read as a Boolean. This turns its findings back into findings about `written`'s rules:
 * - every rule is shown with its index in `written`; an entry as its rule (with the entry's
 *   block outcome and test), once in a list of rules;
 * - findings about an entry itself are dropped, except where the modes disagree on it or its
 *   analysis was left incomplete; so are overlaps an entry wins, which only restate that the
 *   rule blocks where its conditions cannot be evaluated;
 * - a rule is redundant only when its entry is proven to change nothing either (the two take
 *   disjoint calls, so removing both changes what removing each changes);
 * - a rule that never decides by matching still blocks where its conditions fail, unless its
 *   entry is proven to decide nothing: its message says so.
 */
export function findingsForRules(written: Policy, lowered: Policy, findings: readonly Finding[]): Finding[] {
  if (lowered === written) return [...findings];
  const isEntry = (r: Rule) => r.failureOf !== undefined;
  const shown = (r: Rule): Rule => ({ ...r, index: writtenIndexOf(r) });
  const canFail = new Set(lowered.rules.filter(isEntry).map((r) => r.failureOf!));
  const entryDecidesNothing = new Set<number>();
  const entryChangesNothing = new Set<number>();
  for (const f of findings) {
    if (!isEntry(f.rule) || f.certainty !== "proven") continue;
    if (DEAD.has(f.kind)) entryDecidesNothing.add(f.rule.failureOf!);
    if (f.kind === "redundant") entryChangesNothing.add(f.rule.failureOf!);
  }
  const out: Finding[] = [];
  for (const f of findings) {
    if (isEntry(f.rule) && f.kind !== "mode-dependent" && f.kind !== "incomplete") continue;
    if ((f.kind === "overlap" || f.kind === "correlation" || f.kind === "generalization") && f.others.some(isEntry)) continue;
    const index = writtenIndexOf(f.rule);
    const entryIdle = !canFail.has(index) || entryDecidesNothing.has(index);
    if (f.kind === "redundant" && !isEntry(f.rule) && !entryIdle && !entryChangesNothing.has(index)) continue;
    const seen = new Set<number>();
    const others = f.others.map(shown).filter((o) => !seen.has(o.index) && seen.add(o.index));
    const stillBlocks = DEAD.has(f.kind) && !isEntry(f.rule) && !entryIdle;
    out.push({
      ...f,
      rule: shown(f.rule),
      others,
      ...(stillBlocks ? { message: `${f.message} It still decides the calls on which its conditions cannot be evaluated, blocking them.` } : {}),
    });
  }
  return out;
}
