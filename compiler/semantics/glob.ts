// Aegis globs (Python fnmatch): parsing into tokens, a JS RegExp with the same meaning, and the cheapest test.

/** One code point range, inclusive. */
export type CodePointRange = readonly [number, number];

export type GlobToken =
  | { readonly t: "lit"; readonly s: string }
  | { readonly t: "star" }
  | { readonly t: "any" }
  /** `[...]`: one code point in (or, when negated, not in) the ranges. An empty set matches nothing. */
  | { readonly t: "class"; readonly negated: boolean; readonly ranges: readonly CodePointRange[] };

/**
 * Parse a pattern exactly as Python's `fnmatch.translate` reads it: `*`, `?`, `[...]` with `!`
 * negation (`^` is literal), `]` first in a set is literal, reversed ranges are dropped, an
 * unclosed `[` is literal, and backslash is an ordinary character.
 */
export function parseGlob(pat: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  const pushLit = (s: string) => {
    const last = tokens[tokens.length - 1];
    if (last && last.t === "lit") tokens[tokens.length - 1] = { t: "lit", s: last.s + s };
    else tokens.push({ t: "lit", s });
  };
  // Index by code point so that `?` and sets see one character per code point, as Python does.
  const cps = Array.from(pat);
  const n = cps.length;
  let i = 0;
  while (i < n) {
    const c = cps[i++];
    if (c === "*") {
      if (tokens[tokens.length - 1]?.t !== "star") tokens.push({ t: "star" });
    } else if (c === "?") {
      tokens.push({ t: "any" });
    } else if (c === "[") {
      let j = i;
      if (j < n && cps[j] === "!") j++;
      if (j < n && cps[j] === "]") j++;
      while (j < n && cps[j] !== "]") j++;
      if (j >= n) {
        pushLit("[");
        continue;
      }
      tokens.push(parseSet(cps, i, j));
      i = j + 1;
    } else {
      pushLit(c);
    }
  }
  return tokens;
}

/** The set between `[` (exclusive, at i) and `]` (at j), following fnmatch's chunking of hyphens. */
function parseSet(cps: string[], i: number, j: number): GlobToken {
  const body = cps.slice(i, j);
  let chunks: string[][];
  if (!body.includes("-")) {
    chunks = [body];
  } else {
    chunks = [];
    let start = i;
    let k = cps[i] === "!" ? i + 2 : i + 1;
    for (;;) {
      k = indexOf(cps, "-", k, j);
      if (k < 0) break;
      chunks.push(cps.slice(start, k));
      start = k + 1;
      k = k + 3;
    }
    const last = cps.slice(start, j);
    if (last.length > 0) chunks.push(last);
    else chunks[chunks.length - 1].push("-");
    // Drop reversed ranges, with both of their endpoints, as fnmatch does.
    for (let m = chunks.length - 1; m > 0; m--) {
      const prev = chunks[m - 1];
      if (cmp(prev[prev.length - 1], chunks[m][0]) > 0) {
        chunks[m - 1] = prev.slice(0, -1).concat(chunks[m].slice(1));
        chunks.splice(m, 1);
      }
    }
  }
  // Flatten: the last character of one chunk and the first of the next form a range; all else is literal.
  const flat = chunks.flatMap((chunk, m) => chunk.map((ch, idx) => ({ ch, rangeEnd: m > 0 && idx === 0 })));
  if (flat.length === 0) return { t: "class", negated: false, ranges: [] };
  let negated = false;
  let items = flat;
  if (items[0].ch === "!") {
    negated = true;
    items = items.slice(1);
  }
  const ranges: [number, number][] = [];
  for (let m = 0; m < items.length; m++) {
    const cp = items[m].ch.codePointAt(0)!;
    if (items[m].rangeEnd && ranges.length > 0 && m > 0) {
      ranges[ranges.length - 1] = [ranges[ranges.length - 1][0], cp];
    } else {
      ranges.push([cp, cp]);
    }
  }
  return { t: "class", negated, ranges: normalizeRanges(ranges) };
}

function indexOf(cps: string[], ch: string, from: number, to: number): number {
  for (let k = from; k < to; k++) if (cps[k] === ch) return k;
  return -1;
}

function cmp(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

export function normalizeRanges(ranges: readonly CodePointRange[]): CodePointRange[] {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/**
 * JS source of a RegExp (flags `su`) that matches exactly the strings the glob matches, in time
 * linear in the string (for a given pattern). As Python's fnmatch.translate does, each `*`
 * followed by a segment and another `*` takes the segment's first occurrence atomically: JS
 * has no atomic groups, so it is `(?=([\s\S]*?SEG))\N`, a lookahead (atomic in JS) whose capture
 * is then consumed. Taking the leftmost occurrence of each middle segment never loses a match,
 * since every other token matches exactly one character; without it, `*a*a*a*a*a*a*a*a*a*a`
 * against fifty `a`s and a `b` backtracks through C(50, 10) ways.
 */
export function globRegExpSource(tokens: readonly GlobToken[]): string {
  const segments: OneCharacter[][] = [[]];
  for (const tok of tokens) {
    if (tok.t === "star") segments.push([]);
    else segments[segments.length - 1]!.push(tok);
  }
  const segment = (toks: readonly OneCharacter[]) => toks.map(tokenSource).join("");
  if (segments.length === 1) return `^${segment(segments[0]!)}$`;
  let out = `^${segment(segments[0]!)}`;
  for (let k = 1; k < segments.length - 1; k++) out += `(?=([\\s\\S]*?${segment(segments[k]!)}))\\${k}`;
  return `${out}[\\s\\S]*${segment(segments[segments.length - 1]!)}$`;
}

/** The tokens that match exactly one character: all but `*`. */
type OneCharacter = Exclude<GlobToken, { t: "star" }>;

function tokenSource(tok: OneCharacter): string {
  switch (tok.t) {
    case "lit":
      return escapeRegExpLiteral(tok.s);
    case "any":
      return ".";
    case "class":
      if (tok.ranges.length === 0) return tok.negated ? "." : "(?!)";
      return `[${tok.negated ? "^" : ""}${tok.ranges.map(rangeSource).join("")}]`;
  }
}

export const GLOB_REGEXP_FLAGS = "su";

function rangeSource([lo, hi]: CodePointRange): string {
  return lo === hi ? cpEscape(lo) : `${cpEscape(lo)}-${cpEscape(hi)}`;
}

function cpEscape(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCodePoint(cp);
  return `\\u{${cp.toString(16)}}`;
}

/** Escapes every character that is not a letter or digit, so the result is safe in any regex context. */
export function escapeRegExpLiteral(s: string): string {
  let out = "";
  for (const ch of s) out += cpEscape(ch.codePointAt(0)!);
  return out;
}

export function compileGlob(pattern: string): RegExp {
  return new RegExp(globRegExpSource(parseGlob(pattern)), GLOB_REGEXP_FLAGS);
}

/** The cheapest test that decides a glob, picomatch-style: exact, prefix, suffix, both, contains, anything, or a regex. */
export type GlobTest =
  | { readonly kind: "any" }
  | { readonly kind: "exact"; readonly text: string }
  | { readonly kind: "prefix"; readonly prefix: string }
  | { readonly kind: "suffix"; readonly suffix: string }
  | { readonly kind: "prefix-suffix"; readonly prefix: string; readonly suffix: string }
  | { readonly kind: "contains"; readonly text: string }
  | { readonly kind: "regex"; readonly source: string; readonly flags: string };

export function classifyGlob(pattern: string): GlobTest {
  const tokens = parseGlob(pattern);
  const shape = tokens.map((t) => (t.t === "lit" ? "L" : t.t === "star" ? "S" : "X")).join("");
  const lit = (k: number) => (tokens[k] as { s: string }).s;
  switch (shape) {
    case "":
      return { kind: "exact", text: "" };
    case "L":
      return { kind: "exact", text: lit(0) };
    case "S":
      return { kind: "any" };
    case "LS":
      return { kind: "prefix", prefix: lit(0) };
    case "SL":
      return { kind: "suffix", suffix: lit(1) };
    case "LSL":
      return { kind: "prefix-suffix", prefix: lit(0), suffix: lit(2) };
    case "SLS":
      return { kind: "contains", text: lit(1) };
    default:
      return { kind: "regex", source: globRegExpSource(tokens), flags: GLOB_REGEXP_FLAGS };
  }
}

/** Whether a glob test accepts a string; the reference for what generated code must compute. */
export function testGlob(test: GlobTest, s: string): boolean {
  switch (test.kind) {
    case "any":
      return true;
    case "exact":
      return s === test.text;
    case "prefix":
      return s.startsWith(test.prefix);
    case "suffix":
      return s.endsWith(test.suffix);
    case "prefix-suffix":
      return s.length >= test.prefix.length + test.suffix.length && s.startsWith(test.prefix) && s.endsWith(test.suffix);
    case "contains":
      return s.includes(test.text);
    case "regex":
      return new RegExp(test.source, test.flags).test(s);
  }
}
