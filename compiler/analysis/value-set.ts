// Sets of argument values (missing, null, booleans, numbers, strings, lists/mappings), closed under and/not.

import * as Num from "./number-set.ts";
import * as Str from "./string-set.ts";

/** Lists and mappings: finitely many (`in`) or all but finitely many (`out`), keyed by a canonical form. */
export interface CompositeSet {
  readonly mode: "in" | "out";
  readonly values: ReadonlyMap<string, unknown>;
}

export interface ValueSet {
  readonly missing: boolean;
  readonly null: boolean;
  readonly true: boolean;
  readonly false: boolean;
  readonly numbers: Num.NumberSet;
  readonly strings: Str.StringSet;
  readonly composites: CompositeSet;
}

const NO_COMPOSITES: CompositeSet = { mode: "in", values: new Map() };
const ALL_COMPOSITES: CompositeSet = { mode: "out", values: new Map() };

export const ALL_VALUES: ValueSet = {
  missing: true,
  null: true,
  true: true,
  false: true,
  numbers: Num.ALL_NUMBERS,
  strings: Str.ALL_STRINGS,
  composites: ALL_COMPOSITES,
};

export const NO_VALUES: ValueSet = {
  missing: false,
  null: false,
  true: false,
  false: false,
  numbers: Num.NO_NUMBERS,
  strings: Str.NO_STRINGS,
  composites: NO_COMPOSITES,
};

/** Present and not null: what every Aegis condition requires of its operand. */
export const PRESENT: ValueSet = { ...ALL_VALUES, missing: false, null: false };

/** Python equality canonical form: booleans are numbers, mapping keys sorted. */
export function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (typeof x === "boolean") return x ? 1 : 0;
    if (typeof x === "number") return Object.is(x, -0) ? 0 : x;
    if (Array.isArray(x)) return x.map(norm);
    if (x !== null && typeof x === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) out[k] = norm((x as Record<string, unknown>)[k]);
      return ["__map__", out];
    }
    return x;
  };
  return JSON.stringify(norm(v));
}

export function isComposite(v: unknown): boolean {
  return v !== null && typeof v === "object";
}

function compositesAnd(a: CompositeSet, b: CompositeSet): CompositeSet {
  if (a.mode === "in") return { mode: "in", values: new Map([...a.values].filter(([k]) => compositesHas(b, k))) };
  if (b.mode === "in") return compositesAnd(b, a);
  return { mode: "out", values: new Map([...a.values, ...b.values]) };
}

function compositesHas(set: CompositeSet, key: string): boolean {
  return set.mode === "in" ? set.values.has(key) : !set.values.has(key);
}

export function and(a: ValueSet, b: ValueSet): ValueSet {
  return {
    missing: a.missing && b.missing,
    null: a.null && b.null,
    true: a.true && b.true,
    false: a.false && b.false,
    numbers: Num.and(a.numbers, b.numbers),
    strings: Str.and(a.strings, b.strings),
    composites: compositesAnd(a.composites, b.composites),
  };
}

export function not(a: ValueSet): ValueSet {
  return {
    missing: !a.missing,
    null: !a.null,
    true: !a.true,
    false: !a.false,
    numbers: Num.not(a.numbers),
    strings: Str.not(a.strings),
    composites: { mode: a.composites.mode === "in" ? "out" : "in", values: a.composites.values },
  };
}

export function isEmpty(a: ValueSet): boolean {
  return !a.missing && !a.null && !a.true && !a.false && Num.isEmpty(a.numbers) && Str.isEmpty(a.strings) && a.composites.mode === "in" && a.composites.values.size === 0;
}

/** Python `==` against a literal, on a present non-null operand. */
export function equalTo(v: unknown): ValueSet {
  if (typeof v === "number" || typeof v === "boolean") {
    const n = Number(v);
    // nan equals nothing in Python (not even nan, as a different object).
    if (Number.isNaN(n)) return NO_VALUES;
    return { ...NO_VALUES, numbers: Num.point(n), true: n === 1, false: n === 0 };
  }
  if (typeof v === "string") return { ...NO_VALUES, strings: Str.exactly(v) };
  if (isComposite(v)) return { ...NO_VALUES, composites: { mode: "in", values: new Map([[canonical(v), v]]) } };
  return NO_VALUES;
}

/** Python ordering against a number literal; strings, lists and mappings raise in Python, so they are excluded. */
export function orderedAgainst(op: "<" | "<=" | ">" | ">=", n: number): ValueSet {
  const numbers =
    op === "<" ? Num.interval(-Infinity, true, n, true) : op === "<=" ? Num.interval(-Infinity, true, n, false) : op === ">" ? Num.interval(n, true, Infinity, true) : Num.interval(n, false, Infinity, true);
  return { ...NO_VALUES, numbers, true: Num.has(numbers, 1), false: Num.has(numbers, 0) };
}

/** One empty list for every call without preferences: string sets keep their witnesses per list. */
const NO_PREFERRED_STRINGS: readonly string[] = [];

/** A readable member for a witness; undefined means "leave the argument out". */
export function witness(a: ValueSet, preferStrings: readonly string[] = NO_PREFERRED_STRINGS): { value?: unknown } | undefined {
  const num = Num.witness(a.numbers, [0, 1, 10, 100]);
  if (num !== undefined) return { value: num };
  const str = Str.witness(a.strings, preferStrings);
  if (str !== undefined) return { value: str };
  if (a.true) return { value: true };
  if (a.false) return { value: false };
  if (a.composites.mode === "in" && a.composites.values.size > 0) return { value: [...a.composites.values.values()][0] };
  if (a.composites.mode === "out") {
    for (const candidate of [[], {}, ["x"], [0]]) if (!a.composites.values.has(canonical(candidate))) return { value: candidate };
  }
  if (a.null) return { value: null };
  if (a.missing) return {};
  return undefined;
}

export function sample(a: ValueSet, random: () => number): { value?: unknown } | undefined {
  const options: (() => { value?: unknown } | undefined)[] = [];
  if (!Num.isEmpty(a.numbers)) options.push(() => ({ value: Num.sample(a.numbers, random) }));
  if (!Str.isEmpty(a.strings)) options.push(() => ({ value: Str.sample(a.strings, random) }));
  if (a.true) options.push(() => ({ value: true }));
  if (a.false) options.push(() => ({ value: false }));
  if (a.null) options.push(() => ({ value: null }));
  if (a.missing) options.push(() => ({}));
  if (!(a.composites.mode === "in" && a.composites.values.size === 0)) options.push(() => witness({ ...NO_VALUES, composites: a.composites }));
  if (options.length === 0) return undefined;
  return options[Math.floor(random() * options.length)]();
}
