// Sets of strings for the analysis: (a regular language ∪ some words) minus some words, closed under and/not.

import { DFA, JS, NFA, type ReadonlyWord } from "refa";
import { escapeRegExpLiteral, parseGlob, type GlobToken } from "../semantics/glob.ts";

const MAX_CHAR = 0x10ffff;
const toWord = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);
const fromWord = (w: ReadonlyWord): string => String.fromCodePoint(...w);

/**
 * `(L(dfa) ∪ include) \\ exclude`, with include and exclude disjoint. Exact names (the bulk of
 * most policies) live in the finite sets, so the automata only ever combine the few glob and
 * regex languages, and those products and complements are memoized by identity: that keeps
 * the analysis of large policies from rebuilding automata on every cube subtraction.
 */
export interface StringSet {
  /** null: the empty language. */
  readonly dfa: DFA | null;
  readonly include: ReadonlySet<string>;
  readonly exclude: ReadonlySet<string>;
}

const EMPTY_WORDS: ReadonlySet<string> = new Set();
const ALL_DFA = DFA.all({ maxCharacter: MAX_CHAR });

export const ALL_STRINGS: StringSet = { dfa: ALL_DFA, include: EMPTY_WORDS, exclude: EMPTY_WORDS };
export const NO_STRINGS: StringSet = { dfa: null, include: EMPTY_WORDS, exclude: EMPTY_WORDS };

export function exactly(...words: string[]): StringSet {
  return { dfa: null, include: new Set(words), exclude: EMPTY_WORDS };
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a.size === 0 || a === b) return b;
  if (b.size === 0) return a;
  const out = new Set(a);
  for (const w of b) out.add(w);
  return out;
}

/** Keeps include and exclude disjoint (what isEmpty relies on); words excluded from outside the language are harmless. */
function normalized(dfa: DFA | null, include: ReadonlySet<string>, exclude: ReadonlySet<string>): StringSet {
  let inc = include;
  if (inc.size > 0 && exclude.size > 0) {
    const kept = new Set<string>();
    for (const w of inc) if (!exclude.has(w)) kept.add(w);
    inc = kept;
  }
  return { dfa: dfa && !dfa.isEmpty ? dfa : null, include: inc.size ? inc : EMPTY_WORDS, exclude: dfa ? exclude : EMPTY_WORDS };
}

let complementMemo = new WeakMap<DFA, DFA>();
let productMemo = new WeakMap<DFA, WeakMap<DFA, DFA>>();

/** Drops memoized automata: products chain into each other, so the caches are scoped to one question. */
export function resetMemos(): void {
  complementMemo = new WeakMap();
  productMemo = new WeakMap();
  memoized = 0;
}

function complementDfa(dfa: DFA): DFA {
  let out = complementMemo.get(dfa);
  if (!out) {
    out = dfa.copy();
    out.complement();
    out.minimize();
    complementMemo.set(dfa, out);
    complementMemo.set(out, dfa);
  }
  return out;
}

/** Memoized automata are dropped past this many, so one hard rule cannot hold gigabytes of products. */
const MAX_MEMOIZED = 400;
let memoized = 0;

function productDfa(a: DFA, b: DFA): DFA {
  if (a === b || b === ALL_DFA) return a;
  if (a === ALL_DFA) return b;
  if (++memoized > MAX_MEMOIZED) resetMemos();
  let inner = productMemo.get(a);
  if (!inner) productMemo.set(a, (inner = new WeakMap()));
  let out = inner.get(b);
  if (!out) {
    out = DFA.fromIntersection(a, b);
    out.minimize();
    inner.set(b, out);
    let mirror = productMemo.get(b);
    if (!mirror) productMemo.set(b, (mirror = new WeakMap()));
    mirror.set(a, out);
  }
  return out;
}

/** The language of a JS regex source (no assertions), matched against the whole string. */
export function fromRegexSource(source: string, flags: string): StringSet {
  const { expression, maxCharacter } = JS.Parser.fromLiteral({ source, flags }).parse();
  const dfa = DFA.fromFA(NFA.fromRegex(expression, { maxCharacter: Math.max(maxCharacter, MAX_CHAR) as typeof maxCharacter }));
  dfa.minimize();
  return normalized(dfa, EMPTY_WORDS, EMPTY_WORDS);
}

const globCache = new Map<string, StringSet>();

/** The strings a glob matches, with Aegis's fnmatch semantics. */
export function fromGlob(pattern: string): StringSet {
  let set = globCache.get(pattern);
  if (set) return set;
  const tokens = parseGlob(pattern);
  if (tokens.every((t) => t.t === "lit")) set = exactly(tokens.map((t) => (t as { s: string }).s).join(""));
  else if (tokens.length === 1 && tokens[0].t === "star") set = ALL_STRINGS;
  else set = fromRegexSource(tokens.map(tokenSource).join(""), "su");
  globCache.set(pattern, set);
  return set;
}

function tokenSource(tok: GlobToken): string {
  switch (tok.t) {
    case "lit":
      return escapeRegExpLiteral(tok.s);
    case "star":
      return "[\\s\\S]*";
    case "any":
      return "[\\s\\S]";
    case "class": {
      const body = tok.ranges.map(([lo, hi]) => (lo === hi ? `\\u{${lo.toString(16)}}` : `\\u{${lo.toString(16)}}-\\u{${hi.toString(16)}}`)).join("");
      if (tok.ranges.length === 0) return tok.negated ? "[\\s\\S]" : "[]";
      return `[${tok.negated ? "^" : ""}${body}]`;
    }
  }
}

export function has(set: StringSet, s: string): boolean {
  if (set.exclude.has(s)) return false;
  return set.include.has(s) || (set.dfa !== null && set.dfa.test(toWord(s)));
}

/** ¬((L ∪ I) \\ E) = (¬L \\ I) ∪ E */
export function not(set: StringSet): StringSet {
  const dfa = set.dfa === null ? ALL_DFA : complementDfa(set.dfa);
  // Included words that the language already holds must stay out of the complement.
  return normalized(dfa.isEmpty ? null : dfa, set.exclude, set.include);
}

export function and(a: StringSet, b: StringSet): StringSet {
  if (a === b) return a;
  if (a === ALL_STRINGS) return b;
  if (b === ALL_STRINGS) return a;
  const dfa = a.dfa && b.dfa ? productDfa(a.dfa, b.dfa) : null;
  let include: ReadonlySet<string> = EMPTY_WORDS;
  if (a.include.size > 0 || b.include.size > 0) {
    const inc = new Set<string>();
    for (const w of a.include) if (has(b, w)) inc.add(w);
    for (const w of b.include) if (has(a, w)) inc.add(w);
    include = inc;
  }
  return normalized(dfa, include, union(a.exclude, b.exclude));
}

export function isEmpty(set: StringSet): boolean {
  if (set.include.size > 0) return false;
  if (set.dfa === null) return true;
  if (set.exclude.size === 0 || !set.dfa.isFinite) return false;
  // A finite language can be used up by the excluded words; count word sets before spelling
  // any out, since one set such as `?` stands for a million words.
  let left = set.exclude.size;
  for (const ws of set.dfa.wordSets()) {
    let size = 1;
    for (const cs of ws) {
      size *= cs.ranges.reduce((n, r) => n + r.max - r.min + 1, 0);
      if (size > left) return false;
    }
    for (const w of spell(ws)) {
      if (!set.exclude.has(w)) return false;
      left--;
    }
  }
  return true;
}

/** Every word of a small word set. */
function spell(ws: readonly { ranges: readonly { min: number; max: number }[] }[]): string[] {
  let words = [""];
  for (const cs of ws) {
    const next: string[] = [];
    for (const w of words) for (const r of cs.ranges) for (let c = r.min; c <= r.max; c++) next.push(w + String.fromCodePoint(c));
    words = next;
  }
  return words;
}

export function isSubset(a: StringSet, b: StringSet): boolean {
  return isEmpty(and(a, not(b)));
}

/** Characters a witness prefers, so that examples read well: letters, digits, `_-.`, then anything printable. */
const NICE = toWord("abcdefghijklmnopqrstuvwxyz0123456789_-./ABCDEFGHIJKLMNOPQRSTUVWXYZ");

/** A short, readable member of the set, or undefined when it is empty. Members in `prefer` come first. */
export function witness(set: StringSet, prefer: readonly string[] = []): string | undefined {
  for (const p of prefer) if (has(set, p)) return p;
  if (set.include.size > 0) return [...set.include].sort()[0];
  if (set.dfa === null) return undefined;
  if (set.dfa === ALL_DFA) {
    for (const candidate of ["x", "example", "a", "b", ""]) if (!set.exclude.has(candidate)) return candidate;
    for (let i = 0; ; i++) if (!set.exclude.has(`x${i}`)) return `x${i}`;
  }
  const shortest = shortestWord(set.dfa);
  if (shortest !== undefined && !set.exclude.has(shortest)) return shortest;
  // The shortest word is excluded: look for another, one word set at a time, trying readable characters first.
  let seen = 0;
  for (const ws of set.dfa.wordSets()) {
    const pickFrom = (cs: { ranges: readonly { min: number; max: number }[] }, k: number): number[] => {
      const nice = NICE.filter((c) => cs.ranges.some((r) => c >= r.min && c <= r.max));
      const out = [...nice.slice(k, k + 3)];
      if (out.length === 0) out.push(clampToScalar(cs.ranges[0].min + k));
      return out;
    };
    for (let k = 0; k < 4; k++) {
      const word = fromWord(ws.map((cs) => pickFrom(cs, k)[0] ?? cs.ranges[0].min));
      if (!set.exclude.has(word) && has(set, word)) return word;
    }
    if (++seen > set.exclude.size + 8) break;
  }
  return undefined;
}

/**
 * The shortest accepted word, by breadth-first search over states (enumerating word sets by
 * length can explode for languages like `*update_page*`), spelled with readable characters.
 * A word ending in a separator ("list_") gets one more readable character when that still
 * lands in an accepting state ("list_a").
 */
function shortestWord(dfa: DFA): string | undefined {
  const parent = new Map<DFA.Node, { from: DFA.Node; char: number } | null>([[dfa.initial, null]]);
  const queue: DFA.Node[] = [dfa.initial];
  let found: DFA.Node | undefined;
  for (let k = 0; k < queue.length; k++) {
    const node = queue[k];
    if (dfa.finals.has(node)) {
      found = node;
      break;
    }
    for (const [range, to] of node.out.entries()) {
      if (parent.has(to)) continue;
      parent.set(to, { from: node, char: niceInRange(range.min, range.max) });
      queue.push(to);
    }
  }
  if (!found) return undefined;
  const word: number[] = [];
  for (let step = parent.get(found); step; step = parent.get(step.from)) word.push(step.char);
  word.reverse();
  const text = fromWord(word);
  if (/[_\-./:]$/.test(text)) {
    for (const c of NICE.slice(0, 26)) {
      const next = found.out.get(c);
      if (next && dfa.finals.has(next)) return text + String.fromCodePoint(c);
    }
  }
  return text;
}

function niceInRange(min: number, max: number): number {
  for (const c of NICE) if (c >= min && c <= max) return c;
  for (let c = Math.max(min, 0x20); c <= max && c < 0xd800; c++) if (c !== 0x7f) return c;
  return clampToScalar(min);
}

function clampToScalar(c: number): number {
  return c >= 0xd800 && c <= 0xdfff ? 0x61 : c;
}

/** A random member (for sampling tests): a random walk on the automaton, or a random word of the finite part. */
export function sample(set: StringSet, random: () => number): string | undefined {
  if (isEmpty(set)) return undefined;
  const include = [...set.include].sort();
  if (include.length > 0 && (set.dfa === null || random() < 0.3)) return include[Math.floor(random() * include.length)];
  const dfa = set.dfa!;
  for (let attempt = 0; attempt < 20; attempt++) {
    const w = randomWalk(dfa, random);
    if (w !== undefined && !set.exclude.has(w)) return w;
  }
  return witness(set);
}

function randomWalk(dfa: DFA, random: () => number): string | undefined {
  const live = liveNodes(dfa);
  let node = dfa.initial;
  const word: number[] = [];
  for (let steps = 0; steps < 12; steps++) {
    if (dfa.finals.has(node) && random() < 0.35) return fromWord(word);
    const edges = [...node.out.entries()].filter(([, to]) => live.has(to));
    if (edges.length === 0) break;
    const [range, to] = edges[Math.floor(random() * edges.length)];
    const nice = NICE.find((c) => c >= range.min && c <= range.max);
    const span = Math.min(64, range.max - range.min + 1);
    word.push(nice !== undefined && random() < 0.5 ? nice : clampToScalar(range.min + Math.floor(random() * span)));
    node = to;
  }
  return dfa.finals.has(node) ? fromWord(word) : undefined;
}

const liveCache = new WeakMap<DFA, Set<DFA.Node>>();

function liveNodes(dfa: DFA): Set<DFA.Node> {
  let live = liveCache.get(dfa);
  if (live) return live;
  const nodes = [...dfa.nodes()];
  live = new Set<DFA.Node>(dfa.finals);
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of nodes) {
      if (live.has(n)) continue;
      for (const to of n.out.values()) {
        if (live.has(to)) {
          live.add(n);
          changed = true;
          break;
        }
      }
    }
  }
  liveCache.set(dfa, live);
  return live;
}

