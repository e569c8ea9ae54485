// Sets of strings for the analysis: finite, co-finite, or a regular language (a refa DFA), closed under and/not.

import { DFA, JS, NFA, type CharSet, type ReadonlyWord } from "refa";
import { escapeRegExpLiteral, parseGlob, type GlobToken } from "../semantics/glob.ts";

const MAX_CHAR = 0x10ffff;
const toWord = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);
const fromWord = (w: ReadonlyWord): string => String.fromCodePoint(...w);

export type StringSet =
  | { readonly kind: "finite"; readonly words: ReadonlySet<string> }
  | { readonly kind: "cofinite"; readonly words: ReadonlySet<string> }
  | { readonly kind: "regular"; readonly dfa: DFA };

export const ALL_STRINGS: StringSet = { kind: "cofinite", words: new Set() };
export const NO_STRINGS: StringSet = { kind: "finite", words: new Set() };

export function exactly(...words: string[]): StringSet {
  return { kind: "finite", words: new Set(words) };
}

function regular(dfa: DFA): StringSet {
  dfa.minimize();
  return { kind: "regular", dfa };
}

function dfaOf(set: StringSet): DFA {
  if (set.kind === "regular") return set.dfa;
  const dfa = DFA.fromWords([...set.words].map(toWord), { maxCharacter: MAX_CHAR });
  if (set.kind === "cofinite") dfa.complement();
  return dfa;
}

/** The language of a JS regex source (no assertions), matched against the whole string. */
export function fromRegexSource(source: string, flags: string): StringSet {
  const { expression, maxCharacter } = JS.Parser.fromLiteral({ source, flags }).parse();
  return regular(DFA.fromFA(NFA.fromRegex(expression, { maxCharacter })));
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
  if (set.kind === "finite") return set.words.has(s);
  if (set.kind === "cofinite") return !set.words.has(s);
  return set.dfa.test(toWord(s));
}

export function not(set: StringSet): StringSet {
  if (set.kind === "finite") return { kind: "cofinite", words: set.words };
  if (set.kind === "cofinite") return { kind: "finite", words: set.words };
  const dfa = set.dfa.copy();
  dfa.complement();
  return regular(dfa);
}

export function and(a: StringSet, b: StringSet): StringSet {
  if (a.kind === "finite") return { kind: "finite", words: new Set([...a.words].filter((w) => has(b, w))) };
  if (b.kind === "finite") return and(b, a);
  if (a.kind === "cofinite" && b.kind === "cofinite") return { kind: "cofinite", words: new Set([...a.words, ...b.words]) };
  if (a.kind === "cofinite" && a.words.size === 0) return b;
  if (b.kind === "cofinite" && b.words.size === 0) return a;
  return regular(DFA.fromIntersection(dfaOf(a), dfaOf(b)));
}

export function isEmpty(set: StringSet): boolean {
  if (set.kind === "finite") return set.words.size === 0;
  if (set.kind === "cofinite") return false;
  return set.dfa.isEmpty;
}

export function isUniversal(set: StringSet): boolean {
  return set.kind === "cofinite" ? set.words.size === 0 : set.kind === "regular" ? isEmpty(not(set)) : false;
}

export function isSubset(a: StringSet, b: StringSet): boolean {
  return isEmpty(and(a, not(b)));
}

/** Characters a witness prefers, so that examples read well: letters, digits, `_-.`, then anything printable. */
const NICE = toWord("abcdefghijklmnopqrstuvwxyz0123456789_-./ABCDEFGHIJKLMNOPQRSTUVWXYZ");

function niceChar(cs: CharSet): number {
  for (const c of NICE) if (cs.has(c)) return c;
  for (const r of cs.ranges) {
    for (let c = Math.max(r.min, 0x20); c <= r.max && c < 0xd800; c++) if (c !== 0x7f) return c;
  }
  return cs.ranges[0].min;
}

/** A short, readable member of the set, or undefined when it is empty. `avoid` lists members to skip if possible. */
export function witness(set: StringSet, prefer: readonly string[] = []): string | undefined {
  for (const p of prefer) if (has(set, p)) return p;
  if (set.kind === "finite") return [...set.words].sort()[0];
  if (set.kind === "cofinite") {
    for (const candidate of ["x", "example", "a", "b", ""]) if (!set.words.has(candidate)) return candidate;
    for (let i = 0; ; i++) if (!set.words.has(`x${i}`)) return `x${i}`;
  }
  if (set.dfa.isEmpty) return undefined;
  // The shortest word, unless it ends in a separator ("list_"): then a slightly longer one reads better ("list_a").
  let first: string | undefined;
  let seen = 0;
  for (const wordSet of set.dfa.wordSets()) {
    const word = fromWord(wordSet.map(niceChar));
    first ??= word;
    if (!/[_\-./:]$/.test(word)) return word;
    if (++seen >= 8) break;
  }
  return first;
}

/** A random member (for sampling tests): walks the DFA choosing random transitions. */
export function sample(set: StringSet, random: () => number): string | undefined {
  if (isEmpty(set)) return undefined;
  if (set.kind === "finite") {
    const words = [...set.words].sort();
    return words[Math.floor(random() * words.length)];
  }
  if (set.kind === "cofinite") {
    for (let attempt = 0; attempt < 20; attempt++) {
      const len = Math.floor(random() * 6);
      let s = "";
      for (let i = 0; i < len; i++) s += "ab_-x*?[]!é😀\n"[Math.floor(random() * 14)] ?? "a";
      s = Array.from(s).slice(0, len).join("");
      if (!set.words.has(s)) return s;
    }
    return witness(set);
  }
  // Walk from the initial state; stop at an accepting state with some probability.
  const dfa = set.dfa;
  const live = liveNodes(dfa);
  for (let attempt = 0; attempt < 20; attempt++) {
    let node = dfa.initial;
    const word: number[] = [];
    for (let steps = 0; steps < 12; steps++) {
      if (dfa.finals.has(node) && random() < 0.35) return fromWord(word);
      const edges = [...node.out.entries()].filter(([, to]) => live.has(to));
      if (edges.length === 0) break;
      const [range, to] = edges[Math.floor(random() * edges.length)];
      const nice = NICE.find((c) => c >= range.min && c <= range.max);
      word.push(nice !== undefined && random() < 0.5 ? nice : clampToScalar(range.min + Math.floor(random() * Math.min(64, range.max - range.min + 1))));
      node = to;
    }
    if (dfa.finals.has(node)) return fromWord(word);
  }
  return witness(set);
}

function clampToScalar(c: number): number {
  return c >= 0xd800 && c <= 0xdfff ? 0x61 : c;
}

function liveNodes(dfa: DFA): Set<DFA.Node> {
  const nodes = [...dfa.nodes()];
  const live = new Set<DFA.Node>(dfa.finals);
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
  return live;
}

export function describeStringSet(set: StringSet): string {
  if (set.kind === "finite") return `{${[...set.words].map((w) => JSON.stringify(w)).join(", ")}}`;
  if (set.kind === "cofinite") return set.words.size === 0 ? "any" : `any but {${[...set.words].map((w) => JSON.stringify(w)).join(", ")}}`;
  return "a regular language";
}
