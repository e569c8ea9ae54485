// The anomaly classifier: for each combine mode, which rules can never decide, which are redundant, which overlap, each with a witness call.

import { decideAmong, precedenceOrder, ruleMatchesCall, type Decision, type ToolCall } from "../interpret.ts";
import type { Combine, Policy, Rule } from "../ir/types.ts";
import { APPROVAL_RANK } from "../ir/types.ts";
import { firstLeft, passDown, PieceSet, remainder, type Pass, type Step, type Tick } from "./decided-region.ts";
import { andRegions, insideRegion, isEmptyRegion, RegionTooLarge, type Cube, type Region } from "./region.ts";
import { seededRandom } from "../seeded-random.ts";
import { failClosedPolicy } from "../semantics/fail-closed.ts";
import { findingsForRules } from "./fail-closed-findings.ts";
import { ModesBeside } from "./modes-beside.ts";
import { TOTAL_STEP_BUDGET } from "./work-limit.ts";
import { RuleBits, RuleIndex } from "./rule-index.ts";
import { ruleRegion } from "./rule-region.ts";
import * as Str from "./string-set.ts";
import { cubeSample, cubeWitness, type WitnessCall, type WitnessHints } from "./witness.ts";

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
  /**
   * Pass every rule's whole region down the rules before it in precedence order, instead of
   * subtracting them in the cheapest order and asking earlier rules one at a time which of its
   * calls they take: slower, with the same findings (tests hold the two routes to that).
   */
  readonly passEveryRule?: boolean;
  /**
   * The most steps of work the whole analysis may make (default TOTAL_STEP_BUDGET): a cube
   * comparison is one step, an example call checked with the interpreter CALL_STEPS. One rule's
   * question may use a sixth of it, and never less than STEP_BUDGET. `Infinity`: no limit.
   */
  readonly workLimit?: number;
  /** Compare the modes in a worker thread, beside the rules' own analysis (default: for policies of MODES_IN_WORKER_FROM_RULES rules or more). */
  readonly modesInWorker?: boolean;
}

interface Outcome {
  readonly approval: string;
  readonly risk: string;
}

const sameOutcome = (a: Outcome, b: Outcome) => a.approval === b.approval && a.risk === b.risk;
const outcomeText = (o: Outcome) => `${o.approval}, ${o.risk}`;
/** A rule's name in a message; a fail-closed entry (semantics/fail-closed.ts) is its rule's block where its conditions cannot be evaluated. */
const q = (r: Rule) => (r.failureOf === undefined ? `\`${r.name}\`` : `\`${r.name}\`'s fail-closed block`);

/** Rules a message names one by one; past this many, the first few and how many more (the finding's `others` has them all). */
export const MAX_NAMED_IN_MESSAGE = 4;

/** The rules as a message names them, joined with `joiner` while every one is named. */
function ruleList(rules: readonly Rule[], joiner: string): string {
  if (rules.length <= MAX_NAMED_IN_MESSAGE) return rules.map(q).join(joiner);
  const named = MAX_NAMED_IN_MESSAGE - 1;
  return `${rules.slice(0, named).map(q).join(", ")} and ${rules.length - named} other rules`;
}

export function toToolCall(w: WitnessCall): ToolCall {
  return { server: w.server, tool: w.tool, ...(w.agent !== undefined ? { agent: w.agent } : {}), ...(w.args ? { args: w.args } : {}), ...(w.time ? { time: new Date(w.time) } : {}) };
}

/** Caps the steps of work of one question (a rule's decided calls, what removing it changes, where the modes disagree); past it the rule is reported as not fully analysed. */
export const STEP_BUDGET = 100_000;
export { TOTAL_STEP_BUDGET };

class AnalysisExhausted extends Error {}

/**
 * Steps of work one example call checked with the interpreter counts for: building and checking
 * it costs about as much as four cube comparisons (measured on the generated 1,000- and
 * 10,000-rule policies), so that the work limit bounds time whichever way a question is answered.
 */
const CALL_STEPS = 4;
function chargeCall(tick: Tick): void {
  for (let k = 0; k < CALL_STEPS; k++) tick();
}

/** Steps a quick try at a question may make before the question is left to other means. */
const QUICK_COMPARISONS = 200;
/**
 * The short subtractions `unclaimed` tries, each from the start, looking for a call among the
 * pieces left when one stops: most that answer none need fewer than 80 comparisons, and where
 * calls are left, the pieces cut by 80 comparisons already show one about as often as those
 * cut by 200 (at 1,000 rules, 219 tries used all 200, and then always found a call).
 */
const QUICK_TRIES = [80, QUICK_COMPARISONS];
class GaveUp extends Error {}

/** The answer to a question if it takes at most `limit` steps (counted against `tick` too), else undefined. */
function within<T>(limit: number, tick: Tick, question: (tick: Tick) => T): T | undefined {
  let made = 0;
  try {
    return question(() => {
      if (++made > limit) throw new GaveUp();
      tick();
    });
  } catch (e) {
    if (e instanceof GaveUp) return undefined;
    throw e;
  }
}
/** One rule's question went past its share of the work limit (a larger limit may finish it, unlike a region past MAX_PIECES). */
class QuestionTooLong extends RegionTooLarge {}

/** The steps of work the whole analysis has made, and its limits. */
interface Work {
  steps: number;
  readonly limit: number;
  /** The limit of one rule's question (one pass, a removal effect, a mode comparison). */
  readonly passLimit: number;
}

function work(limit = TOTAL_STEP_BUDGET): Work {
  return { steps: 0, limit, passLimit: Math.max(STEP_BUDGET, limit / 6) };
}

/** Counts steps of work against the whole analysis's limit and a limit of its own. */
class Budget {
  private steps = 0;
  constructor(private readonly total: Work) {}
  readonly tick: Tick = () => {
    if (++this.total.steps > this.total.limit) throw new AnalysisExhausted();
    if (++this.steps > this.total.passLimit) throw new QuestionTooLong(`more than ${this.total.passLimit} steps`);
  };
}

/** Everything the analysis of one policy knows: regions per rule and the candidate index. */
class PolicyModel {
  readonly regions: Region[];
  readonly opaque: boolean[];
  readonly hints: WitnessHints;
  private readonly index: RuleIndex;
  private readonly candidateCache = new Map<number, RuleBits>();

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
  candidates(i: number): RuleBits {
    let set = this.candidateCache.get(i);
    if (!set) this.candidateCache.set(i, (set = this.index.candidateBits(i)));
    return set;
  }

  /** The rules whose tool pattern matches `name`, less those on any tool (`*`), in file order. */
  namedRulesFor(name: string): readonly number[] {
    return this.index.namedRulesFor(name);
  }

  /** The rules on any tool whose server pattern matches `server`, in file order. */
  anyToolRulesOn(server: string): readonly number[] {
    return this.index.anyToolRulesOn(server);
  }

  /** The rules as steps of a pass: each index with its region. */
  steps(indexes: readonly number[]): Step[] {
    return indexes.map((index) => ({ index, region: this.regions[index] }));
  }

  /**
   * The steps of a pass of `calls` down the given rules, leaving out rules whose tool pattern
   * matches none of the calls' tool names when every cube of the calls names its tools exactly:
   * a pass of a few named calls then visits the few rules that can take them, not all.
   */
  stepsFor(calls: Region, indexes: readonly number[]): Step[] {
    const names = new Set<string>();
    for (const c of calls) {
      const words = c.tool && Str.wordsOf(c.tool);
      if (!words) return this.steps(indexes.filter((j) => this.regions[j].some((r) => calls.some((c) => mayMeet(c, r)))));
      for (const w of words) names.add(w);
    }
    let near: ReadonlySet<number>;
    if (names.size === 1) near = this.ruleSetForName([...names][0]);
    else {
      const all = new Set<number>();
      for (const w of names) for (const j of this.index.rulesForName(w)) all.add(j);
      near = all;
    }
    return this.steps(indexes.filter((j) => near.has(j)));
  }

  /** The rules whose tool pattern matches the name, as a set, kept for tens of thousands of names: most questions name one tool, asked about again and again. */
  private ruleSetForName(name: string): ReadonlySet<number> {
    return keptFor(this.ruleSets, name, () => new Set(this.index.rulesForName(name)));
  }
  private readonly ruleSets = new Map<string, ReadonlySet<number>>();

  /**
   * A call in the region that passes `check`, tried on the readable witnesses of its first few
   * cubes (with the policy's names, then with those of the call `near` when given, then with
   * names no rule mentions). Findings show these in preference to a witness of a cube from deep
   * in a pass, which reads worse; a call found here is also confirmed by the interpreter.
   */
  concrete(region: Region, check: (call: ToolCall) => boolean, tick: Tick, near?: WitnessCall): ConcreteCall | undefined {
    const tried = near ? [this.hints, namesOf(near), NO_HINTS] : [this.hints, NO_HINTS];
    for (const cube of region.slice(0, CONCRETE_CUBES)) {
      for (const hints of tried) {
        const witness = cubeWitness(cube, hints);
        if (!witness) continue;
        chargeCall(tick);
        if (check(toToolCall(witness))) return { cube, witness };
      }
    }
    return undefined;
  }

  /**
   * A call in the region that passes `check`, among calls drawn at random (with a fixed seed, so
   * that findings are the same run after run) from its cubes: where the readable witnesses of
   * `concrete` all fall to other rules, a random call often still lands in what is left, and
   * one such call spares subtracting every earlier rule from the region.
   */
  sampled(region: Region, check: (call: ToolCall) => boolean, tick: Tick): ConcreteCall | undefined {
    const random = seededRandom(SAMPLE_SEED);
    for (let k = 0; k < SAMPLED_CALLS && region.length > 0; k++) {
      const cube = region[k % region.length];
      const witness = cubeSample(cube, random, k % 2 === 0 ? this.hints : NO_HINTS);
      if (!witness) continue;
      chargeCall(tick);
      if (check(toToolCall(witness))) return { cube, witness };
    }
    return undefined;
  }

  /** The readable witness of the cube, when it passes `check`. */
  confirmed(cube: Cube, check: (call: ToolCall) => boolean, tick: Tick): ConcreteCall | undefined {
    const witness = cubeWitness(cube, this.hints);
    if (!witness) return undefined;
    chargeCall(tick);
    return check(toToolCall(witness)) ? { cube, witness } : undefined;
  }

  witness(cube: Cube | undefined, check: (call: ToolCall) => boolean): { witness?: WitnessCall; confirmed: boolean } {
    const w = cube && cubeWitness(cube, this.hints);
    if (!w) return { confirmed: false };
    return { witness: w, confirmed: check(toToolCall(w)) };
  }
}

/**
 * One combine mode: its precedence order and, built on first use, the calls each rule decides
 * (its region less the rules before it). Built once, a rule's decided calls answer the questions
 * a sample cannot (what removing it changes, where the modes disagree) by passing them down
 * other rules.
 */
class ModeView {
  readonly policy: Policy;
  readonly order: readonly number[];
  /** Each rule's place in the precedence order, by rule index. */
  private readonly rank: Int32Array;
  private readonly passes = new Map<number, Pass | RegionTooLarge>();
  /** Rules found to decide no call in this mode: they take no calls from any later rule. */
  readonly silent = new Set<number>();
  /** A call each rule analysed so far was confirmed to decide, when one was found. */
  readonly examples = new Map<number, WitnessCall>();

  constructor(
    readonly model: PolicyModel,
    combine: Combine,
    private total: Work,
    readonly passEveryRule = false,
  ) {
    this.policy = { ...model.policy, combine };
    this.order = precedenceOrder(this.policy);
    this.rank = new Int32Array(this.order.length);
    for (const [pos, idx] of this.order.entries()) this.rank[idx] = pos;
    // The order as runs of rising rule indexes (one in first-match; one per approval and risk, at most, in strictest).
    this.runOf = new Int32Array(this.order.length);
    let run = 0;
    for (let p = 0; p < this.order.length; p++) {
      if (p > 0 && this.order[p] < this.order[p - 1]) run++;
      this.runOf[this.order[p]] = run;
    }
    this.runs = run + 1;
  }
  /** Each rule's run of the order, and how many runs there are: within a run, precedence is file order. */
  private readonly runOf: Int32Array;
  private readonly runs: number;

  /** Charges the view's own questions to `work` from now on (the comparison of the modes has a limit of its own). */
  chargeTo(work: Work): this {
    this.total = work;
    return this;
  }

  /** The rules that can share a call with rule i and take precedence over it, in precedence order. */
  before(i: number): readonly number[] {
    return this.aroundOf(i).before;
  }

  /**
   * The rules that can share a call with rule j, take precedence over it and are among `among`
   * (the candidates of another rule), less `except` and the rules found to decide nothing, in
   * precedence order: those that can take calls common to j and that other rule before j does.
   */
  beforeAmong(j: number, among: RuleBits, except = -1): number[] {
    return this.before(j).filter((e) => e !== except && among.has(e) && !this.silent.has(e));
  }

  /** The rules that can share a call with rule i and come after it, in precedence order. */
  after(i: number): readonly number[] {
    return this.aroundOf(i).after;
  }

  /** Rule i's candidates split at its position, once: every question about the rule asks for them. */
  private aroundOf(i: number): { before: number[]; after: number[] } {
    let around = this.around.get(i);
    if (!around) {
      // In precedence order with no sort: the candidates in file order, each put in its run (counted first), and the runs in order.
      const inFile = this.model.candidates(i).toArray();
      const runOf = this.runOf;
      const ownRun = runOf[i];
      const starts = new Int32Array(this.runs + 1);
      let ownRunBefore = 0;
      for (const j of inFile) {
        starts[runOf[j] + 1]++;
        if (runOf[j] === ownRun && j < i) ownRunBefore++;
      }
      for (let r = 0; r < this.runs; r++) starts[r + 1] += starts[r];
      const split = starts[ownRun] + ownRunBefore;
      const before = new Array<number>(split);
      const after = new Array<number>(inFile.length - split);
      for (const j of inFile) {
        const at = starts[runOf[j]]++;
        if (at < split) before[at] = j;
        else after[at - split] = j;
      }
      around = { before, after };
      this.around.set(i, around);
    }
    return around;
  }
  private readonly around = new Map<number, { before: number[]; after: number[] }>();

  /** The rules in precedence order: their places sorted as numbers, with no comparison callback (a rule of a large policy has thousands of candidates). */
  private inOrder(indexes: readonly number[]): number[] {
    const places = new Int32Array(indexes.length);
    for (let k = 0; k < indexes.length; k++) places[k] = this.rank[indexes[k]];
    places.sort();
    const out = new Array<number>(places.length);
    for (let k = 0; k < places.length; k++) out[k] = this.order[places[k]];
    return out;
  }

  /**
   * What this mode decides on a call (without rule `skip`): only the rules whose tool pattern
   * matches the call's tool can match it, and of the rules on any tool only those whose server
   * pattern matches its server, so only they are tried, which keeps checking a witness cheap in a
   * policy of thousands of rules (a rule on any tool has hundreds of candidates).
   */
  decideOn(call: ToolCall, skip = -1): Decision {
    const named = this.namedOrder(call.tool);
    const anyTool = this.anyToolOrder(call.server);
    return decideAmong(this.policy, call, anyTool.length === 0 ? named : named.length === 0 ? anyTool : this.merged(named, anyTool), skip);
  }

  /**
   * The rules on a tool pattern other than `*` that matches the tool, in precedence order.
   * Sampled calls bring names no rule mentions; the orders of tens of thousands of names are kept.
   * The rules on any tool are kept apart, by server: at 10,000 rules there are a thousand of
   * them, and an order per name that held them all was rebuilt again and again.
   */
  private namedOrder(tool: string): number[] {
    return this.kept(this.namedOrders, tool, () => this.model.namedRulesFor(tool));
  }
  private readonly namedOrders = new Map<string, number[]>();

  /** The rules on any tool whose server pattern matches the server, in precedence order (kept for tens of thousands of servers). */
  private anyToolOrder(server: string): number[] {
    return this.kept(this.anyToolOrders, server, () => this.model.anyToolRulesOn(server));
  }
  private readonly anyToolOrders = new Map<string, number[]>();

  /** The rules `find` gives for a name, in precedence order, kept per name (all dropped once MAX_TOOL_ORDERS are kept). */
  private kept(orders: Map<string, number[]>, name: string, find: () => readonly number[]): number[] {
    return keptFor(orders, name, () => this.inOrder(find()));
  }

  /** Two lists of rules in precedence order, merged into one. */
  private merged(a: readonly number[], b: readonly number[]): number[] {
    const out = new Array<number>(a.length + b.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.length && j < b.length) out[k++] = this.rank[a[i]] < this.rank[b[j]] ? a[i++] : b[j++];
    while (i < a.length) out[k++] = a[i++];
    while (j < b.length) out[k++] = b[j++];
    return out;
  }

  /** Rule i's region passed down the rules before it; throws RegionTooLarge (every time) when that is too costly. */
  pass(i: number): Pass {
    return this.remembered(this.passes, i, (tick) => passDown(this.model.regions[i], this.model.steps(this.before(i)), tick));
  }

  /**
   * The calls rule i decides: its region less the rules before it, which does not depend on the
   * order the rules are subtracted in, so `remainder` picks the order that keeps pieces few.
   * Rules already found to decide nothing are left out: the rules before them cover them.
   */
  decidedCalls(i: number): PieceSet {
    if (this.passEveryRule) return this.pass(i).left;
    return this.remembered(this.decided, i, (tick) => this.subtractBefore(i, tick));
  }
  private readonly decided = new Map<number, PieceSet | RegionTooLarge>();

  /** decidedCalls(i) when working it out takes at most `limit` steps, else undefined (and not remembered: a larger limit may finish it). */
  decidedCallsWithin(i: number, limit: number): PieceSet | undefined {
    if (this.passEveryRule || this.decided.has(i)) return this.decidedCalls(i);
    const found = within(limit, new Budget(this.total).tick, (tick) => this.subtractBefore(i, tick));
    if (found) this.decided.set(i, found);
    return found;
  }

  private subtractBefore(i: number, tick: Tick): PieceSet {
    const before = this.before(i).filter((j) => !this.silent.has(j));
    return remainder(this.model.regions[i], this.model.steps(before), tick);
  }

  /** A question about rule i, answered once; one too costly to answer throws the same RegionTooLarge every time. */
  private remembered<T>(answers: Map<number, T | RegionTooLarge>, i: number, answer: (tick: Tick) => T): T {
    let known = answers.get(i);
    if (known === undefined) {
      try {
        known = answer(new Budget(this.total).tick);
      } catch (e) {
        if (!(e instanceof RegionTooLarge)) throw e;
        known = e;
      }
      answers.set(i, known);
    }
    if (known instanceof RegionTooLarge) throw known;
    return known;
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

/** Whether two cubes may share a call, by cheap tests on their names (see Str.mayMeet): false is proof. */
function mayMeet(calls: Cube, rule: Cube): boolean {
  return namesMayMeet(calls.tool, rule.tool) && namesMayMeet(calls.server, rule.server);
}
// Module-level rather than a closure per call: this runs millions of times, and tsx names every closure it creates.
const namesMayMeet = (a: Str.StringSet | undefined, b: Str.StringSet | undefined) => !a || !b || Str.mayMeet(a, b);

/**
 * Tool names whose rules in precedence order a mode keeps at once. A 10,000-rule policy names
 * 6,000 tools exactly and its example calls bring thousands more; kept for 4,096, the orders were
 * rebuilt again and again (the first 5,500 rules of its analysis: 20.5 s and 21.8 s with 4,096,
 * 17.8 s and 21.3 s with 32,768, in alternating runs).
 */
const MAX_TOOL_ORDERS = 32_768;

/** What `find` gives for a name, kept per name (all dropped once MAX_TOOL_ORDERS are kept). */
function keptFor<T>(kept: Map<string, T>, name: string, find: () => T): T {
  let found = kept.get(name);
  if (found === undefined) {
    if (kept.size >= MAX_TOOL_ORDERS) kept.clear();
    kept.set(name, (found = find()));
  }
  return found;
}

/** Cubes of a region whose witnesses are tried for a readable, confirmed example. */
const CONCRETE_CUBES = 3;
/** Random calls tried before the rules before a rule are subtracted from its region to learn whether it decides any. */
const SAMPLED_CALLS = 16;
const SAMPLE_SEED = 0x5eed;

const NO_HINTS: WitnessHints = { tools: [], servers: [], agents: [] };

/** Pair findings reported per rule, in precedence order: rules that decide differently, and rules that decide the same. */
export const MAX_DIFFERING_PAIRS_PER_RULE = 5;
export const MAX_SAME_PAIRS_PER_RULE = 2;

/**
 * The rules that take some of a rule's calls, in precedence order, each with a cube of those
 * calls and, when one is found, a concrete call the interpreter confirms. With `limited`, only
 * the first few that decide differently and the same. From a full pass when one is given;
 * otherwise each earlier rule is asked on its own: a pass in precedence order must follow every
 * piece of the region from rule to rule, and the pieces multiply, while each question can
 * subtract the rules in whichever order keeps them few, or be settled by one confirmed call.
 * `holder`: the position among the rules before it of the first that holds all of its calls
 * (-1: none), past which no rule takes any.
 */
function takenParts(view: ModeView, rule: Rule, from: Pass | undefined, limited: boolean, holder: number, tick: Tick): Part[] {
  const { policy } = view;
  const parts: Part[] = [];
  let differing = 0;
  let same = 0;
  const all = from ? [...from.taken.keys()] : view.before(rule.index);
  // A rule that decides nothing is often held by one of its first few candidates while hundreds follow; none after that one can take any of its calls.
  const candidates = from || limited ? all : all.slice(0, throughHolder(holder, all));
  for (const j of candidates) {
    if (limited && differing >= MAX_DIFFERING_PAIRS_PER_RULE && same >= MAX_SAME_PAIRS_PER_RULE) break;
    // Unlike removalEffect, no check whether the takers so far cover the region: with holders found by glob containment, such checks cost more steps than they spared (at 1,000 rules, 24,000 more).
    const isSame = sameOutcome(policy.rules[j], rule);
    if (limited && (isSame ? same >= MAX_SAME_PAIRS_PER_RULE : differing >= MAX_DIFFERING_PAIRS_PER_RULE)) continue;
    const part = takenPart(view, rule, j, from, tick);
    if (!part) continue;
    parts.push(part);
    if (isSame) same++;
    else differing++;
  }
  return parts;
}

/** The rules that take some of a rule's calls, among those `ask` accepts, in precedence order. */
type Takers = (ask: (j: number) => boolean) => Iterable<Part>;

/** Takers from a full pass, which found them all. */
function passTakers(parts: readonly Part[]): Takers {
  return (ask) => parts.filter((p) => ask(p.index));
}

/** Takers found by asking each of `candidates` in turn, only as far as they are read. */
function askedTakers(view: ModeView, rule: Rule, candidates: readonly number[], tick: Tick): Takers {
  return function* (ask) {
    for (const j of candidates) {
      if (!ask(j)) continue;
      const part = takenPart(view, rule, j, undefined, tick);
      if (part) yield part;
    }
  };
}

interface Shown {
  readonly witness?: WitnessCall;
  readonly confirmed: boolean;
  readonly proven: boolean;
}

/**
 * For a rule that decides nothing and that `cover`, one rule before it, holds: the one taker its
 * finding names besides the cover. The first that decides some of its calls differently,
 * preferring one with a proven witness; with none, the first that decides some the same. Naming
 * every taker instead named 181 rules per such rule at 10,000 rules, and asking for them took most
 * of the analysis. `undefined` when the cover decides differently yet no taker does: the cover
 * then takes none of the calls, and only every taker, all deciding the same, shows what covers it.
 */
function heldTaker(rules: readonly Rule[], rule: Rule, cover: Rule, takers: Takers, show: (p: Part) => Shown): { taker?: Part; shown?: Shown } | undefined {
  const differs = (j: number) => !sameOutcome(rules[j], rule);
  let possible: { taker: Part; shown: Shown } | undefined;
  for (const taker of takers(differs)) {
    const shown = show(taker);
    if (shown.proven) return { taker, shown };
    possible ??= { taker, shown };
  }
  if (possible) return possible;
  if (differs(cover.index)) return undefined;
  for (const taker of takers((j) => !differs(j))) return { taker, shown: show(taker) };
  return {};
}

/** Whether rule j takes some of `rule`'s calls, with a cube of them and, when one is found, a confirmed call. */
function takenPart(view: ModeView, rule: Rule, j: number, from: Pass | undefined, tick: Tick): Part | undefined {
  const { model } = view;
  if (view.silent.has(j)) return undefined;
  const both = andRegions(model.regions[rule.index], model.regions[j]);
  if (both.length === 0) return undefined;
  const decidedByJ = takenBy(view, rule, j);
  // Without a full pass, j takes some only if the rules before it leave some of the common calls.
  // The rules before j that can share a call with both j and the rule: the candidates before j in the list, found from j's side (a few) rather than by filtering the list (hundreds, for every j).
  // A call j was found to decide lends its names to the example calls: the readable calls both match often fall to a rule before j.
  const found = from ? { cube: from.taken.get(j)!, call: model.concrete(both, decidedByJ, tick) } : unclaimed(model, both, () => view.beforeAmong(j, model.candidates(rule.index)), decidedByJ, tick, "after", view.examples.get(j), takerOtherThan(view, j));
  if (!found) return undefined;
  // A concrete call reads better than a witness of a cube from deep in a pass.
  const cube = found.call?.cube ?? found.cube;
  return { index: j, cube, ...(found.call ? { witness: found.call.witness } : {}) };
}

// Checks of example calls, made by functions at module level rather than closures written in the
// loops that ask about thousands of rules: tsx gives every closure it creates a name at run time.

/** Whether rule j decides a call of `rule` (takes it from `rule`). */
function takenBy(view: ModeView, rule: Rule, j: number): (call: ToolCall) => boolean {
  return (call) => ruleMatchesCall(rule, call) && view.decideOn(call).index === j;
}

/** Whether `rule` decides a call that rule s would decide without it. */
function takenWithout(view: ModeView, rule: Rule, s: number): (call: ToolCall) => boolean {
  return (call) => ruleMatchesCall(rule, call) && view.decideOn(call).index === rule.index && view.decideOn(call, rule.index).index === s;
}

/** Which rule first-match gives a call it does not give rule r, or else strictest, if not rule s (-1 when both agree with the question). */
function takerInEither(fmView: ModeView, r: number, stView: ModeView, s: number): (call: ToolCall) => number {
  return (call) => {
    const fm = fmView.decideOn(call).index;
    if (fm !== r) return fm;
    const st = stView.decideOn(call).index;
    return st === s ? -1 : st;
  };
}

/** Which rule decides a call that rule j does not (-1 when j does). */
function takerOtherThan(view: ModeView, j: number): (call: ToolCall) => number {
  return (call) => {
    const taker = view.decideOn(call).index;
    return taker === j ? -1 : taker;
  };
}

/**
 * Which rule takes a call of `rule` that `rule` does not decide, or that without it rule s would
 * not decide: a rule before `rule`, or one between the two (-1 when neither, as where an opaque
 * condition keeps s from matching).
 */
function takerWithout(view: ModeView, rule: Rule, s: number): (call: ToolCall) => number {
  return (call) => {
    const first = view.decideOn(call).index;
    if (first !== rule.index) return first;
    const second = view.decideOn(call, rule.index).index;
    return second === s ? -1 : second;
  };
}

/** Later rules asked about before the first check whether the takers so far cover the region; checks follow at 16, 32, 64… */
const COVER_CHECK_START = 8;

/**
 * COVERED when the rules are proven, within QUICK_COMPARISONS, to cover the whole region; else a
 * cube of the region they leave, when the search found one. A search as long as the questions it
 * would spare (the limit before) cost 175 ms a check at 10,000 rules, where none of the first
 * 5,500 rules' 24 checks proved a cover (13 found calls left, 11 gave up); at 1,000 rules none is
 * made, since a call each rule decides stays matched by no later taker.
 */
function coveredBy(model: PolicyModel, region: Region, rules: readonly number[], tick: Tick): Cube | typeof COVERED | undefined {
  const steps = model.stepsFor(region, rules);
  return within(QUICK_COMPARISONS, tick, (t) => firstLeft(region, steps, t) ?? COVERED);
}
const COVERED = Symbol("covered");

/**
 * Cheap containment tests counted as one step of work: one is a few set lookups where a cube
 * comparison searches automata (measured on the generated 1,000-rule policy, counting each as a
 * step made the work limit stop analyses that took less time than before).
 */
const HOLDER_TESTS_PER_STEP = 16;

/**
 * The position in `rules` of the first rule whose region surely holds all of `region` (a cheap
 * test per rule, with no emptiness search), or -1 when none does: no rule after it can take any
 * of the region's calls. Rules that cover the region only together are found by subtracting
 * those that took some of its calls (see coveredBy); subtracting the first 8, 16, 32…
 * candidates, whatever they took, saved fewer questions than it cost (7 % of the cube
 * comparisons of a 1,000-rule analysis).
 */
function firstHolder(model: PolicyModel, region: Region, rules: readonly number[], tick: Tick): number {
  return holderAmong(region, rules.length, (k) => model.regions[rules[k]], tick);
}

/** How many of `rules` to ask, given the position of the first that holds the region (-1: none does, so all of them). */
const throughHolder = (holder: number, rules: readonly number[]) => (holder < 0 ? rules.length : holder + 1);

/** The first of `count` regions that surely holds all of `region`, or -1 (one step of work per HOLDER_TESTS_PER_STEP regions tested). */
function holderAmong(region: Region, count: number, regionAt: (k: number) => Region, tick: Tick): number {
  for (let k = 0; k < count; k++) {
    if (k % HOLDER_TESTS_PER_STEP === 0) tick();
    if (insideRegion(region, regionAt(k))) return k;
  }
  return -1;
}

/**
 * Some of the calls `both` (which lie in rule `other`'s region) that none of the rules `before`
 * matches, with a call `check` confirms when one is found; undefined when there are none. A
 * readable witness is tried first, then short subtractions (see QUICK_TRIES), which settle most
 * questions whose answer is none (one earlier rule often covers them all), each followed by
 * readable witnesses of the pieces it had left when it stopped (calls left often lie where
 * several globs meet, as `a_search_commentsearch_issue_x` does, which no random call finds), then random calls;
 * only what is left pays for the whole subtraction, in the order that keeps pieces few.
 * `before` gives those rules (in precedence order) only when an example call has not settled the
 * question: most are settled by one, and the list is hundreds of rules long in a large policy.
 * `holders`: when to test for one rule of `before` that holds all of the calls. "first" where most
 * of the caller's questions have no calls for an answer (whether a later rule takes some of a
 * removed rule's calls, whether two modes disagree on a pair), so the test comes before the
 * example call; "after" it, otherwise; "tested" where the caller has already found none.
 * `near`: a call known to lie close to the answer, whose names example calls try next to the policy's.
 * `taker`: which rule wrongly takes a call that fails `check` (see guidedCall).
 */
type HolderTest = "first" | "after" | "tested";

function unclaimed(model: PolicyModel, both: Region, before: () => readonly number[], check: (call: ToolCall) => boolean, tick: Tick, holders: HolderTest, near?: WitnessCall, taker?: (call: ToolCall) => number): { cube: Cube; call?: ConcreteCall } | undefined {
  // The holder test runs on the rules as given: leaving out those that cannot meet the calls (stepsFor) costs more than testing them, and none of them holds the calls.
  let rules = holders === "first" ? before() : undefined;
  if (rules && firstHolder(model, both, rules, tick) >= 0) return undefined;
  const seen = model.concrete(both, check, tick, near);
  if (seen) return { cube: seen.cube, call: seen };
  rules ??= before();
  if (holders === "after" && firstHolder(model, both, rules, tick) >= 0) return undefined;
  const guided = taker && guidedCall(model, both, check, taker, tick);
  if (guided) return { cube: guided.cube, call: guided };
  const steps = model.stepsFor(both, rules);
  let quick: PieceSet | undefined;
  for (const limit of QUICK_TRIES) {
    let partial: PieceSet | undefined;
    quick = within(limit, tick, (t) => remainder(both, steps, t, (left) => (partial = left)));
    if (quick) break;
    const seenLeft = partial && model.concrete(partial.cubes(), check, tick);
    if (seenLeft) return { cube: seenLeft.cube, call: seenLeft };
  }
  const sampled = quick ? undefined : model.sampled(both, check, tick);
  if (sampled) return { cube: sampled.cube, call: sampled };
  const cube = quick ? quick.first() : firstLeft(both, steps, tick);
  return cube ? { cube } : undefined;
}

/**
 * Rules guidedCall cuts, one per example call that fails, before it leaves the question to
 * subtraction (the costliest rule of a 10,000-rule policy: 14.9 s with none, 7.7 s with 6, 2.9 s
 * with 16). With 64, no question of the complete 10,000-rule analysis is left to a full
 * subtraction: with 16, three were, at about 1.2 s each; more than 64 saves no steps.
 */
const GUIDED_ROUNDS = 64;

/**
 * A call in the region that passes `check`, found by following the example calls that fail: the
 * rule that takes such a call instead (`taker`, a rule that takes precedence, so that no call it
 * matches can pass) is cut from the region, and the next example call is drawn from what is
 * left. The readable calls of `*share_repo3*` and `stripe_[rw]*` end in `_repo3`, and a later
 * `*_repo3` takes them all; cut it, and `stripe_rshare_repo3x` passes, where a subtraction of
 * the 1,200 rules before it took 190 ms. Undefined when no call is found within GUIDED_ROUNDS
 * (which proves nothing: the question goes on to subtraction).
 */
function guidedCall(model: PolicyModel, region: Region, check: (call: ToolCall) => boolean, taker: (call: ToolCall) => number, tick: Tick): ConcreteCall | undefined {
  const left = new PieceSet(region);
  for (let round = 0; round < GUIDED_ROUNDS; round++) {
    const cube = left.first();
    const witness = cube && cubeWitness(cube, model.hints);
    if (!witness) return undefined;
    chargeCall(tick);
    const call = toToolCall(witness);
    if (check(call)) return { cube, witness };
    const t = taker(call);
    if (t < 0) return undefined;
    for (const c of model.regions[t]) left.remove(c, tick);
  }
  return undefined;
}

export function analyzePolicy(policy: Policy, options: AnalysisOptions = {}): Finding[] {
  return analyzePolicyWithStats(policy, options).findings;
}

/** How far an analysis got, for the benchmark and for anyone tuning `workLimit`. */
export interface AnalysisStats {
  /** Rules whose questions were asked (finished or stopped at their own limit), over all modes analysed. */
  readonly rulesAnalysed: number;
  /** Rules the whole limit left unasked. */
  readonly rulesLeft: number;
  /** Steps of work made: one per cube comparison, four per example call checked with the interpreter. */
  readonly workSteps: number;
  /** Whether a worker thread compared the modes, beside the rules' own analysis. */
  readonly modesBeside: boolean;
}

export function analyzePolicyWithStats(written: Policy, options: AnalysisOptions = {}): { findings: Finding[]; stats: AnalysisStats } {
  // Rules that can fail closed are analysed as a rule that matches and an entry that blocks where its conditions fail.
  const policy = failClosedPolicy(written);
  const model = new PolicyModel(policy);
  const findings: Finding[] = [];
  const total = work(options.workLimit);
  let rulesAnalysed = 0;
  let rulesLeft = 0;
  let modeSteps = 0;
  let modesBeside = false;
  const finish = () => ({ findings: findingsForRules(written, policy, findings), stats: { rulesAnalysed, rulesLeft, workSteps: Math.min(total.steps, total.limit) + modeSteps, modesBeside } });
  const modes = options.modes ?? [policy.combine];
  const comparesModes = !policy.combineExplicit && options.modes === undefined;
  const unsatisfiable = unsatisfiableRules(model);
  for (const index of unsatisfiable) findings.push(unsatisfiableFinding(policy.rules[index], policy.combine));
  const views = new Map<Combine, ModeView>();
  const view = (combine: Combine) => views.get(combine) ?? views.set(combine, new ModeView(model, combine, total, options.passEveryRule)).get(combine)!;
  // A large policy's modes are compared on the other core while its rules are analysed here (in strictest order, which the comparison follows).
  const beside = comparesModes && !options.passEveryRule && (options.modesInWorker ?? policy.rules.length >= MODES_IN_WORKER_FROM_RULES) ? ModesBeside.start(policy, options.workLimit) : undefined;
  /** The findings of each rule in each mode analysed; false when the work limit stopped them (and the modes are not compared). */
  const rulesOwnFindings = (): boolean => {
    for (const combine of modes) {
      const order = view(combine).order;
      for (const [k, index] of order.entries()) {
        if (!unsatisfiable.has(index)) {
          try {
            findings.push(...ruleFindings(view(combine), index, total));
            rulesAnalysed++;
          } catch (e) {
            if (e instanceof AnalysisExhausted) {
              findings.push(exhaustedFinding(policy.rules[index], combine, order.length - k, comparesModes));
              rulesLeft = order.length - k;
              return false;
            }
            if (!(e instanceof RegionTooLarge)) throw e;
            findings.push(incompleteFinding(policy.rules[index], combine, e));
            rulesAnalysed++;
          }
        }
        beside?.settled(k + 1, index, view(combine).silent.has(index));
      }
    }
    return true;
  };
  let finished = false;
  try {
    finished = rulesOwnFindings();
  } finally {
    // Stopped by the limit or by a failure, the worker must not wait for rules that will never be settled.
    if (!finished) beside?.stop();
  }
  if (!finished) return finish();
  if (comparesModes) {
    // The comparison has a work limit of its own. Where no worker answered, the modes are compared here, after the rules.
    const comparison = work(options.workLimit);
    const answered = beside?.answer();
    modesBeside = answered !== undefined;
    const compared = answered ?? modesCompared(view("first-match").chargeTo(comparison), view("strictest").chargeTo(comparison), unsatisfiable, comparison, () => true)!;
    modeSteps = compared.steps;
    if ("exhausted" in compared) findings.push(exhaustedFinding(policy.rules[0], policy.combine, 0, true));
    else findings.push(...compared.findings);
  }
  return finish();
}

/** Rules of `from` rules or more have their modes compared in a worker thread, beside the rules' own analysis: at 10,000 rules the comparison is a quarter of the work, while below a few thousand starting a thread costs more than it saves. */
export const MODES_IN_WORKER_FROM_RULES = 2_000;

function unsatisfiableRules(model: PolicyModel): Set<number> {
  return new Set(model.policy.rules.filter((r) => isEmptyRegion(model.regions[r.index])).map((r) => r.index));
}

/** The mode findings and the steps they took, or that the comparison spent its limit; undefined when `reach` says the rules' own analysis stopped first. */
function modesCompared(fmView: ModeView, stView: ModeView, unsatisfiable: ReadonlySet<number>, comparison: Work, reach: (rank: number) => boolean): { findings: Finding[]; steps: number } | { exhausted: true; steps: number } | undefined {
  try {
    const findings = modeDependence(fmView, stView, unsatisfiable, comparison, reach);
    return findings && { findings, steps: comparison.steps };
  } catch (e) {
    if (!(e instanceof AnalysisExhausted)) throw e;
    return { exhausted: true, steps: Math.min(comparison.steps, comparison.limit) };
  }
}

/**
 * Where the modes disagree, on a model of its own: what the worker of ModesBeside runs.
 * `reach(rank, order, decidesNothing)` waits until the rules' own analysis has settled the first
 * `rank` rules of strictest `order`, and adds those that decide nothing.
 */
export function compareModes(policy: Policy, workLimit: number | undefined, reach: (rank: number, order: readonly number[], decidesNothing: Set<number>) => boolean): { findings: Finding[]; steps: number } | { exhausted: true; steps: number } | undefined {
  const model = new PolicyModel(policy);
  const comparison = work(workLimit);
  const stView = new ModeView(model, "strictest", comparison);
  const fmView = new ModeView(model, "first-match", comparison);
  return modesCompared(fmView, stView, unsatisfiableRules(model), comparison, (rank) => reach(rank, stView.order, stView.silent));
}

const RAISE_LIMIT = "raise the limit with `aegisc check --analysis-limit <steps>` (0: no limit)";

/** Where the whole analysis stopped: at a rule (`left` rules not analysed, and the modes not compared when they would have been), or while comparing the modes. */
function exhaustedFinding(rule: Rule, combine: Combine, left: number, modesUncompared: boolean): Finding {
  const modes = modesUncompared ? ", and the two combine modes were not compared" : "";
  const message =
    left > 0
      ? `The analysis stopped at its work limit here: ${q(rule)} and ${left - 1} later rule(s) were not analysed${modes}.`
      : "The analysis stopped at its work limit while comparing the two combine modes.";
  return { ...incompleteFinding(rule, combine, new QuestionTooLong()), message };
}

/**
 * A rule whose question went past a limit: its share of the work limit (which can be raised), or
 * the size of a region. `unsettled`: the one question left open, when its other findings stand.
 */
function incompleteFinding(rule: Rule, combine: Combine, cause: RegionTooLarge, unsettled?: string): Finding {
  const work = cause instanceof QuestionTooLong;
  return {
    kind: "incomplete",
    severity: "info",
    rule,
    others: [],
    certainty: "possible",
    combine,
    message: unsettled
      ? `The analysis of ${q(rule)} stopped at its ${work ? "work" : "size"} limit before it settled ${unsettled}; its other findings are complete.`
      : `The analysis of ${q(rule)} stopped at its ${work ? "work" : "size"} limit; its findings may be missing.`,
    ...(work ? { hint: RAISE_LIMIT } : {}),
  };
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

function ruleFindings(view: ModeView, index: number, total: Work): Finding[] {
  const { model, policy } = view;
  const rule = policy.rules[index];
  const combine = policy.combine;
  const budget = new Budget(total);
  const own = model.regions[index];
  const matches = (call: ToolCall) => ruleMatchesCall(rule, call);
  const decidesHere = (call: ToolCall) => matches(call) && view.decideOn(call).index === index;
  // A call the rule is confirmed to decide settles that it decides some; only otherwise are the rules before it subtracted.
  const pass = view.passEveryRule ? view.pass(index) : undefined;
  // An earlier rule that holds all of its calls settles that it decides none, with no example call tried: most rules that decide nothing are so held (at 1,000 rules, 655 of 665).
  const holder = pass ? -1 : firstHolder(model, own, view.before(index), budget.tick);
  const given = pass || holder >= 0 ? undefined : unclaimed(model, own, () => view.before(index).filter((e) => !view.silent.has(e)), decidesHere, budget.tick, "tested", undefined, takerOtherThan(view, index));
  // Where a subtraction found the calls it decides, a readable call of them usually confirms, and what removing the rule changes is then asked near that call.
  const decided = pass ? (model.concrete(own, decidesHere, budget.tick) ?? model.sampled(own, decidesHere, budget.tick)) : given && (given.call ?? model.confirmed(given.cube, decidesHere, budget.tick));
  const effective = pass ? (decided?.cube ?? pass.left.first()) : given?.cube;
  // A rule that never decides names what covers it; one that does gets its first few overlaps.
  if (!effective) view.silent.add(index);
  if (decided) view.examples.set(index, decided.witness);
  const findings: Finding[] = [];
  const opaque = (...idx: number[]) => idx.some((i) => model.opaque[i]);
  const decidedBy = (j: number) => (call: ToolCall) => matches(call) && ruleMatchesCall(policy.rules[j], call) && view.decideOn(call).index === j;
  // A part found by a concrete call already has its witness, confirmed by the interpreter.
  const partWitness = (p: Part) => (p.witness ? { witness: p.witness, confirmed: true } : model.witness(p.cube, decidedBy(p.index)));

  // A rule that decides nothing and that one earlier rule holds is named as covered by that rule, with the first that decides some of its calls differently.
  const coverAt = effective ? -1 : pass ? firstHolder(model, own, view.before(index), budget.tick) : holder;
  if (coverAt >= 0) {
    const cover = policy.rules[view.before(index)[coverAt]];
    const takers = pass ? passTakers(takenParts(view, rule, pass, false, -1, budget.tick)) : askedTakers(view, rule, view.before(index).slice(0, coverAt + 1), budget.tick);
    const held = heldTaker(policy.rules, rule, cover, takers, (p) => {
      const shown = partWitness(p);
      return { ...shown, proven: shown.confirmed || !opaque(index, p.index) };
    });
    if (held) return [heldFinding(rule, cover, held.taker && policy.rules[held.taker.index], held.shown, combine)];
  }
  const parts = takenParts(view, rule, pass, effective !== undefined, holder, budget.tick);
  if (!effective) {
    // Never decides: every call it matches is taken by the rules before it (possibly several together).
    const others = parts.map((p) => policy.rules[p.index]);
    const names = ruleList(others, others.length === 2 ? " and " : ", ");
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
    const winnerInside = !same && passDown(model.regions[part.index], [{ index, region: own }], budget.tick).left.size === 0;
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
  const changesWithout = (call: ToolCall) => !sameOutcome(view.decideOn(call, index), rule);
  let changes = decided !== undefined && changesWithout(toToolCall(decided.witness));
  // Other calls it decides, drawn at random, before passing what it decides down every later rule.
  if (!changes && decided) changes = model.sampled(own, (call) => decidesHere(call) && changesWithout(call), budget.tick) !== undefined;
  let takers: number[] = [];
  let toDefaults = false;
  let covered: boolean | undefined;
  if (!changes) {
    try {
      ({ changes, takers, toDefaults, covered } = removalEffect(view, rule, budget, decided?.witness));
    } catch (e) {
      if (!(e instanceof RegionTooLarge)) throw e;
      // The findings so far stand; only whether the rule is redundant is left open.
      findings.push(incompleteFinding(rule, combine, e, "whether removing it would change any decision"));
      return findings;
    }
  }
  if (!changes) {
    const others = takers.map((t) => policy.rules[t]);
    const { witness, confirmed } = decided ? { witness: decided.witness, confirmed: true } : model.witness(effective, decidesHere);
    const names = [...(others.length > 0 ? [ruleList(others, " and ")] : []), ...(toDefaults ? ["the defaults"] : [])];
    findings.push({
      kind: "redundant",
      severity: "warning",
      rule,
      others,
      withDefaults: toDefaults,
      ...(witness ? { witness } : {}),
      certainty: confirmed || !opaque(index, ...takers) ? "proven" : "possible",
      combine,
      message: covered
        ? `${q(rule)} is redundant: without it, the rules after it would decide its calls the same way (${outcomeText(rule)}), and ${q(others[0])} covers them all.`
        : `${q(rule)} is redundant: without it, ${names.join(" and ")} would decide its calls the same way (${outcomeText(rule)}).`,
      hint: `remove ${q(rule)}`,
    });
  }
  return findings;
}

/**
 * The finding for a rule that decides nothing and that `cover`, one rule before it, holds:
 * `shadowed` when `taker` decides some of its calls differently, else `unreachable`.
 * `shown`: the taker's witness, whether the interpreter confirmed it, and whether it is proof.
 */
function heldFinding(rule: Rule, cover: Rule, taker: Rule | undefined, shown: Shown | undefined, combine: Combine): Finding {
  if (taker && !sameOutcome(taker, rule)) {
    const proven = shown?.proven ?? false;
    const differently = `decides ${proven ? "" : "possibly "}differently (${outcomeText(taker)})`;
    return {
      kind: "shadowed",
      severity: "error",
      rule,
      // In precedence order: the taker comes no later than the first rule that holds all the calls.
      others: taker === cover ? [cover] : [taker, cover],
      ...(shown?.witness ? { witness: shown.witness } : {}),
      certainty: proven ? "proven" : "possible",
      combine,
      message:
        taker === cover
          ? `${q(rule)} (${outcomeText(rule)}) never decides: ${q(cover)} covers it and ${differently}.`
          : `${q(rule)} (${outcomeText(rule)}) never decides: ${q(cover)} covers it, and ${q(taker)} takes some of its calls first and ${differently}.`,
      hint: combine === "first-match" ? `move ${q(rule)} above ${q(taker)}, or narrow the earlier rules` : `narrow ${q(taker)} or remove ${q(rule)}`,
    };
  }
  // Unreachability is proven by the cover; an example is shown only when the interpreter confirms it.
  return {
    kind: "unreachable",
    severity: "warning",
    rule,
    others: [cover],
    ...(shown?.confirmed && shown.witness ? { witness: shown.witness } : {}),
    certainty: "proven",
    combine,
    message: `${q(rule)} never decides: ${q(cover)} covers it with the same outcome, so it is redundant.`,
    hint: `remove ${q(rule)}`,
  };
}

interface RemovalEffect {
  readonly changes: boolean;
  /** Later rules deciding the same that take some of the rule's calls; or, with `covered`, the first later rule that holds them all. */
  readonly takers: number[];
  readonly toDefaults: boolean;
  /** A later rule deciding the same holds all of the rule's calls, and no later rule before it that decides differently takes any. */
  readonly covered?: boolean;
}

/**
 * What removing a rule would change: each later rule, in precedence order, is asked whether it
 * would take some of the rule's calls (calls both match that no rule before the rule, and no
 * later rule before it, matches), and then whether some would fall to the defaults. A later rule
 * that decides differently and takes some (or defaults that differ and get some) is a change;
 * later rules that decide the same and take some are named in the redundancy finding. The rules
 * before the rule and the later rules that took some match, of the rule's calls, all that the
 * later rules asked so far match (a later rule that took none was covered by them): once they
 * cover all of its calls, the rest need no asking (see coveredBy).
 */
function removalEffect(view: ModeView, rule: Rule, budget: Budget, decidedCall?: WitnessCall): RemovalEffect {
  const { model, policy } = view;
  const i = rule.index;
  const differs = (t: number) => !sameOutcome(policy.rules[t], rule);
  if (view.passEveryRule) return removalEffectByPass(view, rule, view.decidedCalls(i), budget);
  const before = view.before(i).filter((e) => !view.silent.has(e));
  // Calls that are a few pieces pass down the later rules at once, cheaper than asking each of
  // them (thousands, for a broad rule of a large policy); many pieces would multiply on the way.
  // Working out those pieces is given up once it costs more than asking each later rule would
  // start with: for a rule on any tool, with hundreds of rules before it, it cost 100,000 steps
  // and more, most of the work limit of a 1,000-rule policy, only to find too many pieces.
  const own = model.regions[i];
  const after = view.after(i);
  let decided: PieceSet | undefined;
  try {
    decided = view.decidedCallsWithin(i, Math.min(MAX_DECIDED_STEPS, DECIDED_STEPS_PER_LATER_RULE * after.length));
  } catch (e) {
    if (!(e instanceof RegionTooLarge)) throw e;
  }
  if (decided && decided.size <= FEW_PIECES) {
    // The pass is a shortcut: where the pieces multiply past the size limit on the way down, each later rule is asked instead.
    try {
      return removalEffectByPass(view, rule, decided, budget);
    } catch (e) {
      if (!(e instanceof RegionTooLarge) || e instanceof QuestionTooLong) throw e;
    }
  }
  const takers: number[] = [];
  const ownCandidates = model.candidates(i);
  // Calls the rule decides that no later taker so far matches: while one is left, the takers cannot cover the rule and no cover check is made (at 10,000 rules, 399 of 400 checks failed, at 18 ms each).
  let uncovered = decidedCall ? [toToolCall(decidedCall)] : [];
  const matchedByTaker = (call: ToolCall) => takers.some((t) => ruleMatchesCall(policy.rules[t], call));
  // A later rule that holds all of the rule's calls takes whatever the later rules before it leave: none after it takes any, and none falls to the defaults.
  const holder = firstHolder(model, own, after, budget.tick);
  const asked = after.slice(0, throughHolder(holder, after));
  // Whether later rule s would take some of the rule's calls: calls both match that no rule before the rule, and no later rule before s, matches.
  const takes = (s: number) => {
    const both = andRegions(own, model.regions[s]);
    if (both.length === 0) return false;
    // The rules that can take a common call first: those before s that can share a call with both, found from s's side as in takenParts.
    // Example calls also try the names of a call the rule is known to decide: the readable names of the calls both match often fall to a rule before it (in strictest order, a `*_issue10` that blocks comes before an `*archive_issue10*` that asks).
    return unclaimed(model, both, () => view.beforeAmong(s, ownCandidates, i), takenWithout(view, rule, s), budget.tick, "first", decidedCall, takerWithout(view, rule, s)) !== undefined;
  };
  // The question for each later rule does not depend on the others' answers, so those that decide differently are asked first: one that takes some settles that removing the rule changes a decision, and the rules deciding the same before it need not be asked (most rules of a large policy matter).
  if (asked.some((s) => differs(s) && takes(s))) return { changes: true, takers: [], toDefaults: false };
  // A later rule deciding the same that holds all of the calls is named alone, as a rule that decides nothing is named by its holder: asking which rules before it take some named 28 rules per redundant rule at 10,000 rules.
  if (holder >= 0 && !differs(after[holder])) return { changes: false, takers: [after[holder]], toDefaults: false, covered: true };
  for (const [k, s] of asked.entries()) {
    // The rules before the rule and the later takers so far match what every rule up to here matches of the rule's calls: once they match them all, no later rule takes any and none fall to the defaults.
    if (k >= COVER_CHECK_START && (k & (k - 1)) === 0 && (uncovered = uncovered.filter((c) => !matchedByTaker(c))).length === 0) {
      const left = coveredBy(model, own, [...before, ...takers], budget.tick);
      if (left === COVERED) return { changes: false, takers, toDefaults: false };
      const found = left && model.confirmed(left, (call) => view.decideOn(call).index === i && !matchedByTaker(call), budget.tick);
      if (found) uncovered.push(toToolCall(found.witness));
    }
    if (!differs(s) && takes(s)) takers.push(s);
  }
  const toDefaults = holder < 0 && firstLeft(own, model.stepsFor(own, [...before, ...after]), budget.tick) !== undefined;
  return { changes: toDefaults && !sameOutcome(policy.defaults, rule), takers, toDefaults };
}

/** A call's names as the names a witness tries first, built once per call (string sets keep their witnesses per list of names). */
function namesOf(call: WitnessCall): WitnessHints {
  let names = callNames.get(call);
  if (!names) callNames.set(call, (names = { tools: [call.tool], servers: [call.server], agents: call.agent === undefined ? [] : [call.agent] }));
  return names;
}
const callNames = new WeakMap<WitnessCall, WitnessHints>();

/**
 * Steps the calls a rule decides may take to work out, per later rule, before its removal effect
 * asks each later rule instead. One: since asking stops once the takers cover the rule, asking is
 * cheap where the pieces are many, and two example calls' worth per later rule (the budget before)
 * was mostly spent finding too many pieces (at 1,000 rules, five rules on any tool spent 100 ms
 * each so, then settled by asking in 20 ms).
 */
const DECIDED_STEPS_PER_LATER_RULE = 1;
/**
 * And at most this many: at 10,000 rules, the 79 rules (of the first 2,524) whose decided calls
 * were not found within a step per later rule had thousands of later rules, and spent 2.7 s so
 * (the first 2,500 rules: 23.5 s uncapped, 18.5 s with a cap of 1,000). Since example calls are
 * followed and the takers' share is found from their side, asking each later rule is cheap
 * enough that a cap of 100 does better still (the first 5,500 rules: 27.2 s with 1,000, 21.7 s
 * with 300, 21.2 s with 100, 22.0 s with 30).
 */
const MAX_DECIDED_STEPS = 100;

/** Decided calls of at most this many pieces are passed down the later rules at once. */
const FEW_PIECES = 64;

/** The same, from one pass of the calls the rule decides down the later rules. */
function removalEffectByPass(view: ModeView, rule: Rule, decided: PieceSet, budget: Budget): RemovalEffect {
  const policy = view.policy;
  const differs = (t: number) => !sameOutcome(policy.rules[t], rule);
  const after = view.after(rule.index);
  const { left, taken } = passDown(decided, view.model.steps(after), budget.tick, differs);
  if ([...taken.keys()].some(differs)) return { changes: true, takers: [], toDefaults: false };
  // As removalEffect names them: a later rule deciding the same that holds all of the calls, alone.
  const holder = firstHolder(view.model, view.model.regions[rule.index], after, budget.tick);
  if (holder >= 0 && !differs(after[holder])) return { changes: false, takers: [after[holder]], toDefaults: false, covered: true };
  const toDefaults = left.size > 0;
  return { changes: toDefaults && !sameOutcome(policy.defaults, rule), takers: [...taken.keys()], toDefaults };
}

interface Disagreement {
  /** The rule strictest lets decide where first-match lets r decide. */
  readonly s: number;
  /** Such a call, and whether the interpreter confirms it. */
  readonly witness?: WitnessCall;
  readonly confirmed: boolean;
}

/**
 * The first few rules, in strictest's order, that strictest lets decide some calls that
 * first-match gives to rule r, with a different outcome. A rule first-match is seen to give a
 * call is asked about each such rule on its own (the calls both match, less those the rules
 * before r in first-match or before s in strictest take); otherwise the calls r decides under
 * first-match (often none) are passed down strictest's order once.
 */
function disagreements(fmView: ModeView, stView: ModeView, r: number, tick: Tick): Disagreement[] {
  const model = fmView.model;
  const policy = model.policy;
  const rule = policy.rules[r];
  const differs = (s: number) => !sameOutcome(policy.rules[s], rule);
  // A call first-match gives to r matches no rule above r in the file, so only rules below it can take it in strictest.
  const stBefore = stView.before(r).filter((s) => s > r);
  const disagree = (s: number) => (call: ToolCall) => ruleMatchesCall(rule, call) && fmView.decideOn(call).index === r && stView.decideOn(call).index === s;
  const out: Disagreement[] = [];
  // A concrete call from the first cubes of the pair reads better than one from deep in a pass.
  const add = (s: number, seen: ConcreteCall | undefined, cube: Cube) => out.push({ s, ...(seen ? { witness: seen.witness, confirmed: true } : model.witness(cube, disagree(s))) });
  const fmDecidesHere = (call: ToolCall) => ruleMatchesCall(rule, call) && fmView.decideOn(call).index === r;
  // Whether first-match gives r any call, settled as cheaply as `unclaimed` can (first by a rule above it that holds all of its calls): with none, there is nothing to compare.
  const fmGiven = fmView.passEveryRule ? undefined : unclaimed(model, model.regions[r], () => fmView.before(r), fmDecidesHere, tick, "first", undefined, takerOtherThan(fmView, r));
  if (!fmView.passEveryRule && !fmGiven) return out;
  // As for a rule's decided calls: a readable call of what a subtraction found usually confirms, and spares passing those calls down strictest's order.
  const fmDecides = fmGiven && (fmGiven.call ?? model.confirmed(fmGiven.cube, fmDecidesHere, tick));
  if (!fmDecides || fmView.passEveryRule) {
    let differing = 0;
    const { taken } = passDown(fmView.decidedCalls(r), model.steps(stBefore), tick, (s) => differs(s) && ++differing >= MAX_DIFFERING_PAIRS_PER_RULE);
    for (const [s, cube] of taken) {
      if (differs(s)) add(s, model.concrete(andRegions(model.regions[r], model.regions[s]), disagree(s), tick), cube);
    }
    return out;
  }
  const fmBefore = fmView.before(r);
  const fmBeforeSet = new Set(fmBefore);
  for (const [k, s] of stBefore.entries()) {
    if (out.length >= MAX_DIFFERING_PAIRS_PER_RULE) break;
    // A rule found to decide nothing in strictest order (its own analysis ran first) cannot be the one strictest lets decide.
    if (!differs(s) || stView.silent.has(s)) continue;
    const both = andRegions(model.regions[r], model.regions[s]);
    if (both.length === 0) continue;
    const near = model.candidates(s);
    const found = unclaimed(model, both, () => rulesBeforeBoth(fmBefore, fmBeforeSet, stBefore, k, near), disagree(s), tick, "first", fmDecides.witness, takerInEither(fmView, r, stView, s));
    if (found) add(s, found.call, found.cube);
  }
  return out;
}

/**
 * The rules that can take a call before first-match gives it to r or strictest to s: those before
 * r in first-match, then strictest's first `k` rules before r that are not among them, each
 * among s's candidates `near`; filtered list by list, since this is built for hundreds of s.
 */
function rulesBeforeBoth(fmBefore: readonly number[], fmBeforeSet: ReadonlySet<number>, stBefore: readonly number[], k: number, near: RuleBits): number[] {
  const out = fmBefore.filter((e) => near.has(e));
  for (let m = 0; m < k; m++) {
    const e = stBefore[m];
    if (near.has(e) && !fmBeforeSet.has(e)) out.push(e);
  }
  return out;
}

/**
 * Calls that `strictest` and `first-match` decide differently, for policies that do not state
 * `combine:`: the mode-dependent findings, reported in file order; undefined when `reach` says the rules' own
 * analysis stopped first. The rules are asked in strictest order: a rule's questions read which
 * rules before it in that order decide nothing, and `reach(rank)` returns once the rules' own
 * analysis (in a worker: on the other thread) has settled the first `rank` of them.
 */
function modeDependence(fmView: ModeView, stView: ModeView, unsatisfiable: ReadonlySet<number>, total: Work, reach: (rank: number) => boolean = () => true): Finding[] | undefined {
  const model = fmView.model;
  const policy = model.policy;
  const byRule = new Map<number, Finding[]>();
  for (const [rank, r] of stView.order.entries()) {
    if (unsatisfiable.has(r)) continue;
    if (!reach(rank)) return undefined;
    const rule = policy.rules[r];
    const tick = new Budget(total).tick;
    const findings: Finding[] = [];
    byRule.set(r, findings);
    try {
      for (const { s, witness, confirmed } of disagreements(fmView, stView, r, tick)) {
        const other = policy.rules[s];
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
      findings.push(incompleteFinding(rule, policy.combine, e));
    }
  }
  return fmView.order.flatMap((r) => byRule.get(r) ?? []);
}

/**
 * Whether the policy blocks every call of `tool` on `server` whatever its arguments, time and
 * agent (or for the given agent): the rules that can match such calls and the defaults all say
 * `block`. Used to hide such tools from an MCP client. Opaque conditions can only make a rule
 * match less, so a non-block rule that might match keeps the tool visible (never hidden wrongly).
 */
export function blocksEveryCall(written: Policy, target: { server: string; tool: string; agent?: string }): boolean {
  const policy = failClosedPolicy(written);
  const model = new PolicyModel(policy);
  const cube: Cube = {
    params: new Map(),
    atoms: new Map(),
    tool: Str.exactly(target.tool),
    server: Str.exactly(target.server),
    ...(target.agent !== undefined ? { agent: Str.exactly(target.agent) } : {}),
  };
  const order = precedenceOrder(policy);
  try {
    const { left, taken } = passDown([cube], model.steps(order), new Budget(work()).tick);
    if ([...taken.keys()].some((j) => policy.rules[j].approval !== "block")) return false;
    return policy.defaults.approval === "block" || left.size === 0;
  } catch (e) {
    if (e instanceof RegionTooLarge) return false;
    throw e;
  }
}
