// Sets of numbers as unions of intervals with open or closed ends, closed under and/not.

export interface Interval {
  readonly lo: number; // may be -Infinity
  readonly loOpen: boolean;
  readonly hi: number; // may be Infinity
  readonly hiOpen: boolean;
}

export type NumberSet = readonly Interval[];

export const ALL_NUMBERS: NumberSet = [{ lo: -Infinity, loOpen: true, hi: Infinity, hiOpen: true }];
export const NO_NUMBERS: NumberSet = [];

export function interval(lo: number, loOpen: boolean, hi: number, hiOpen: boolean): NumberSet {
  return normalize([{ lo, loOpen: loOpen || lo === -Infinity, hi, hiOpen: hiOpen || hi === Infinity }]);
}

export const point = (v: number): NumberSet => interval(v, false, v, false);

function isEmptyInterval(i: Interval): boolean {
  return i.lo > i.hi || (i.lo === i.hi && (i.loOpen || i.hiOpen));
}

function normalize(list: readonly Interval[]): NumberSet {
  const sorted = list.filter((i) => !isEmptyInterval(i)).sort((a, b) => a.lo - b.lo || Number(a.loOpen) - Number(b.loOpen));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && (i.lo < last.hi || (i.lo === last.hi && !(i.loOpen && last.hiOpen)))) {
      if (i.hi > last.hi || (i.hi === last.hi && !i.hiOpen)) out[out.length - 1] = { ...last, hi: i.hi, hiOpen: i.hiOpen };
    } else out.push(i);
  }
  return out;
}

export function and(a: NumberSet, b: NumberSet): NumberSet {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const lo = Math.max(x.lo, y.lo);
      const loOpen = x.lo === y.lo ? x.loOpen || y.loOpen : x.lo > y.lo ? x.loOpen : y.loOpen;
      const hi = Math.min(x.hi, y.hi);
      const hiOpen = x.hi === y.hi ? x.hiOpen || y.hiOpen : x.hi < y.hi ? x.hiOpen : y.hiOpen;
      out.push({ lo, loOpen, hi, hiOpen });
    }
  }
  return normalize(out);
}

export function not(a: NumberSet): NumberSet {
  const out: Interval[] = [];
  let lo = -Infinity;
  let loOpen = true;
  for (const i of a) {
    out.push({ lo, loOpen, hi: i.lo, hiOpen: !i.loOpen });
    lo = i.hi;
    loOpen = !i.hiOpen;
  }
  out.push({ lo, loOpen, hi: Infinity, hiOpen: true });
  return normalize(out.map((i) => ({ ...i, loOpen: i.loOpen || i.lo === -Infinity, hiOpen: i.hiOpen || i.hi === Infinity })));
}

export const isEmpty = (a: NumberSet): boolean => a.length === 0;

export function has(a: NumberSet, v: number): boolean {
  return a.some((i) => (v > i.lo || (v === i.lo && !i.loOpen)) && (v < i.hi || (v === i.hi && !i.hiOpen)));
}

/** A readable member: an integer when the set has one near its bounds, else a midpoint. */
export function witness(a: NumberSet, prefer: readonly number[] = []): number | undefined {
  for (const p of prefer) if (has(a, p)) return p;
  for (const i of a) {
    const candidates = [0, i.lo, i.hi, Math.floor(i.lo) + 1, Math.ceil(i.hi) - 1, i.lo + 1, i.hi - 1].filter(Number.isFinite);
    for (const c of candidates) if (has([i], c)) return c;
    if (i.lo === -Infinity && i.hi === Infinity) return 0;
    if (i.lo === -Infinity) return has([i], i.hi - 1) ? i.hi - 1 : i.hi - 0.5;
    if (i.hi === Infinity) return i.lo + 1;
    return (i.lo + i.hi) / 2;
  }
  return undefined;
}

export function sample(a: NumberSet, random: () => number): number | undefined {
  if (a.length === 0) return undefined;
  const i = a[Math.floor(random() * a.length)];
  const lo = Number.isFinite(i.lo) ? i.lo : (Number.isFinite(i.hi) ? i.hi : 0) - 100;
  const hi = Number.isFinite(i.hi) ? i.hi : lo + 200;
  for (let attempt = 0; attempt < 10; attempt++) {
    const v = random() < 0.5 ? Math.round(lo + random() * (hi - lo)) : lo + random() * (hi - lo);
    if (has([i], v)) return v;
  }
  return witness([i]);
}
