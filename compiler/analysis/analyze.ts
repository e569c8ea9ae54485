// The anomaly classifier: for each combine mode, which rules can never decide, which are redundant, which overlap, each with a witness call.

import { decide, decideWithout, precedenceOrder, ruleMatchesCall, type Decision, type ToolCall } from "../interpret.ts";
import type { Combine, Policy, Rule } from "../ir/types.ts";
import { APPROVAL_RANK } from "../ir/types.ts";
import { andRegions, intersect, isEmptyRegion, RegionTooLarge, subtract, type Cube, type Region } from "./region.ts";
import { RuleIndex } from "./rule-index.ts";
import { ruleRegion } from "./rule-region.ts";
import * as Str from "./string-set.ts";
import { cubeWitness, type WitnessCall, type WitnessHints } from "./witness.ts";

export type FindingKind = "unreachable" | "shadowed" | "redundant" | "overlap" | "correlation" | "generalization" | "unsatisfiable" | "mode-dependent" | "incomplete";

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: "error" | "warning" | "info";
  /** The rule the finding is about. */
  readonly rule: Rule;
  /** The other rules involved (covering rules, the other rule of a pair), in precedence order. */
  readonly others: readonly Rule[];
  /** Whether `others` ends with the defaults (for redundancy and mode-dependence). */
  readonly withDefaults?: boolean;
  readonly witness?: WitnessCall;
  /** "possible" when the finding rests on opaque predicates and no witness could confirm it. */
  readonly certainty: "proven" | "possible";
  readonly combine: Combine;
  readonly message: string;
  readonly hint?: string;
}

export interface AnalysisOptions {
  /** Modes to analyse; by default the policy's own, plus mode-dependence when `combine:` is not stated. */
  readonly modes?: readonly Combine[];
}

interface Outcome {
  readonly approval: string;
  readonly risk: string;
}

const sameOutcome = (a: Outcome, b: Outcome) => a.approval === b.approval && a.risk === b.risk;
const outcomeText = (o: Outcome) => `${o.approval}, ${o.risk}`;
const q = (r: Rule) => `\`${r.name}\``;

export function toToolCall(w: WitnessCall): ToolCall {
  return { server: w.server, tool: w.tool, ...(w.agent !== undefined ? { agent: w.agent } : {}), ...(w.args ? { args: w.args } : {}), ...(w.time ? { time: new Date(w.time) } : {}) };
}

/** Caps the cube comparisons spent on one rule; past it the rule is reported as not fully analysed. */
export const STEP_BUDGET = 10_000;
/** Caps the comparisons of a whole analysis, so that `check` on a huge policy ends; what is left is reported. */
export const TOTAL_STEP_BUDGET = 60_000;

class AnalysisExhausted extends Error {}

class Budget {
  private steps = 0;
  constructor(private readonly total: { steps: number }) {}
  tick(): void {
    if (++this.total.steps > TOTAL_STEP_BUDGET) throw new AnalysisExhausted();
    if (++this.steps > STEP_BUDGET) throw new RegionTooLarge(`more than ${STEP_BUDGET} steps`);
  }
}

/**
 * A cube of `region` that none of `covers` touches, found depth-first: subtract the covers one
 * at a time and stop at the first fragment that survives them all. Never materializes the
 * (possibly exponential) difference, and answers "covered" only after exhausting it.
 */
function uncovered(region: Region, covers: readonly Cube[], budget: Budget): Cube | undefined {
  const search = (cube: Cube, relevant: readonly Cube[], from: number): Cube | undefined => {
    for (let i = from; i < relevant.length; i++) {
      budget.tick();
      if (!intersect(cube, relevant[i])) continue;
      for (const piece of subtract(cube, relevant[i])) {
        const found = search(piece, relevant, i + 1);
        if (found) return found;
      }
      return undefined;
    }
    return cube;
  };
  for (const cube of region) {
    // Every fragment lies inside the cube, so covers that miss the cube can be dropped once, not at every level.
    const relevant = covers.filter((c) => (budget.tick(), intersect(cube, c) !== undefined));
    const found = search(cube, relevant, 0);
    if (found) return found;
  }
  return undefined;
}

/** Everything the analysis of one policy knows: regions per rule and the candidate index. */
class PolicyModel {
  readonly regions: Region[];
  readonly opaque: boolean[];
  readonly hints: WitnessHints;
  private readonly index: RuleIndex;
  private readonly candidateCache = new Map<number, Set<number>>();

  constructor(readonly policy: Policy) {
    // Memoized string-set answers are keyed by language ids and hold automata: scoped to one analysis.
    Str.resetMemos();
    const rr = policy.rules.map(ruleRegion);
    this.regions = rr.map((r) => r.region);
    this.opaque = rr.map((r) => r.opaque);
    const literal = (p: string) => (/[*?[]/.test(p) ? undefined : p);
    this.hints = {
      tools: [...new Set(policy.rules.map((r) => literal(r.tool.source)).filter((x): x is string => x !== undefined))],
      servers: [...new Set(policy.rules.map((r) => literal(r.server.source)).filter((x): x is string => x !== undefined))],
      agents: [...new Set(policy.rules.map((r) => literal(r.agent.source)).filter((x): x is string => x !== undefined))],
    };
    this.index = new RuleIndex(policy.rules);
  }

  /** Rules that can share a call with rule i (tool and server patterns intersect). */
  candidates(i: number): Set<number> {
    let set = this.candidateCache.get(i);
    if (!set) this.candidateCache.set(i, (set = new Set(this.index.candidates(i))));
    return set;
  }

  cubesOf(indexes: readonly number[]): Cube[] {
    return indexes.flatMap((j) => this.regions[j]);
  }

  /**
   * The cubes of those rules in `indexes` that can share a call with rule `j` (or are j): only
   * they can cover any part of a region inside j's, so the others need not be compared at all.
   */
  cubesNear(indexes: readonly number[], j: number): Cube[] {
    const near = this.candidates(j);
    return indexes.filter((x) => x === j || near.has(x)).flatMap((x) => this.regions[x]);
  }

  /**
   * A call in the region that passes `check`, tried on the readable witnesses of its first few
   * cubes (with the policy's names, then with names no rule mentions). Positive facts (a rule
   * decides some call, two rules disagree on one) are proven this way by the interpreter at
   * the cost of a few decisions; the exhaustive subtraction is left to the negative ones.
   */
  concrete(region: Region, check: (call: ToolCall) => boolean): ConcreteCall | undefined {
    for (const cube of region.slice(0, CONCRETE_CUBES)) {
      for (const hints of [this.hints, NO_HINTS]) {
        const witness = cubeWitness(cube, hints);
        if (witness && check(toToolCall(witness))) return { cube, witness };
      }
    }
    return undefined;
  }

  witness(cube: Cube | undefined, check: (call: ToolCall) => boolean): { witness?: WitnessCall; confirmed: boolean } {
    const w = cube && cubeWitness(cube, this.hints);
    if (!w) return { confirmed: false };
    return { witness: w, confirmed: check(toToolCall(w)) };
  }
}

interface Part {
  readonly index: number;
  /** A cube of calls in the rule's region that this earlier rule decides. */
  readonly cube: Cube;
  /** A call of that cube the interpreter confirmed this rule decides, when one was found first. */
  readonly witness?: WitnessCall;
}

interface ConcreteCall {
  readonly cube: Cube;
  readonly witness: WitnessCall;
}

/** Cubes of a region whose witnesses are tried before any subtraction. */
const CONCRETE_CUBES = 3;
const NO_HINTS: WitnessHints = { tools: [], servers: [], agents: [] };

/** Pair findings reported per rule, in precedence order: rules that decide differently, and rules that decide the same. */
export const MAX_DIFFERING_PAIRS_PER_RULE = 5;
export const MAX_SAME_PAIRS_PER_RULE = 2;

/**
 * For each rule in `before` (precedence order), a cube of `region` it decides, if any. With
 * `limited`, stops once enough rules deciding differently and the same have been found.
 */
function decidingParts(model: PolicyModel, policy: Policy, region: Region, inRegion: (call: ToolCall) => boolean, before: readonly number[], budget: Budget, limited = false, like?: Outcome): Part[] {
  const parts: Part[] = [];
  let differing = 0;
  let same = 0;
  for (let k = 0; k < before.length; k++) {
    if (limited && differing >= MAX_DIFFERING_PAIRS_PER_RULE && same >= MAX_SAME_PAIRS_PER_RULE) break;
    const j = before[k];
    const isSame = like !== undefined && sameOutcome(model.policy.rules[j], like);
    if (limited && (isSame ? same >= MAX_SAME_PAIRS_PER_RULE : differing >= MAX_DIFFERING_PAIRS_PER_RULE)) continue;
    const inter = andRegions(region, model.regions[j]);
    if (inter.length === 0) continue;
    const seen = model.concrete(inter, (call) => inRegion(call) && decide(policy, call).index === j);
    const cube = seen?.cube ?? uncovered(inter, model.cubesNear(before.slice(0, k), j), budget);
    if (!cube) continue;
    parts.push({ index: j, cube, ...(seen ? { witness: seen.witness } : {}) });
    if (isSame) same++;
    else differing++;
  }
  return parts;
}

export function analyzePolicy(policy: Policy, options: AnalysisOptions = {}): Finding[] {
  const model = new PolicyModel(policy);
  const findings: Finding[] = [];
  const modes = options.modes ?? [policy.combine];
  const unsatisfiable = new Set<number>();
  for (const rule of policy.rules) {
    if (isEmptyRegion(model.regions[rule.index])) {
      unsatisfiable.add(rule.index);
      findings.push(unsatisfiableFinding(rule, policy.combine));
    }
  }
  const total = { steps: 0 };
  try {
    for (const combine of modes) {
      const modePolicy: Policy = { ...policy, combine };
      const order = precedenceOrder(modePolicy);
      const position = new Map(order.map((idx, pos) => [idx, pos]));
      for (const [k, index] of order.entries()) {
        if (unsatisfiable.has(index)) continue;
        try {
          findings.push(...ruleFindings(model, modePolicy, index, order, position, total));
        } catch (e) {
          if (e instanceof AnalysisExhausted) {
            findings.push(exhaustedFinding(policy.rules[index], combine, order.length - k));
            return findings;
          }
          if (!(e instanceof RegionTooLarge)) throw e;
          findings.push(incompleteFinding(policy.rules[index], combine));
        }
      }
    }
    if (!policy.combineExplicit && options.modes === undefined) findings.push(...modeDependence(model, policy, unsatisfiable, total));
  } catch (e) {
    if (!(e instanceof AnalysisExhausted)) throw e;
    findings.push(exhaustedFinding(policy.rules[0], policy.combine, 0));
  }
  return findings;
}

function exhaustedFinding(rule: Rule, combine: Combine, left: number): Finding {
  return incompleteFinding(
    rule,
    combine,
    left > 0
      ? `The analysis stopped at its work limit here: ${q(rule)} and ${left - 1} later rule(s) were not analysed.`
      : "The analysis stopped at its work limit while comparing the two combine modes.",
  );
}

function incompleteFinding(rule: Rule, combine: Combine, message = `The analysis of ${q(rule)} stopped at its work limit; its findings may be missing.`): Finding {
  return { kind: "incomplete", severity: "info", rule, others: [], certainty: "possible", combine, message };
}

function unsatisfiableFinding(rule: Rule, combine: Combine): Finding {
  const times = rule.conditions.filter((c) => c.key === "time_after" || c.key === "time_before");
  const overnight = times.length === 2;
  return {
    kind: "unsatisfiable",
    severity: "error",
    rule,
    others: [],
    certainty: "proven",
    combine,
    message: overnight
      ? `${q(rule)} can never match: \`time_after\` and \`time_before\` are ANDed, so this overnight window is empty.`
      : `${q(rule)} can never match: its own patterns and conditions exclude each other.`,
    ...(overnight ? { hint: 'split it into two rules, one with `time_after` and one with `time_before`, or use `when: time between "18:00" and "08:00"`' } : {}),
  };
}

function ruleFindings(model: PolicyModel, policy: Policy, index: number, order: readonly number[], position: Map<number, number>, total: { steps: number }): Finding[] {
  const rule = policy.rules[index];
  const combine = policy.combine;
  const budget = new Budget(total);
  const candidates = model.candidates(index);
  const here = position.get(index)!;
  const before = order.filter((j) => position.get(j)! < here && candidates.has(j));
  const after = order.filter((j) => position.get(j)! > here && candidates.has(j));
  const own = model.regions[index];
  const matches = (call: ToolCall) => ruleMatchesCall(rule, call);
  const decided = model.concrete(own, (call) => decide(policy, call).index === index);
  const effective = decided?.cube ?? uncovered(own, model.cubesOf(before), budget);
  // A rule that never decides needs every covering rule named; one that does gets its first few overlaps.
  const parts = decidingParts(model, policy, own, matches, before, budget, effective !== undefined, rule);
  const findings: Finding[] = [];
  const opaque = (...idx: number[]) => idx.some((i) => model.opaque[i]);
  const decidedBy = (j: number) => (call: ToolCall) => matches(call) && ruleMatchesCall(policy.rules[j], call) && decide(policy, call).index === j;
  // A part found by a concrete call already has its witness, confirmed by the interpreter.
  const partWitness = (p: Part) => (p.witness ? { witness: p.witness, confirmed: true } : model.witness(p.cube, decidedBy(p.index)));

  if (!effective) {
    // Never decides: every call it matches is taken by the rules before it (possibly several together).
    const others = parts.map((p) => policy.rules[p.index]);
    const names = others.map(q).join(others.length === 2 ? " and " : ", ");
    const together = others.length > 1 ? " together" : "";
    // A differing part counts as proof only with a confirmed witness, or when no opaque predicate is involved.
    const differing = parts
      .filter((p) => !sameOutcome(policy.rules[p.index], rule))
      .map((p) => ({ ...p, ...partWitness(p) }))
      .map((p) => ({ ...p, proven: p.confirmed || !opaque(index, p.index) }));
    const shadow = differing.find((p) => p.proven) ?? differing[0];
    if (shadow) {
      const d = policy.rules[shadow.index];
      findings.push({
        kind: "shadowed",
        severity: "error",
        rule,
        others,
        ...(shadow.witness ? { witness: shadow.witness } : {}),
        certainty: shadow.proven ? "proven" : "possible",
        combine,
        message:
          others.length === 1
            ? `${q(rule)} (${outcomeText(rule)}) never decides: ${names} covers it and decides ${shadow.proven ? "" : "possibly "}differently (${outcomeText(d)}).`
            : `${q(rule)} (${outcomeText(rule)}) never decides: ${names} cover it${together}, and ${q(d)} decides ${shadow.proven ? "" : "possibly "}differently (${outcomeText(d)}).`,
        hint: combine === "first-match" ? `move ${q(rule)} above ${q(d)}, or narrow the earlier rules` : `narrow ${q(d)} or remove ${q(rule)}`,
      });
    } else if (parts.length > 0) {
      // Unreachability is proven by the subtraction; an example is shown only when the interpreter confirms it
      // (opaque conditions can make the rule match nothing at all, and then no call can show it).
      const { witness: candidate, confirmed } = partWitness(parts[0]);
      const witness = confirmed ? candidate : undefined;
      findings.push({
        kind: "unreachable",
        severity: "warning",
        rule,
        others,
        ...(witness ? { witness } : {}),
        certainty: "proven",
        combine,
        message: `${q(rule)} never decides: ${names} cover${others.length > 1 ? "" : "s"} it${together} with the same outcome, so it is redundant.`,
        hint: `remove ${q(rule)}`,
      });
    }
    return findings;
  }

  // Partly taken by earlier rules: one finding per rule that decides some of its calls.
  for (const part of parts) {
    const winner = policy.rules[part.index];
    const { witness, confirmed } = partWitness(part);
    const same = sameOutcome(winner, rule);
    const winnerInside = !same && uncovered(model.regions[part.index], own, budget) === undefined;
    const kind = same ? "overlap" : winnerInside ? "generalization" : "correlation";
    const laxerWins = APPROVAL_RANK[winner.approval] < APPROVAL_RANK[rule.approval];
    const severity = same ? "info" : laxerWins && !winnerInside ? "warning" : "info";
    const how = combine === "first-match" ? "comes first" : "is stricter or earlier";
    const message = same
      ? `${q(rule)} overlaps ${q(winner)} with the same outcome (${outcomeText(rule)}); ${q(winner)} ${how} and decides the common calls.`
      : winnerInside
        ? `${q(rule)} generalizes ${q(winner)}: on ${q(winner)}'s calls, ${q(winner)} decides (${outcomeText(winner)}) instead of ${q(rule)} (${outcomeText(rule)}).`
        : `${q(rule)} is partly shadowed by ${q(winner)}: on calls both match, ${q(winner)} decides (${outcomeText(winner)}) instead of ${q(rule)} (${outcomeText(rule)}).`;
    findings.push({
      kind,
      severity,
      rule,
      others: [winner],
      ...(witness ? { witness } : {}),
      certainty: confirmed || !opaque(index, part.index) ? "proven" : "possible",
      combine,
      message,
    });
  }

  // Downward redundancy: what it decides, the rules after it (or the defaults) would decide the same.
  // One call the rule decides, decided differently without it, settles the question at once.
  let changes = decided !== undefined && !sameOutcome(decideWithout(policy, toToolCall(decided.witness), index), rule);
  let takers: number[] = [];
  let toDefaults = false;
  if (!changes) ({ changes, takers, toDefaults } = removalEffect(model, policy, rule, before, after, budget));
  if (!changes) {
    const others = takers.map((t) => policy.rules[t]);
    const { witness, confirmed } = decided ? { witness: decided.witness, confirmed: true } : model.witness(effective, (call) => decide(policy, call).index === index);
    const names = [...others.map(q), ...(toDefaults ? ["the defaults"] : [])];
    findings.push({
      kind: "redundant",
      severity: "warning",
      rule,
      others,
      withDefaults: toDefaults,
      ...(witness ? { witness } : {}),
      certainty: confirmed || !opaque(index, ...takers) ? "proven" : "possible",
      combine,
      message: `${q(rule)} is redundant: without it, ${names.join(" and ")} would decide its calls the same way (${outcomeText(rule)}).`,
      hint: `remove ${q(rule)}`,
    });
  }
  return findings;
}

/**
 * What removing a rule would change. Only a later rule that decides differently (or different
 * defaults) can change a decision, on calls of the rule's region that no rule before it, and no
 * later rule before that one, covers; each is checked on its own small intersection, by a
 * concrete call first. Later rules that decide the same are looked at only when nothing changes,
 * to name them in the finding.
 */
function removalEffect(model: PolicyModel, policy: Policy, rule: Rule, before: readonly number[], after: readonly number[], budget: Budget): RemovalEffect {
  const own = model.regions[rule.index];
  const near = (cubes: readonly Cube[]) => cubes.filter((c) => own.some((o) => (budget.tick(), intersect(o, c) !== undefined)));
  const beforeCubes = near(model.cubesOf(before));
  const later = after.map((t) => ({ t, cubes: near(model.regions[t]) })).filter((x) => x.cubes.length > 0);
  const takesSome = (k: number) => {
    const { t, cubes } = later[k];
    const inter = andRegions(own, cubes);
    if (inter.length === 0) return false;
    const takenByT = (call: ToolCall) => decide(policy, call).index === rule.index && decideWithout(policy, call, rule.index).index === t;
    return model.concrete(inter, takenByT) !== undefined || uncovered(inter, [...beforeCubes, ...later.slice(0, k).flatMap((x) => x.cubes)], budget) !== undefined;
  };
  const quick = searchDownThePath(own, beforeCubes, later, (t) => (t < 0 ? sameOutcome(policy.defaults, rule) : sameOutcome(policy.rules[t], rule)), budget);
  if (quick) return quick;
  for (let k = 0; k < later.length; k++) if (!sameOutcome(policy.rules[later[k].t], rule) && takesSome(k)) return { changes: true, takers: [], toDefaults: false };
  const toDefaults = uncovered(own, [...beforeCubes, ...later.flatMap((x) => x.cubes)], budget) !== undefined;
  if (toDefaults && !sameOutcome(policy.defaults, rule)) return { changes: true, takers: [], toDefaults };
  return { changes: false, takers: later.filter((x, k) => sameOutcome(policy.rules[x.t], rule) && takesSome(k)).map((x) => x.t), toDefaults };
}

class GaveUp extends Error {}

/** Comparisons the depth-first search down the later rules may spend before the rule-by-rule checks take over. */
const PATH_STEPS = 4_000;

interface RemovalEffect {
  readonly changes: boolean;
  /** Later rules deciding the same that take some of the rule's calls. */
  readonly takers: number[];
  readonly toDefaults: boolean;
}

/**
 * The rule's calls, less the rules before it, passed down the later rules in order piece by
 * piece: a piece reaching a rule (or the defaults, t = -1) that decides differently is a
 * change and ends the search; one reaching a rule that decides the same is that rule's. Usually
 * one path finds a change, and a rule covered by a few later ones is settled in a few steps.
 * Undefined past PATH_STEPS, leaving the answer to the rule-by-rule checks.
 */
function searchDownThePath(own: Region, beforeCubes: readonly Cube[], later: readonly { t: number; cubes: readonly Cube[] }[], same: (t: number) => boolean, budget: Budget): RemovalEffect | undefined {
  const steps = [...beforeCubes.map((cube) => ({ cube, t: -2 })), ...later.flatMap(({ t, cubes }) => cubes.map((cube) => ({ cube, t })))];
  const takers = new Set<number>();
  let toDefaults = false;
  let left = PATH_STEPS;
  const search = (cube: Cube, from: number): boolean => {
    for (let i = from; i < steps.length; i++) {
      if (--left < 0) throw new GaveUp();
      budget.tick();
      const step = steps[i];
      if (!intersect(cube, step.cube)) continue;
      if (step.t >= 0) {
        if (!same(step.t)) return true;
        takers.add(step.t);
      }
      return subtract(cube, step.cube).some((piece) => search(piece, i + 1));
    }
    toDefaults = true;
    return !same(-1);
  };
  try {
    if (own.some((cube) => search(cube, 0))) return { changes: true, takers: [], toDefaults: false };
  } catch (e) {
    if (e instanceof GaveUp) return undefined;
    throw e;
  }
  return { changes: false, takers: later.map((x) => x.t).filter((t) => takers.has(t)), toDefaults };
}

/** Calls that `strictest` and `first-match` decide differently, for policies that do not state `combine:`. */
function modeDependence(model: PolicyModel, policy: Policy, unsatisfiable: ReadonlySet<number>, total: { steps: number }): Finding[] {
  const fm = precedenceOrder({ ...policy, combine: "first-match" });
  const st = precedenceOrder({ ...policy, combine: "strictest" });
  const stPolicy: Policy = { ...policy, combine: "strictest" };
  const fmPolicy: Policy = { ...policy, combine: "first-match" };
  const fmPos = new Map(fm.map((idx, pos) => [idx, pos]));
  const stPos = new Map(st.map((idx, pos) => [idx, pos]));
  const findings: Finding[] = [];
  for (const r of fm) {
    if (unsatisfiable.has(r)) continue;
    const rule = policy.rules[r];
    const candidates = model.candidates(r);
    const fmBefore = fm.filter((j) => fmPos.get(j)! < fmPos.get(r)! && candidates.has(j));
    const stBefore = st.filter((j) => stPos.get(j)! < stPos.get(r)! && candidates.has(j));
    const budget = new Budget(total);
    try {
      // On calls first-match gives to r, strictest picks the first rule in its own order that matches: r or one before it.
      let reported = 0;
      for (let k = 0; k < stBefore.length && reported < MAX_DIFFERING_PAIRS_PER_RULE; k++) {
        const s = stBefore[k];
        const other = policy.rules[s];
        if (sameOutcome(other, rule)) continue;
        const inter = andRegions(model.regions[r], model.regions[s]);
        if (inter.length === 0) continue;
        const disagree = (call: ToolCall) => decide(fmPolicy, call).index === r && decide(stPolicy, call).index === s;
        const seen = model.concrete(inter, disagree);
        const cube = seen?.cube ?? uncovered(inter, model.cubesNear([...fmBefore, ...stBefore.slice(0, k)], s), budget);
        if (!cube) continue;
        const { witness, confirmed } = seen ? { witness: seen.witness, confirmed: true } : model.witness(cube, disagree);
        reported++;
        findings.push({
          kind: "mode-dependent",
          severity: "warning",
          rule,
          others: [other],
          ...(witness ? { witness } : {}),
          certainty: confirmed || !(model.opaque[r] || model.opaque[s]) ? "proven" : "possible",
          combine: policy.combine,
          message: `The policy does not state \`combine:\`, and the modes disagree: first-match lets ${q(rule)} decide (${outcomeText(rule)}), strictest lets ${q(other)} decide (${outcomeText(other)}).`,
          hint: "add `combine: strictest` (the default) or `combine: first-match` (Aegis's engine) at the top level",
        });
      }
    } catch (e) {
      if (!(e instanceof RegionTooLarge)) throw e;
      findings.push(incompleteFinding(rule, policy.combine));
    }
  }
  return findings;
}

/**
 * Whether the policy blocks every call of `tool` on `server` whatever its arguments, time and
 * agent (or for the given agent): the rules that can match such calls and the defaults all say
 * `block`. Used to hide such tools from an MCP client. Opaque conditions can only make a rule
 * match less, so a non-block rule that might match keeps the tool visible (never hidden wrongly).
 */
export function blocksEveryCall(policy: Policy, target: { server: string; tool: string; agent?: string }): boolean {
  const model = new PolicyModel(policy);
  const cube: Cube = {
    params: new Map(),
    atoms: new Map(),
    tool: Str.exactly(target.tool),
    server: Str.exactly(target.server),
    ...(target.agent !== undefined ? { agent: Str.exactly(target.agent) } : {}),
  };
  const order = precedenceOrder(policy);
  const budget = new Budget({ steps: 0 });
  try {
    const parts = decidingParts(model, policy, [cube], (call) => call.tool === target.tool && call.server === target.server, order, budget);
    if (parts.some((p) => policy.rules[p.index].approval !== "block")) return false;
    return policy.defaults.approval === "block" || uncovered([cube], model.cubesOf(order), budget) === undefined;
  } catch (e) {
    if (e instanceof RegionTooLarge) return false;
    throw e;
  }
}
