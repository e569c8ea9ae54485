// The calls each rule decides in one combine mode (its region less the rules before it), as indexed disjoint cubes that every question about the rule shares.

import { intersect, RegionTooLarge, STRING_DIMS, subtract, type Cube, type Region } from "./region.ts";
import * as Str from "./string-set.ts";

/** Counts cube comparisons; throws (the caller's error) once a limit is passed. */
export type Tick = () => void;

/**
 * A union of disjoint cubes, indexed by tool name: most rules name one tool exactly, so a cube
 * that names one meets only the pieces naming it and the few "open" pieces whose tool set is a
 * glob. Subtracting a rule with an exact name from a `*` rule then touches one piece, not all.
 */
export class PieceSet {
  /** Pieces whose tool set is exactly one name, by that name. */
  private readonly named = new Map<string, Cube[]>();
  /** Every other piece. */
  private readonly open: Cube[] = [];
  /** Names moved out of the open pieces: no open piece holds them, now or after any removal. */
  private readonly splitOff = new Set<string>();
  private count = 0;

  constructor(cubes: Iterable<Cube> = []) {
    for (const c of cubes) this.add(c);
  }

  get size(): number {
    return this.count;
  }

  /** The pieces, open ones first, then by name in the order names were first seen. */
  cubes(): Cube[] {
    const out = [...this.open];
    for (const list of this.named.values()) out.push(...list);
    return out;
  }

  first(): Cube | undefined {
    if (this.open.length > 0) return this.open[0];
    for (const list of this.named.values()) if (list.length > 0) return list[0];
    return undefined;
  }

  private add(c: Cube): void {
    const words = c.tool && Str.wordsOf(c.tool);
    if (!words) {
      this.open.push(c);
      this.count++;
      return;
    }
    for (const w of words) {
      const piece = words.size === 1 ? c : { ...c, tool: Str.exactly(w) };
      const list = this.named.get(w);
      if (list) list.push(piece);
      else this.named.set(w, [piece]);
      this.count++;
    }
  }

  /**
   * Moves the given names out of the open pieces into pieces of their own, so that later
   * subtracting rules with those exact names never touches (and never lengthens) an open
   * piece's tool set: `* \ {a} \ {b} …` would grow by one complement per rule.
   */
  splitNames(names: ReadonlySet<string>, tick: Tick): void {
    for (const w of names) this.splitOff.add(w);
    if (names.size === 0 || this.open.length === 0) return;
    const open = this.open.splice(0);
    this.count -= open.length;
    for (const piece of open) {
      const inside: string[] = [];
      for (const w of names) {
        tick();
        if (!piece.tool || Str.has(piece.tool, w)) inside.push(w);
      }
      if (inside.length === 0) {
        this.add(piece);
        continue;
      }
      const rest = intersect(piece, { ...piece, tool: Str.not(Str.exactly(...inside)) });
      if (rest) this.add(rest);
      for (const w of inside) {
        const one = intersect(piece, { ...piece, tool: Str.exactly(w) });
        if (one) this.add(one);
      }
    }
  }

  /** The pieces that can meet a cube: those naming one of its tools (all named ones when it names none), and the open ones. */
  private *near(c: Cube, tick: Tick): Generator<Cube[]> {
    const words = c.tool && Str.wordsOf(c.tool);
    if (words) {
      // Open pieces were cut free of split-off names and every piece made from them stays so.
      if ([...words].some((w) => !this.splitOff.has(w))) yield this.open;
      for (const w of words) {
        const list = this.named.get(w);
        if (list) yield list;
      }
      return;
    }
    yield this.open;
    for (const [w, list] of this.named) {
      tick();
      if (!c.tool || Str.has(c.tool, w)) yield list;
    }
  }

  /** Removes the calls of `c`; answers with a cube of those this set held, if it held any. */
  remove(c: Cube, tick: Tick): Cube | undefined {
    let taken: Cube | undefined;
    const replaced: Cube[] = [];
    for (const list of this.near(c, tick)) {
      for (let i = 0; i < list.length; i++) {
        tick();
        const both = intersect(list[i], c);
        if (!both) continue;
        taken ??= both;
        replaced.push(...subtract(list[i], c, both));
        list[i] = list[list.length - 1];
        list.pop();
        this.count--;
        i--;
      }
    }
    for (const piece of replaced) this.add(piece);
    if (this.count > MAX_PIECES) throw new RegionTooLarge(`more than ${MAX_PIECES} pieces`);
    return taken;
  }
}

/** Beyond this many pieces a set of calls is not followed further: the question is reported as not fully analysed. */
export const MAX_PIECES = 3_000;

/** A rule as a step of a pass: its index and its region. */
export interface Step {
  readonly index: number;
  readonly region: Region;
}

export interface Pass {
  /** The calls no step took. */
  readonly left: PieceSet;
  /** Each step that took some calls, in the order of the steps, with a cube of the calls it took. */
  readonly taken: ReadonlyMap<number, Cube>;
}

/**
 * Passes a set of calls down rules in precedence order, each rule taking what it matches of
 * what is left: who decides which of the calls, and which calls fall through. `stop` ends the
 * pass early once a taker answers the question. Names that steps spell out exactly are split
 * off first, so that such a step touches only its own pieces.
 */
export function passDown(calls: Region | PieceSet, steps: readonly Step[], tick: Tick, stop?: (index: number) => boolean): Pass {
  const left = new PieceSet(calls instanceof PieceSet ? calls.cubes() : calls);
  left.splitNames(spelledNames(steps.flatMap((step) => step.region)), tick);
  const taken = new Map<number, Cube>();
  for (const step of steps) {
    if (left.size === 0) break;
    for (const c of step.region) {
      const cube = left.remove(c, tick);
      if (cube && !taken.has(step.index)) taken.set(step.index, cube);
    }
    if (taken.has(step.index) && stop?.(step.index)) break;
  }
  return { left, taken };
}

/**
 * The calls that none of the steps matches, when who takes what does not matter. Steps naming
 * their tools exactly go last and touch only their own names. The others go in order of how
 * much they split what is left: a cube constrained on one dimension (a tool pattern on any
 * server, any tool on a server pattern) cuts each piece into at most one, while a cube with a
 * condition also leaves its complement behind; taking the cheap, often covering, steps first
 * keeps the pieces few (for a broad rule of a generated 1,000-rule policy: 101 comparisons, where
 * passing its region down in precedence order takes 95,000 and 1,218 pieces). `watch` is given
 * the pieces being cut, so that a caller that stops the subtraction early can look at them.
 */
export function remainder(calls: Region, steps: readonly Step[], tick: Tick, watch?: (left: PieceSet) => void): PieceSet {
  const left = new PieceSet(calls);
  watch?.(left);
  for (const step of patternsFirst(steps, calls)) {
    if (left.size === 0) return left;
    for (const c of step.region) left.remove(c, tick);
  }
  return passDown(left, steps.filter(named), tick).left;
}

/**
 * The steps that do not name their tools, in the order that keeps pieces few (see remainder). A
 * name dimension on which a step holds all of the calls cuts nothing off and is not counted: a
 * `slack7_[rw]*` rule with three argument conditions closed all 126,000 pieces of one question
 * of the 10,000-rule policy, after the contains-globs ordered before it had cut them off.
 */
function patternsFirst(steps: readonly Step[], calls: Region): Step[] {
  return steps
    .filter((step) => !named(step))
    .map((step, k) => ({ step, k, splits: splitsMade(step) - namesHeld(step, calls) }))
    .sort((a, b) => a.splits - b.splits || a.k - b.k)
    .map(({ step }) => step);
}

/**
 * A cube of calls that none of the steps matches, or undefined when there is none: the same
 * subtractions as remainder, made depth first, one piece at a time down every step, so that the
 * first piece to come through ends the search. Where some calls are left, remainder cut every
 * piece by every step first (one question of a 1,000-rule policy: 5,400 comparisons and 250
 * pieces, half a second, for a single cube); where none are, the comparisons are the same.
 */
export function firstLeft(calls: Region, steps: readonly Step[], tick: Tick): Cube | undefined {
  const namedSteps = steps.filter(named);
  const cubes = [...patternsFirst(steps, calls), ...namedSteps].flatMap((step) => step.region);
  // As in passDown, names the steps spell out are split off first: an open piece then never meets a cube that names its tools.
  const start = new PieceSet(calls);
  start.splitNames(spelledNames(cubes), tick);
  const stack: [Cube, number][] = start
    .cubes()
    .reverse()
    .map((c) => [c, 0]);
  search: while (stack.length > 0) {
    let [piece, k] = stack.pop()!;
    let pieceWords = piece.tool && Str.wordsOf(piece.tool);
    for (; k < cubes.length; k++) {
      const c = cubes[k];
      const words = c.tool && Str.wordsOf(c.tool);
      if (words && !(pieceWords && [...pieceWords].some((w) => words.has(w)))) continue;
      tick();
      const both = intersect(piece, c);
      if (!both) continue;
      const rest = subtract(piece, c, both);
      if (rest.length === 0) continue search;
      for (let r = rest.length - 1; r >= 1; r--) stack.push([rest[r], k + 1]);
      if (stack.length > MAX_PIECES) throw new RegionTooLarge(`more than ${MAX_PIECES} pieces`);
      piece = rest[0];
      pieceWords = piece.tool && Str.wordsOf(piece.tool);
    }
    return piece;
  }
  return undefined;
}

/** The tool names that cubes spell out exactly. */
function spelledNames(cubes: readonly Cube[]): Set<string> {
  const names = new Set<string>();
  for (const c of cubes) {
    const words = c.tool && Str.wordsOf(c.tool);
    if (words) for (const w of words) names.add(w);
  }
  return names;
}

/** Whether every cube of a step names its tools exactly (kept by region: a rule's region is asked about in thousands of subtractions). */
function named(step: Step): boolean {
  let answer = namedRegions.get(step.region);
  if (answer === undefined) namedRegions.set(step.region, (answer = step.region.every((c) => c.tool !== undefined && Str.wordsOf(c.tool) !== undefined)));
  return answer;
}
const namedRegions = new WeakMap<Region, boolean>();

/** How many pieces a step may cut one piece into: one per constrained dimension of each of its cubes. */
function splitsMade(step: Step): number {
  let n = splitCounts.get(step.region);
  if (n !== undefined) return n;
  n = 0;
  for (const c of step.region) {
    n += (c.tool ? 1 : 0) + (c.server ? 1 : 0) + (c.agent ? 1 : 0) + c.params.size + (c.minute ? 1 : 0) + (c.weekday !== undefined ? 1 : 0) + c.atoms.size;
  }
  splitCounts.set(step.region, n);
  return n;
}
/** By region: a rule's region is asked about in thousands of subtractions. */
const splitCounts = new WeakMap<Region, number>();

/** The name dimensions on which a step of one cube surely holds every call of the region. */
function namesHeld(step: Step, calls: Region): number {
  if (step.region.length !== 1) return 0;
  const c = step.region[0];
  let held = 0;
  for (const d of STRING_DIMS) {
    const names = c[d];
    if (names && calls.every((x) => Str.surelyWithin(x[d], names))) held++;
  }
  return held;
}
