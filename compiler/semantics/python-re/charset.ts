// Sets of code points for Python regexes: sorted inclusive ranges, Python's categories, and case-insensitive expansion as CPython's sre does it.

import { DIGIT_RANGES, EXTRA_CASE_CLASSES, LOWER_PAIRS, SPACE_RANGES, UPPER_PAIRS, WORD_RANGES } from "../python-unicode-data.ts";
import type { Category, SetItem } from "./parse.ts";

/** Sorted, disjoint, non-adjacent inclusive ranges: lo0, hi0, lo1, hi1, … */
export type Ranges = readonly number[];

export const MAX_CP = 0x10ffff;
export const EMPTY: Ranges = [];
export const ALL: Ranges = [0, MAX_CP];

export function normalize(pairs: readonly number[]): Ranges {
  const list: [number, number][] = [];
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] <= pairs[i + 1]) list.push([pairs[i], pairs[i + 1]]);
  list.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of list) {
    if (out.length > 0 && lo <= out[out.length - 1] + 1) out[out.length - 1] = Math.max(out[out.length - 1], hi);
    else out.push(lo, hi);
  }
  return out;
}

export const union = (...sets: Ranges[]): Ranges => normalize(sets.flat());

export function complement(a: Ranges): Ranges {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] > next) out.push(next, a[i] - 1);
    next = a[i + 1] + 1;
  }
  if (next <= MAX_CP) out.push(next, MAX_CP);
  return out;
}

export const intersect = (a: Ranges, b: Ranges): Ranges => complement(union(complement(a), complement(b)));

export function has(a: Ranges, cp: number): boolean {
  let lo = 0;
  let hi = a.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < a[2 * mid]) hi = mid - 1;
    else if (cp > a[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

export const isEmpty = (a: Ranges) => a.length === 0;
export const single = (cp: number): Ranges => [cp, cp];

/** A single code point, when the set is one. */
export const onlyMember = (a: Ranges): number | undefined => (a.length === 2 && a[0] === a[1] ? a[0] : undefined);

const pairMap = (pairs: readonly number[]) => {
  const m = new Map<number, number>();
  for (let i = 0; i < pairs.length; i += 2) m.set(pairs[i], pairs[i + 1]);
  return m;
};
const LOWER = pairMap(LOWER_PAIRS);
const UPPER = pairMap(UPPER_PAIRS);
/** Python's simple lower case (_sre.unicode_tolower). */
export const lower = (cp: number) => LOWER.get(cp) ?? cp;
/** The first code point of Python's str.upper() (what sre_upper_unicode gives). */
export const upper = (cp: number) => UPPER.get(cp) ?? cp;
/** _sre.unicode_iscased. */
export const isCased = (cp: number) => lower(cp) !== cp || upper(cp) !== cp;
const asciiLower = (cp: number) => (cp >= 65 && cp <= 90 ? cp + 32 : cp);
const asciiIsCased = (cp: number) => cp < 128 && ((cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122));
const EXTRA = new Map<number, readonly number[]>();
for (const cls of EXTRA_CASE_CLASSES) for (const cp of cls) EXTRA.set(cp, cls);

/** Code points whose mapping `map` differs from the identity, sorted (the domain of the pair table). */
const LOWER_DOMAIN = [...LOWER.keys()].sort((a, b) => a - b);
const UPPER_DOMAIN = [...UPPER.keys()].sort((a, b) => a - b);

/** { map(c) : c ∈ s } for a mapping that is the identity outside `domain`. */
function image(s: Ranges, map: Map<number, number>, domain: readonly number[]): Ranges {
  const extra: number[] = [];
  const moved: number[] = [];
  for (const c of domain) {
    if (has(s, c)) {
      moved.push(c, c);
      extra.push(map.get(c)!, map.get(c)!);
    }
  }
  return union(minus(s, normalize(moved)), normalize(extra));
}

/** { c : map(c) ∈ s }. */
function preimage(s: Ranges, map: Map<number, number>, domain: readonly number[]): Ranges {
  const inside: number[] = [];
  const all: number[] = [];
  for (const c of domain) {
    all.push(c, c);
    if (has(s, map.get(c)!)) inside.push(c, c);
  }
  return union(minus(s, normalize(all)), normalize(inside));
}

export const minus = (a: Ranges, b: Ranges): Ranges => intersect(a, complement(b));

const ASCII_WORD: Ranges = [48, 57, 65, 90, 95, 95, 97, 122];
const ASCII_DIGIT: Ranges = [48, 57];
const ASCII_SPACE: Ranges = [9, 13, 32, 32];

export function category(cat: Category, ascii: boolean): Ranges {
  switch (cat) {
    case "d":
      return ascii ? ASCII_DIGIT : DIGIT_RANGES;
    case "D":
      return complement(ascii ? ASCII_DIGIT : DIGIT_RANGES);
    case "w":
      return ascii ? ASCII_WORD : WORD_RANGES;
    case "W":
      return complement(ascii ? ASCII_WORD : WORD_RANGES);
    case "s":
      return ascii ? ASCII_SPACE : SPACE_RANGES;
    case "S":
      return complement(ascii ? ASCII_SPACE : SPACE_RANGES);
  }
}

/** The word characters that `\b` and `\B` test. */
export const wordSet = (ascii: boolean): Ranges => (ascii ? ASCII_WORD : WORD_RANGES);

/** The code points a literal matches (LITERAL / LITERAL_UNI_IGNORE / LITERAL_IGNORE in sre). */
export function literalSet(cp: number, ignoreCase: boolean, ascii: boolean): Ranges {
  if (!ignoreCase) return single(cp);
  if (ascii) {
    if (!asciiIsCased(cp)) return single(cp);
    const lo = asciiLower(cp);
    return normalize([lo, lo, lo - 32, lo - 32]);
  }
  if (!isCased(cp)) return single(cp);
  const lo = lower(cp);
  const targets = EXTRA.get(lo) ?? [lo];
  return preimage(normalize(targets.flatMap((t) => [t, t])), LOWER, LOWER_DOMAIN);
}

/** The code points a character class `[...]` matches, before its negation (sre's IN, IN_IGNORE and IN_UNI_IGNORE). */
export function classSet(items: readonly SetItem[], ignoreCase: boolean, ascii: boolean): Ranges {
  const cats = union(...items.filter((i): i is Extract<SetItem, { t: "cat" }> => i.t === "cat").map((i) => category(i.cat, ascii)));
  const plain = normalize(items.flatMap((i) => (i.t === "lit" ? [i.cp, i.cp] : i.t === "range" ? [i.lo, i.hi] : [])));
  if (!ignoreCase) return union(plain, cats);
  if (ascii) {
    const cased = items.some((i) => (i.t === "lit" ? asciiIsCased(i.cp) : i.t === "range" ? intersect([i.lo, i.hi], [65, 90, 97, 122]).length > 0 || i.hi > 0xffff : false));
    if (!cased) return union(plain, cats);
    // IN_IGNORE: the set holds the ASCII-lowered items and is tested on the ASCII-lowered character.
    const lowered = union(minus(plain, [65, 90]), normalize(intersect(plain, [65, 90]).map((c) => c + 32)));
    const tested = union(lowered, cats);
    return union(minus(tested, [65, 90]), normalize(intersect(tested, [97, 122]).map((c) => c - 32)));
  }
  // sre lowers BMP items into a bitmap (with the extra case classes); items whose lower case is outside the BMP stay
  // as they are (a range as RANGE_UNI_IGNORE, which also accepts a character whose upper case is in it).
  let hascased = false;
  const bitmap: number[] = [];
  const tail: Ranges[] = [];
  for (const item of items) {
    if (item.t === "cat") continue;
    const r: Ranges = item.t === "lit" ? single(item.cp) : [item.lo, item.hi];
    const lowered = image(r, LOWER, LOWER_DOMAIN);
    if (!hascased) hascased = LOWER_DOMAIN.some((c) => has(r, c)) || UPPER_DOMAIN.some((c) => has(r, c));
    const bmp = intersect(lowered, [0, 0xffff]);
    if (bmp.length === lowered.length && sameRanges(bmp, lowered)) bitmap.push(...lowered);
    else {
      hascased = true;
      if (item.t === "range") {
        // The BMP part went into the bitmap before sre met the first code point it could not hold.
        bitmap.push(...intersect(lowered, [0, 0xffff]));
        tail.push(union(r, preimage(r, UPPER, UPPER_DOMAIN)));
      } else tail.push(r);
    }
  }
  if (!hascased) return union(plain, cats);
  let lows = normalize(bitmap);
  for (const cls of EXTRA_CASE_CLASSES) if (cls.some((c) => has(lows, c))) lows = union(lows, normalize(cls.flatMap((c) => [c, c])));
  const tested = union(lows, cats, ...tail);
  return preimage(tested, LOWER, LOWER_DOMAIN);
}

function sameRanges(a: Ranges, b: Ranges): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The characters that a back-reference's character `cp` accepts: GROUPREF_UNI_IGNORE compares lower cases. */
export function refCharSet(cp: number, ignoreCase: boolean, ascii: boolean): Ranges {
  if (!ignoreCase) return single(cp);
  if (ascii) {
    const lo = asciiLower(cp);
    return asciiIsCased(lo) ? normalize([lo, lo, lo - 32, lo - 32]) : single(cp);
  }
  return preimage(single(lower(cp)), LOWER, LOWER_DOMAIN);
}
