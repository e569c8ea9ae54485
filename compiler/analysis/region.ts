// The call space as a product of dimensions: cubes (one set per dimension) and regions (unions of cubes), with exact subtraction.

import * as Num from "./number-set.ts";
import * as Str from "./string-set.ts";
import * as Val from "./value-set.ts";

export const WEEK = 0b1111111; // bit d-1 set: ISO weekday d
export const MINUTES: Num.NumberSet = Num.interval(0, false, 1440, true);

/**
 * One cube: every dimension constrained independently; an absent dimension is unconstrained.
 * `atoms` are opaque predicates (e.g. `semantic`), free Boolean variables: the free model has
 * more points than reality, so emptiness proven here is emptiness of real calls, while a
 * non-empty cube needs a concrete witness checked by the interpreter before it counts as proof.
 */
export interface Cube {
  readonly tool?: Str.StringSet;
  readonly server?: Str.StringSet;
  /** The call's agent id, "" for none (the Aegis `*` quirk is folded into the set). */
  readonly agent?: Str.StringSet;
  readonly params: ReadonlyMap<string, Val.ValueSet>;
  /** Minute of the UTC day, within [0, 1440). */
  readonly minute?: Num.NumberSet;
  /** Bit mask of ISO weekdays. */
  readonly weekday?: number;
  readonly atoms: ReadonlyMap<string, boolean>;
}

export type Region = readonly Cube[];

/** Every call; its fields in the order intersect gives them, so that cubes made from it share one shape. */
export const UNIVERSE: Cube = { tool: undefined, server: undefined, agent: undefined, params: new Map(), minute: undefined, weekday: undefined, atoms: new Map() };

type StringDim = "tool" | "server" | "agent";
export const STRING_DIMS: readonly StringDim[] = ["tool", "server", "agent"];

export function intersect(a: Cube, b: Cube): Cube | undefined {
  // Cheap dimensions first: most disjoint pairs differ on an atom, the clock or an argument,
  // and finding that avoids building automaton products for the string dimensions.
  for (const [k, v] of b.atoms) if (a.atoms.has(k) && a.atoms.get(k) !== v) return undefined;
  let weekday: number | undefined;
  if (a.weekday !== undefined || b.weekday !== undefined) {
    weekday = (a.weekday ?? WEEK) & (b.weekday ?? WEEK);
    if (weekday === 0) return undefined;
  }
  let minute: Num.NumberSet | undefined;
  if (a.minute || b.minute) {
    // Minutes outside the day are not calls; clamping here keeps complements inside [0, 1440).
    minute = withinDay(a.minute && b.minute ? Num.and(a.minute, b.minute) : (a.minute ?? b.minute)!);
    if (Num.isEmpty(minute)) return undefined;
  }
  let params = a.params;
  if (b.params.size > 0) {
    const merged = new Map(a.params);
    for (const [k, v] of b.params) {
      const cur = merged.get(k);
      const next = cur ? Val.and(cur, v) : v;
      if (Val.isEmpty(next)) return undefined;
      merged.set(k, next);
    }
    params = merged;
  }
  let tool: Str.StringSet | undefined;
  let server: Str.StringSet | undefined;
  let agent: Str.StringSet | undefined;
  // Finite string sets (exact names) before automata: dimensions by cost, ties in STRING_DIMS
  // order, without allocating (this runs millions of times in a large policy's analysis).
  for (let cost = 0; cost <= MAX_STRING_COST; cost++) {
    for (const d of STRING_DIMS) {
      const x = a[d];
      const y = b[d];
      if (stringCost(x, y) !== cost) continue;
      const v = x && y ? Str.and(x, y) : (x ?? y);
      if (v) {
        if (Str.isEmpty(v)) return undefined;
        if (d === "tool") tool = v;
        else if (d === "server") server = v;
        else agent = v;
      }
    }
  }
  // Every field, in one order: cubes of one shape keep V8's property accesses monomorphic
  // wherever cubes are read (fields set in a varying order made a dozen shapes).
  return {
    tool,
    server,
    agent,
    params,
    minute,
    weekday,
    atoms: b.atoms.size > 0 ? new Map([...a.atoms, ...b.atoms]) : a.atoms,
  };
}

const MAX_STRING_COST = 2;

/** The minutes clamped to [0, 1440); a set already inside is returned as it is (most are, and clamping copied them). */
function withinDay(m: Num.NumberSet): Num.NumberSet {
  const first = m[0];
  const last = m[m.length - 1];
  if (first && first.lo >= 0 && (last.hi < 1440 || (last.hi === 1440 && last.hiOpen))) return m;
  return Num.and(m, MINUTES);
}

function stringCost(x: Str.StringSet | undefined, y: Str.StringSet | undefined): number {
  if (!x || !y) return 0;
  return Str.isWordList(x) || Str.isWordList(y) ? 1 : 2;
}

/**
 * Exact difference a \ b as disjoint cubes: keep b's first i-1 constraints, negate the i-th.
 * A dimension the kept part already lies inside is skipped: negating it leaves nothing, and
 * finding that out costs two intersections (most pieces a subtraction meets lie wholly inside
 * the subtracted rule on most dimensions). `both`: a ∩ b, when the caller has it.
 */
export function subtract(a: Cube, b: Cube, both: Cube | undefined = intersect(a, b)): Cube[] {
  if (!both) return [a];
  const pieces: Cube[] = [];
  let kept: Cube | undefined = a;
  for (const d of STRING_DIMS) {
    const s = b[d];
    if (!s || Str.surelyWithin(kept[d], s)) continue;
    const piece = narrowed(kept, d, Str.not(s));
    if (piece) pieces.push(piece);
    kept = narrowed(kept, d, s);
    if (!kept) return pieces;
  }
  for (const [k, v] of b.params) {
    if (kept.params.get(k) !== v && !(kept = cut(kept, { ...UNIVERSE, params: new Map([[k, Val.not(v)]]) }, { ...UNIVERSE, params: new Map([[k, v]]) }, pieces))) return pieces;
  }
  if (b.minute && kept.minute !== b.minute && !(kept = cut(kept, { ...UNIVERSE, minute: Num.not(b.minute) }, { ...UNIVERSE, minute: b.minute }, pieces))) return pieces;
  if (b.weekday !== undefined && (kept.weekday === undefined || (kept.weekday & ~b.weekday) !== 0) && !(kept = cut(kept, { ...UNIVERSE, weekday: WEEK & ~b.weekday }, { ...UNIVERSE, weekday: b.weekday }, pieces))) return pieces;
  for (const [k, v] of b.atoms) {
    if (kept.atoms.get(k) !== v && !(kept = cut(kept, { ...UNIVERSE, atoms: new Map([[k, !v]]) }, { ...UNIVERSE, atoms: new Map([[k, v]]) }, pieces))) return pieces;
  }
  return pieces;
}

/** One cut of a subtraction: the part of `kept` in `negated` joins the pieces; the part in `agreed` goes on (undefined when empty). */
function cut(kept: Cube, negated: Cube, agreed: Cube, pieces: Cube[]): Cube | undefined {
  const piece = intersect(kept, negated);
  if (piece) pieces.push(piece);
  return intersect(kept, agreed);
}

/**
 * Whether every call of `a` is known to lie in `b`: on each name dimension `b` constrains, `a`'s
 * set is the same, or its words all lie in `b`'s, and so on with no automaton search (see
 * Str.surelyWithin); argument and clock sets are tested exactly. Where `b`'s names are a glob
 * the cheap test is blind to (a class, as `figma12_[rw]*`) and `a`'s may meet them, automata
 * decide, once every other dimension holds: a `figma12_run_*_bucket8` call held by a
 * `figma12_[rw]*` rule was otherwise proven taken by subtracting the 537 rules before it (12 s).
 * False means only "not known" where `b` is a glob of literals and stars.
 */
export function inside(a: Cube, b: Cube): boolean {
  let unsure: StringDim[] | undefined;
  for (const d of STRING_DIMS) {
    const s = b[d];
    if (!s || Str.surelyWithin(a[d], s)) continue;
    const own = a[d];
    if (!own || Str.cheaplyPlaced(s) || !Str.mayMeet(own, s)) return false;
    (unsure ??= []).push(d);
  }
  // Arguments and minutes are small sets: tested exactly, once the names (the usual difference) agree.
  // The size tests spare creating an iterator for the empty maps most cubes have (millions of holder tests).
  if (b.params.size > 0) {
    for (const [k, v] of b.params) {
      const own = a.params.get(k);
      if (own !== v && (!own || !Val.isEmpty(Val.and(own, Val.not(v))))) return false;
    }
  }
  if (b.minute && a.minute !== b.minute && !Num.isEmpty(Num.and(a.minute ?? MINUTES, Num.not(b.minute)))) return false;
  if (b.weekday !== undefined && (a.weekday === undefined || (a.weekday & ~b.weekday) !== 0)) return false;
  if (b.atoms.size > 0) for (const [k, v] of b.atoms) if (a.atoms.get(k) !== v) return false;
  return !unsure || unsure.every((d) => Str.isSubset(a[d]!, b[d]!));
}

/** Whether every cube of `a` lies inside one cube of `b`. */
export function insideRegion(a: Region, b: Region): boolean {
  // Loops rather than every/some: a holder search makes millions of these tests, and the closures were garbage.
  for (const x of a) {
    let held = false;
    for (const y of b) {
      if (inside(x, y)) {
        held = true;
        break;
      }
    }
    if (!held) return false;
  }
  return true;
}

/**
 * A nonempty cube with one name dimension intersected with `set`: what intersect(c, a cube of
 * that one dimension) gives, without re-checking the dimensions that do not change (subtraction
 * narrows the name dimensions of every piece it cuts, millions of times in a large policy).
 */
function narrowed(c: Cube, d: StringDim, set: Str.StringSet): Cube | undefined {
  const own = c[d];
  const v = own ? Str.and(own, set) : set;
  if (Str.isEmpty(v)) return undefined;
  return {
    tool: d === "tool" ? v : c.tool,
    server: d === "server" ? v : c.server,
    agent: d === "agent" ? v : c.agent,
    params: c.params,
    // As intersect does: minutes stay clamped to the day.
    minute: c.minute && withinDay(c.minute),
    weekday: c.weekday,
    atoms: c.atoms,
  };
}

export function isEmptyCube(c: Cube): boolean {
  return intersect(UNIVERSE, c) === undefined;
}

export function andRegions(a: Region, b: Region): Cube[] {
  const out: Cube[] = [];
  for (const x of a) for (const y of b) {
    const c = intersect(x, y);
    if (c) out.push(c);
  }
  return out;
}

/** Limit on cubes produced by one subtraction chain; beyond it the analysis gives up on that rule (reported, never guessed). */
export const MAX_CUBES = 20_000;

export class RegionTooLarge extends Error {}

export function minus(a: Region, b: Region): Cube[] {
  let cur: Cube[] = [...a];
  for (const cube of b) {
    const next: Cube[] = [];
    for (const c of cur) next.push(...subtract(c, cube));
    cur = next;
    if (cur.length > MAX_CUBES) throw new RegionTooLarge(`more than ${MAX_CUBES} cubes`);
    if (cur.length === 0) break;
  }
  return cur;
}

export function complement(a: Region): Cube[] {
  return minus([UNIVERSE], a);
}

export function isEmptyRegion(r: Region): boolean {
  return r.every(isEmptyCube);
}

