// Sets of strings for the analysis: intersections of glob, regex and word languages and their complements, decided lazily.

import type { DFA, ReadonlyWord, TransitionIterable } from "refa";
import { requireCjs } from "../require-cjs.ts";

const refa = requireCjs("refa") as typeof import("refa");
import { escapeRegExpLiteral, parseGlob, type GlobToken } from "../semantics/glob.ts";

const MAX_CHAR = 0x10ffff;
/** Code points of a string; tool and server names are tested again and again, so the last few thousand are kept. */
function toWord(s: string): number[] {
  let word = wordCache.get(s);
  if (!word) {
    word = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.codePointAt(i)!;
      word.push(c);
      if (c > 0xffff) i++;
    }
    if (wordCache.size >= MAX_CACHED_WORDS) wordCache.clear();
    wordCache.set(s, word);
  }
  return word;
}
const wordCache = new Map<string, number[]>();
const MAX_CACHED_WORDS = 20_000;
const fromWord = (w: ReadonlyWord): string => String.fromCodePoint(...w);

/**
 * One base language: `(L(dfa) ∪ include) \\ exclude`, with include and exclude disjoint. Exact
 * names (the bulk of most policies) live in the finite sets, so automata only ever hold the few
 * glob and regex languages. Each has an id, so that conjunctions of them have a canonical key.
 */
interface Lang {
  readonly id: number;
  /** null: the empty language. */
  readonly dfa: DFA | null;
  readonly include: ReadonlySet<string>;
  readonly exclude: ReadonlySet<string>;
  /** Memoized: the complement, and a short member ("" stands for the empty word, null for none). */
  complement?: Lang;
  shortest?: string | null;
  /** Memoized: whether this language shares no word with the language of a larger id. */
  disjoint?: Map<number, boolean>;
  /** For a glob of literals and stars: its leading and trailing literals and those between, in order. */
  glob?: GlobShape;
  /** For any glob with a leading or trailing literal: those literals (`postgres_[rw]*` starts with `postgres_`). */
  anchors?: Anchors;
  /** For a glob that is not only literals and stars: the same language as a regular expression, to test a name on its text. */
  matcher?: RegExp;
}

interface Anchors {
  readonly first: string;
  readonly last: string;
}

interface GlobShape extends Anchors {
  readonly inner: readonly string[];
  /** No literal holds a surrogate, so matching UTF-16 text agrees with the automaton's code points. */
  readonly plain: boolean;
}

/**
 * A set of strings: the intersection of base languages (none: every string), kept symbolic.
 * Cube subtraction intersects a rule's glob with the complements of the globs before it, again
 * and again; building each product automaton eagerly made that the analysis's whole cost. Here
 * an intersection is a merge of sorted lists, and emptiness is decided once per distinct list,
 * by a candidate word when one is found and by a product automaton only when none is.
 */
export interface StringSet {
  /** Sorted by id, without duplicates. */
  readonly parts: readonly Lang[];
  /**
   * A member once one is known: inherited by intersections that accept it. Held here rather
   * than in a WeakMap: a large analysis makes hundreds of thousands of sets, and the weak
   * table's upkeep was a share of the garbage collector's time.
   */
  member?: string;
}

const EMPTY_WORDS: ReadonlySet<string> = new Set();
const ALL_DFA = refa.DFA.all({ maxCharacter: MAX_CHAR });
let nextId = 0;

function lang(dfa: DFA | null, include: ReadonlySet<string>, exclude: ReadonlySet<string>): Lang {
  // Keep include and exclude disjoint (what emptiness relies on); words excluded from outside the language are harmless.
  let inc = include;
  if (inc.size > 0 && exclude.size > 0) {
    const kept = new Set<string>();
    for (const w of inc) if (!exclude.has(w)) kept.add(w);
    inc = kept;
  }
  return { id: nextId++, dfa: dfa && !dfa.isEmpty ? dfa : null, include: inc.size ? inc : EMPTY_WORDS, exclude: dfa ? exclude : EMPTY_WORDS };
}

const ALL_LANG = lang(ALL_DFA, EMPTY_WORDS, EMPTY_WORDS);
const EMPTY_LANG = lang(null, EMPTY_WORDS, EMPTY_WORDS);
ALL_LANG.complement = EMPTY_LANG;
EMPTY_LANG.complement = ALL_LANG;

/** A set of these parts; every set has both fields from the start, so all share one shape. */
const setOf = (parts: readonly Lang[]): StringSet => ({ parts, member: undefined });

export const ALL_STRINGS: StringSet = setOf([]);
export const NO_STRINGS: StringSet = setOf([EMPTY_LANG]);

const single = (l: Lang): StringSet => (l === ALL_LANG ? ALL_STRINGS : l === EMPTY_LANG ? NO_STRINGS : setOf([l]));

/** Single words are interned, so that every `tool == "x"` and exact rule name shares one language. */
const wordLangs = new Map<string, Lang>();

function wordLang(word: string): Lang {
  let l = wordLangs.get(word);
  if (!l) wordLangs.set(word, (l = lang(null, new Set([word]), EMPTY_WORDS)));
  return l;
}

export function exactly(...words: string[]): StringSet {
  const distinct = new Set(words);
  if (distinct.size === 0) return NO_STRINGS;
  return single(distinct.size === 1 ? wordLang(words[0]) : lang(null, distinct, EMPTY_WORDS));
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a.size === 0 || a === b) return b;
  if (b.size === 0) return a;
  const out = new Set(a);
  for (const w of b) out.add(w);
  return out;
}

let productMemo = new WeakMap<DFA, WeakMap<DFA, DFA>>();
/** Emptiness, witnesses and products per canonical list of part ids; cleared per analysis and when they grow past their caps. */
/** Per key: a member, true when empty, false when not empty but no member is known. */
let emptinessMemo = new Map<string, string | boolean>();
/** Witnesses by the sets' parts (see witness), then by the list of preferred words. */
let witnessMemo = new Map<string, Map<readonly string[], string | undefined>>();
let productLangs = new Map<string, Lang>();
const MAX_EMPTINESS_MEMO = 200_000;
const MAX_PRODUCT_LANGS = 2_000;
const MAX_KEPT_PRODUCT_PARTS = 4;

/** Drops memoized automata and answers: a new analysis starts from nothing. */
export function resetMemos(): void {
  productMemo = new WeakMap();
  emptinessMemo = new Map();
  witnessMemo = new Map();
  productLangs = new Map();
  memoized = 0;
}

function complementDfa(dfa: DFA): DFA {
  const out = dfa.copy();
  out.complement();
  out.minimize();
  return out;
}

function complementLang(l: Lang): Lang {
  if (!l.complement) {
    // ¬((L ∪ I) \\ E) = (¬L \\ I) ∪ E; included words that the language already holds stay out of the complement.
    const c = lang(l.dfa === null ? ALL_DFA : complementDfa(l.dfa), l.exclude, l.include);
    c.complement = l;
    l.complement = c;
  }
  return l.complement;
}

/** Memoized product automata are dropped past this many, so one hard question cannot hold gigabytes of them. */
const MAX_MEMOIZED = 400;
let memoized = 0;

function productDfa(a: DFA, b: DFA): DFA {
  if (a === b || b === ALL_DFA) return a;
  if (a === ALL_DFA) return b;
  if (++memoized > MAX_MEMOIZED) {
    productMemo = new WeakMap();
    memoized = 0;
  }
  let inner = productMemo.get(a);
  if (!inner) productMemo.set(a, (inner = new WeakMap()));
  let out = inner.get(b);
  if (!out) {
    out = refa.DFA.fromIntersection(a, b);
    out.minimize();
    inner.set(b, out);
    let mirror = productMemo.get(b);
    if (!mirror) productMemo.set(b, (mirror = new WeakMap()));
    mirror.set(a, out);
  }
  return out;
}

function hasLang(l: Lang, s: string): boolean {
  if (l.exclude.has(s)) return false;
  if (l.include.has(s)) return true;
  if (l.dfa === null) return false;
  // A glob of literals and stars, or its complement, is tested on the text: no code points, no automaton walk.
  if (l.glob?.plain) return shapeMatches(l.glob, s);
  if (l.matcher) return l.matcher.test(s);
  const other = l.complement;
  if (other?.glob?.plain) return !shapeMatches(other.glob, s);
  if (other?.matcher) return !other.matcher.test(s);
  return l.dfa.test(toWord(s));
}

/** Whether a glob of literals and stars matches: its leading and trailing literals in place, its inner ones in order between them. */
function shapeMatches(g: GlobShape, s: string): boolean {
  if (s.length < g.first.length + g.last.length || !s.startsWith(g.first) || !s.endsWith(g.last)) return false;
  const end = s.length - g.last.length;
  let at = g.first.length;
  for (const literal of g.inner) {
    const found = s.indexOf(literal, at);
    if (found < 0 || found + literal.length > end) return false;
    at = found + literal.length;
  }
  return true;
}

/** The intersection of two base languages as one, with its automaton built. */
function andLang(a: Lang, b: Lang): Lang {
  const dfa = a.dfa && b.dfa ? productDfa(a.dfa, b.dfa) : null;
  let include: ReadonlySet<string> = EMPTY_WORDS;
  if (a.include.size > 0 || b.include.size > 0) {
    const inc = new Set<string>();
    for (const w of a.include) if (hasLang(b, w)) inc.add(w);
    for (const w of b.include) if (hasLang(a, w)) inc.add(w);
    include = inc;
  }
  return lang(dfa, include, union(a.exclude, b.exclude));
}

const keyOf = (set: StringSet): string => (set.parts.length === 1 ? String(set.parts[0].id) : set.parts.map((p) => p.id).join(","));

/** The set as one base language, building (and memoizing) the product automaton. */
function materialize(set: StringSet): Lang {
  if (set.parts.length === 0) return ALL_LANG;
  if (set.parts.length === 1) return set.parts[0];
  const key = keyOf(set);
  let out = productLangs.get(key);
  if (!out) {
    out = set.parts.reduce(andLang);
    // Products of many parts are rarely asked for twice and can be large: only small ones are kept.
    if (set.parts.length > MAX_KEPT_PRODUCT_PARTS) return out;
    if (productLangs.size >= MAX_PRODUCT_LANGS) productLangs = new Map();
    productLangs.set(key, out);
  }
  return out;
}

/**
 * The language of a JS regex source (no assertions), matched against the whole string. Kept by
 * source: a large policy repeats a few argument patterns hundreds of times (working out the
 * regions of 10,000 generated rules: 0.92 s to 0.72 s).
 */
export function fromRegexSource(source: string, flags: string): StringSet {
  const key = `${flags}/${source}`;
  let set = regexCache.get(key);
  if (!set) {
    const { expression, maxCharacter } = refa.JS.Parser.fromLiteral({ source, flags }).parse();
    const dfa = refa.DFA.fromFA(refa.NFA.fromRegex(expression, { maxCharacter: Math.max(maxCharacter, MAX_CHAR) as typeof maxCharacter }));
    dfa.minimize();
    set = single(dfa.isEmpty ? EMPTY_LANG : lang(dfa, EMPTY_WORDS, EMPTY_WORDS));
    if (regexCache.size >= MAX_KEPT_REGEXES) regexCache.clear();
    regexCache.set(key, set);
  }
  return set;
}
const regexCache = new Map<string, StringSet>();
const MAX_KEPT_REGEXES = 4_096;

const globCache = new Map<string, StringSet>();

/** The strings a glob matches, with Aegis's fnmatch semantics. */
export function fromGlob(pattern: string): StringSet {
  let set = globCache.get(pattern);
  if (set) return set;
  const tokens = parseGlob(pattern);
  if (tokens.every((t) => t.t === "lit")) set = exactly(tokens.map((t) => (t as { s: string }).s).join(""));
  else if (tokens.length === 1 && tokens[0].t === "star") set = ALL_STRINGS;
  else {
    const source = tokens.map(tokenSource).join("");
    set = fromRegexSource(source, "su");
    const edge = (t: GlobToken) => (t.t === "lit" ? t.s : "");
    const anchors = { first: edge(tokens[0]), last: tokens.length > 1 ? edge(tokens[tokens.length - 1]) : "" };
    // An empty glob (`a[z-a]`) is the shared empty language, which must not take this glob's anchors.
    if (set.parts.length === 1 && set.parts[0].dfa !== null && (anchors.first !== "" || anchors.last !== "")) set.parts[0].anchors = anchors;
    if (tokens.every((t) => t.t === "lit" || t.t === "star") && set.parts.length === 1) {
      const lits = tokens.map((t) => (t.t === "lit" ? t.s : undefined));
      const first = lits[0] ?? "";
      const last = lits.length > 1 ? (lits[lits.length - 1] ?? "") : "";
      const inner = lits.slice(lits[0] === undefined ? 0 : 1, lits.length > 1 && lits[lits.length - 1] !== undefined ? -1 : undefined).filter((x): x is string => x !== undefined);
      set.parts[0].glob = { first, inner, last, plain: !/[\uD800-\uDFFF]/.test(first + inner.join("") + last) };
      set.parts[0].anchors = set.parts[0].glob;
    } else if (set.parts.length === 1 && set.parts[0].dfa !== null) {
      // Walking the automaton needs the name's code points first; a regular expression with the `u` flag reads them itself.
      set.parts[0].matcher = new RegExp(`^(?:${source})$`, "su");
    }
  }
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
  for (const p of set.parts) if (!hasLang(p, s)) return false;
  return true;
}

export function not(set: StringSet): StringSet {
  return single(complementLang(materialize(set)));
}

export function and(a: StringSet, b: StringSet): StringSet {
  if (a === b || b.parts.length === 0) return a;
  if (a.parts.length === 0) return b;
  const x = a.parts;
  const y = b.parts;
  // A finite part bounds the whole set: keep the words every other part accepts, so that exact
  // names stay a plain word set, as cheap to intersect as ever. Only a set of one part has a
  // finite part; of two, the one with the lower id bounds the set.
  const finiteA = x.length === 1 && x[0].dfa === null ? x[0] : undefined;
  const finiteB = y.length === 1 && y[0].dfa === null ? y[0] : undefined;
  if (finiteA || finiteB) {
    const fromA = finiteA !== undefined && (finiteB === undefined || finiteA.id < finiteB.id);
    const [finite, bounded, other] = fromA ? [finiteA, a, b] : [finiteB!, b, a];
    const words: string[] = [];
    for (const w of finite.include) if (has(other, w)) words.push(w);
    return words.length === finite.include.size ? bounded : exactly(...words);
  }
  const parts: Lang[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    const next = j >= y.length || (i < x.length && x[i].id < y[j].id) ? x[i++] : y[j] === x[i] ? (i++, y[j++]) : y[j++];
    if (next === EMPTY_LANG) return NO_STRINGS;
    parts.push(next);
  }
  // A part and its complement: complements pair both ways, so only the shorter side's parts need looking up.
  const [fewer, more] = x.length <= y.length ? [x, y] : [y, x];
  for (const p of fewer) if (p.complement && (more.includes(p.complement) || fewer.includes(p.complement))) return NO_STRINGS;
  const out = setOf(withoutIdleComplements(parts));
  // A member of one side that the other side accepts is a member of both: emptiness is then
  // settled by one membership test, where a cube subtraction would otherwise search afresh for
  // every new conjunction (each piece adds one complement to its parent's set).
  const fromA = knownMember(a);
  if (fromA !== undefined && has(b, fromA)) out.member = fromA;
  else {
    const fromB = knownMember(b);
    if (fromB !== undefined && has(a, fromB)) out.member = fromB;
    else if (fromA !== undefined && y.length <= 2) {
      // a is not empty, so an empty result most often has one of b's parts disjoint from one part:
      // a few memoized pair tests, where a search of the whole conjunction would fail slowly.
      for (const q of y) if (!x.includes(q)) for (const p of parts) if (p !== q && disjointPair(p, q)) return NO_STRINGS;
    }
  }
  return out;
}

/**
 * Drops the complements of globs that cannot meet a glob the set requires: `*_file` and
 * not `*_issue` is `*_file`, `postgres_[rw]*` and not `redis_[rw]*` is `postgres_[rw]*`. A
 * piece of a long pass gets one complement per pattern rule before it, and most of those rules
 * name other prefixes or suffixes; kept, they would make every membership test and every
 * emptiness search of the piece walk them all (a product of thirty automata cost 30-200 ms).
 */
function withoutIdleComplements(parts: Lang[]): Lang[] {
  let anyExcluded = false;
  for (const q of parts) if (q.complement?.anchors) anyExcluded = true;
  if (!anyExcluded) return parts;
  const required = parts.filter((p) => p.anchors);
  if (required.length === 0) return parts;
  const kept = parts.filter((q) => {
    const excluded = q.complement?.anchors;
    return !excluded || !required.some((p) => shapesDisjoint(p.anchors!, excluded));
  });
  return kept.length === parts.length ? parts : kept;
}

/**
 * Whether `set` may share a string with `other` (a rule's pattern: words, or one glob), by a
 * cheap test: a word in `set`, or no conflict between the leading and trailing literals of
 * `other` and of a glob `set` requires. False is proof; true only means "not ruled out".
 */
export function mayMeet(set: StringSet, other: StringSet): boolean {
  const words = wordsOf(other);
  if (words) {
    for (const w of words) if (has(set, w)) return true;
    return false;
  }
  const anchors = other.parts.length === 1 ? other.parts[0].anchors : undefined;
  if (!anchors) return true;
  for (const p of set.parts) if (p.anchors && shapesDisjoint(p.anchors, anchors)) return false;
  return true;
}

/**
 * Whether two sets that are each one glob of literals and stars share a string, when that is
 * decided by their shapes alone: they do unless their leading or trailing literals conflict,
 * since a long enough word can hold one's inner literals and then the other's between them.
 */
export function globShapesMeet(a: StringSet, b: StringSet): boolean | undefined {
  const x = a.parts.length === 1 ? a.parts[0].glob : undefined;
  const y = b.parts.length === 1 ? b.parts[0].glob : undefined;
  return x && y ? !shapesDisjoint(x, y) : undefined;
}

/** Whether two globs share no string because their leading or their trailing literals conflict. */
function shapesDisjoint(a: Anchors, b: Anchors): boolean {
  return (!a.first.startsWith(b.first) && !b.first.startsWith(a.first)) || (!a.last.endsWith(b.last) && !b.last.endsWith(a.last));
}

function knownMember(set: StringSet): string | undefined {
  if (set.member !== undefined) return set.member;
  if (set.parts.length === 1) {
    const w = shortestOf(set.parts[0]);
    return w !== undefined && hasLang(set.parts[0], w) ? w : undefined;
  }
  const memo = emptinessMemo.get(keyOf(set));
  if (typeof memo === "string") set.member = memo;
  return typeof memo === "string" ? memo : undefined;
}

function isEmptyLang(l: Lang): boolean {
  if (l.include.size > 0) return false;
  if (l.dfa === null) return true;
  if (l.exclude.size === 0 || !l.dfa.isFinite) return false;
  // A finite language can be used up by the excluded words; count word sets before spelling
  // any out, since one set such as `?` stands for a million words.
  let left = l.exclude.size;
  for (const ws of l.dfa.wordSets()) {
    let size = 1;
    for (const cs of ws) {
      size *= cs.ranges.reduce((n, r) => n + r.max - r.min + 1, 0);
      if (size > left) return false;
    }
    for (const w of spell(ws)) {
      if (!l.exclude.has(w)) return false;
      left--;
    }
  }
  return true;
}

export function isEmpty(set: StringSet): boolean {
  if (set.parts.length === 0) return false;
  if (set.parts.length === 1) return isEmptyLang(set.parts[0]);
  if (set.member !== undefined) return false;
  const key = keyOf(set);
  let answer = emptinessMemo.get(key);
  if (answer === undefined) {
    // A member found by trying short words of the parts proves non-emptiness without any product.
    answer = candidateMember(set) ?? (emptyByLiterals(set) || hasDisjointPair(set) || productIsEmpty(set));
    if (emptinessMemo.size >= MAX_EMPTINESS_MEMO) emptinessMemo = new Map();
    emptinessMemo.set(key, answer);
  }
  if (typeof answer === "string") set.member = answer;
  return answer === true;
}

/**
 * Emptiness of a conjunction of parts with automata, walking their product lazily (states are
 * built only as reached, and none is minimized) instead of materializing it. The product needs
 * building only when excluded words might use up a finite language.
 */
function productIsEmpty(set: StringSet): boolean {
  const parts = set.parts;
  if (parts.some((p) => p.dfa === null)) return isEmptyLang(materialize(set));
  // A word of an include set lies in the conjunction only if `has` says so; those were tried.
  for (const p of parts) for (const w of p.include) if (has(set, w)) return false;
  // Each lazy product is the left operand of the next; its states are stable objects, so it can be walked again.
  type Walkable = TransitionIterable<object>;
  const chained = parts.slice(1).reduce<Walkable>((acc, p) => {
    const iterator = refa.getIntersectionIterator(acc, p.dfa!);
    return { maxCharacter: MAX_CHAR, transitionIterator: () => iterator } as Walkable;
  }, parts[0].dfa! as Walkable);
  const states = refa.FAIterators.mapOut(chained.transitionIterator(), (out) => out.keys());
  if (!refa.FAIterators.canReachFinal(states)) return true;
  if (parts.every((p) => p.exclude.size === 0) || !refa.FAIterators.languageIsFinite(states)) return false;
  return isEmptyLang(materialize(set));
}

/**
 * Words likely to lie in a conjunction of globs: each part's shortest word, pairs of them, and
 * all of them joined with the start-anchored ones first and the end-anchored ones last (so a
 * prefix glob's word, a "contains" glob's word and a suffix glob's word make one member).
 */
function candidateMember(set: StringSet): string | undefined {
  const first: string[] = [];
  const middle: string[] = [];
  const last: string[] = [];
  for (const p of set.parts) {
    let w = shortestOf(p);
    // Shortest words end in a letter after a separator to read well (`slack_a`); joined, the bare `slack_` nests in `slack_search_`.
    const bare = w?.slice(0, -1);
    if (bare !== undefined && /[_\-./:]$/.test(bare) && hasLang(p, bare)) w = bare;
    if (w === undefined || w === "" || first.includes(w) || middle.includes(w) || last.includes(w)) continue;
    (!hasLang(p, `\u0001${w}`) ? first : !hasLang(p, `${w}\u0001`) ? last : middle).push(w);
  }
  const shortest = [...absorbed(first), ...absorbed(middle), ...absorbed(last)];
  const tried = new Set<string>();
  // Globs of literals and stars meet in one word: the longest leading literal, every inner one, the longest trailing one.
  const shapes = set.parts.flatMap((p) => (p.glob ? [p.glob] : []));
  const joined = shapes.length > 1 ? [longestOf(shapes.map((g) => g.first)), ...shapes.flatMap((g) => g.inner), longestOf(shapes.map((g) => g.last))] : [];
  const guesses = [() => [""], () => (joined.length ? [joined.join(""), joined.join("x")] : []), () => shortest, () => [shortest.join("")], () => shortest.flatMap((a) => shortest.filter((b) => b !== a).map((b) => a + b))];
  for (const guess of guesses) {
    for (const w of guess()) {
      const found = paddedMember(set, w, tried);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

// Helpers of candidateMember at module level rather than closures per call: it runs for most
// emptiness questions, and tsx gives every closure it creates a name at run time.

/** The words of a group that lie inside no longer word of it: `_table` adds nothing to `_delete_table`. */
function absorbed(group: readonly string[]): string[] {
  return group.filter((w) => !group.some((o) => o !== w && o.length > w.length && o.includes(w)));
}

function longestOf(xs: readonly string[]): string {
  return xs.reduce((a, b) => (b.length > a.length ? b : a), "");
}

/** A member of the set among `w` and `w` padded (to step out of suffix and prefix globs the set excludes), not tried before. */
function paddedMember(set: StringSet, w: string, tried: Set<string>): string | undefined {
  for (const pad of PADS) {
    for (const x of [w, `${w}${pad}`, `${pad}${w}`, `${pad}${w}${pad}`]) {
      if (tried.has(x)) continue;
      tried.add(x);
      if (has(set, x)) return x;
    }
  }
  return undefined;
}

/**
 * Whether the set is empty by its globs' literals: two globs it requires whose leading or
 * trailing literals conflict (`*_table` and `docker_*_channel`), or a glob it excludes that holds
 * every string the required globs' literals allow (`github_read_*` and not `github_*`; with
 * `postgres_[rw]*` and `*_read_file`, not `postgres_*_file`). Where no word of the parts is a
 * member, such a pair is the usual cause, and the product automaton cost about 1 ms each (at
 * 1,000 rules, 302 sets and 0.24 s).
 */
export function emptyByLiterals(set: StringSet): boolean {
  const required = requiredLiterals(set.parts);
  if (!required) return true;
  const parts = set.parts;
  for (const q of parts) {
    const excluded = q.glob ? undefined : q.complement?.glob;
    if (!excluded?.plain) continue;
    if (excluded.inner.length === 0) {
      if (holdsHeadAndTail(required, excluded)) return true;
    } else if (excluded.inner.length === 1) {
      for (const p of parts) if (p.glob?.plain && globWithinContains(p.glob, excluded)) return true;
    }
  }
  return false;
}

/** What every member of a conjunction of parts has: a head, a tail and a least length. */
interface RequiredLiterals {
  readonly head: string;
  readonly tail: string;
  readonly least: number;
}

/**
 * The longest head and tail the parts' globs require, and the length those globs' literals need
 * together; undefined when two required heads or two tails conflict (no string has both). The
 * heads agree, so every member starts with the longest, and likewise ends with the longest tail.
 */
function requiredLiterals(parts: readonly Lang[]): RequiredLiterals | undefined {
  let head = "";
  let tail = "";
  let least = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.anchors) {
      for (let j = i + 1; j < parts.length; j++) if (parts[j].anchors && shapesDisjoint(p.anchors, parts[j].anchors!)) return undefined;
      if (p.anchors.first.length > head.length) head = p.anchors.first;
      if (p.anchors.last.length > tail.length) tail = p.anchors.last;
      least = Math.max(least, p.anchors.first.length + p.anchors.last.length);
    }
    if (p.glob) least = Math.max(least, p.glob.first.length + p.glob.inner.reduce((n, x) => n + x.length, 0) + p.glob.last.length);
  }
  // A member holding the head and the tail is as long as the two less their longest overlap.
  return { head, tail, least: Math.max(least, head.length + tail.length - longestOverlap(head, tail)) };
}

/** Whether glob `g` (of no inner literal) matches every string of the required head, tail and length. */
const holdsHeadAndTail = (r: RequiredLiterals, g: GlobShape) => r.head.startsWith(g.first) && r.tail.endsWith(g.last) && g.first.length + g.last.length <= r.least;

/** The most characters that end `head` and start `tail` at once. */
function longestOverlap(head: string, tail: string): number {
  for (let k = Math.min(head.length, tail.length); k > 0; k--) if (head.endsWith(tail.slice(0, k))) return k;
  return 0;
}

/**
 * Whether every string of glob `a` surely matches glob `b`, where `b` has exactly one inner
 * literal (a `b` without one is settled by the required heads and tails in emptyByLiterals).
 * a's strings start with a's head, end with a's tail, hold its inner literals between them, and
 * are at least as long as head and tail together: a head that starts with b's and a tail that
 * ends with b's suffice, with b's inner literal inside one of a's inner literals (or inside a's
 * head or tail, where b has no head or tail to overlap it).
 */
function globWithinContains(a: GlobShape, b: GlobShape): boolean {
  if (!a.first.startsWith(b.first) || !a.last.endsWith(b.last)) return false;
  const c = b.inner[0];
  return a.inner.some((x) => x.includes(c)) || (b.first === "" && a.first.includes(c)) || (b.last === "" && a.last.includes(c));
}

function hasDisjointPair(set: StringSet): boolean {
  const parts = set.parts;
  if (parts.length < 3) return false;
  for (let i = 0; i < parts.length; i++) {
    for (let j = i + 1; j < parts.length; j++) if (!bothExcludeLiteralGlobs(parts[i], parts[j]) && disjointPair(parts[i], parts[j])) return true;
  }
  return false;
}

/**
 * Whether both parts are complements of globs of literals and stars that each hold a literal:
 * neither glob matches the empty word, so the two always share it. A piece deep in a pass holds
 * dozens of such complements, and skipping their pairs spares a quadratic number of lookups.
 */
function bothExcludeLiteralGlobs(a: Lang, b: Lang): boolean {
  const x = a.complement?.glob;
  const y = b.complement?.glob;
  return x !== undefined && y !== undefined && holdsLiteral(x) && holdsLiteral(y);
}

const holdsLiteral = (g: GlobShape) => g.first !== "" || g.last !== "" || g.inner.some((s) => s !== "");

/** Padding for candidate words: a readable letter first (witnesses are shown), then a character no glob names. */
const PADS = ["x", "\u0001"];

/** Whether two parts share no word, memoized per pair: most empty conjunctions hold two such parts. */
function disjointPair(a: Lang, b: Lang): boolean {
  const [x, y] = a.id < b.id ? [a, b] : [b, a];
  // Held by the language, not under the string key of a set: these lookups run a quadratic number of times.
  const known = (x.disjoint ??= new Map());
  let answer = known.get(y.id);
  if (answer === undefined) known.set(y.id, (answer = isEmpty(setOf([x, y]))));
  return answer;
}

function shortestOf(l: Lang): string | undefined {
  if (l.shortest === undefined) {
    const words = [...l.include].filter((w) => !l.exclude.has(w)).sort();
    l.shortest = words[0] ?? (l.dfa ? (shortestWord(l.dfa) ?? null) : null);
  }
  return l.shortest ?? undefined;
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

/**
 * Whether `inner` (undefined: every string) is known to lie inside `outer` without any
 * emptiness search: the same set, words all in it, or every part of `outer` among its own or a
 * glob its required literals fit.
 * False means only "not known".
 */
export function surelyWithin(inner: StringSet | undefined, outer: StringSet): boolean {
  if (inner === outer || outer.parts.length === 0) return true;
  if (!inner) return false;
  const words = wordsOf(inner);
  if (words) {
    for (const w of words) if (!has(outer, w)) return false;
    return true;
  }
  let required: RequiredLiterals | undefined | null = null;
  for (const p of outer.parts) {
    if (inner.parts.includes(p)) continue;
    // A glob of literals and stars holds the set when the set's required literals fit it (`github_read_*` within `github_*`).
    const g = p.glob;
    if (!g?.plain || g.inner.length > 1) return false;
    if (g.inner.length === 1) {
      if (!inner.parts.some((q) => q.glob?.plain && globWithinContains(q.glob, g))) return false;
      continue;
    }
    if (required === null) required = requiredLiterals(inner.parts);
    if (required && !holdsHeadAndTail(required, g)) return false;
  }
  return true;
}

/**
 * Whether surelyWithin's answer of "not known" is as good as "no" for `outer`: each of its parts
 * is a word list or a glob of literals and stars, whose fit the required literals settle in all
 * but rare cases. A glob with a class or a `?` (`figma12_[rw]*`) or a regex is left to automata.
 */
export function cheaplyPlaced(outer: StringSet): boolean {
  return outer.parts.every((p) => p.dfa === null || (p.glob?.plain === true && p.glob.inner.length <= 1));
}

export function isSubset(a: StringSet, b: StringSet): boolean {
  return isEmpty(and(a, not(b)));
}

/** Whether the set is a plain list of words (exact names): such dimensions are the cheapest to intersect. */
export function isWordList(set: StringSet): boolean {
  return set.parts.length === 1 && set.parts[0].dfa === null;
}

/** The words of a plain word list, or undefined when the set is not one. */
export function wordsOf(set: StringSet): ReadonlySet<string> | undefined {
  return isWordList(set) ? set.parts[0].include : undefined;
}

/** Characters a witness prefers, so that examples read well: letters, digits, `_-.`, then anything printable. */
const NICE = toWord("abcdefghijklmnopqrstuvwxyz0123456789_-./ABCDEFGHIJKLMNOPQRSTUVWXYZ");

/** A short, readable member of the set, or undefined when it is empty. Members in `prefer` come first. */
export function witness(set: StringSet, prefer: readonly string[] = NO_PREFERENCE): string | undefined {
  // Kept per set and list of preferred words: the sets of a rule's own patterns come back in
  // thousands of example calls, and the lists are the same few arrays.
  let known = witnesses.get(set);
  if (known?.has(prefer)) return known.get(prefer);
  // Then per parts: the intersections a large policy's questions build are new sets of the same
  // parts again and again (a rule's tool glob with each rule on another glob it meets).
  const key = keyOf(set);
  let byParts = witnessMemo.get(key);
  let found: string | undefined;
  if (byParts?.has(prefer)) found = byParts.get(prefer);
  else {
    found = freshWitness(set, prefer);
    if (!byParts) {
      if (witnessMemo.size >= MAX_EMPTINESS_MEMO) witnessMemo = new Map();
      witnessMemo.set(key, (byParts = new Map()));
    }
    byParts.set(prefer, found);
  }
  if (!known) witnesses.set(set, (known = new Map()));
  known.set(prefer, found);
  return found;
}
const witnesses = new WeakMap<StringSet, Map<readonly string[], string | undefined>>();
const NO_PREFERENCE: readonly string[] = [];

function freshWitness(set: StringSet, prefer: readonly string[]): string | undefined {
  const preferred = firstPreferred(set, prefer);
  if (preferred !== undefined) return preferred;
  // A conjunction is tried on candidate words (each checked for membership) before its product
  // automaton is built: two globs' product cost about 0.2 ms, most of what checking an example
  // call cost in a 1,000-rule analysis, and a set of many parts is too costly to build at all.
  if (set.parts.length > 1) {
    const found = candidateMember(set);
    if (found !== undefined) return readableEnd(set, found);
  }
  return langWitness(materialize(set));
}

/** A word of the set that ends in a separator, with a letter after it when the set allows one (`prod-a`, not `prod-`), as shortestWord reads. */
function readableEnd(set: StringSet, word: string): string {
  if (!/[_\-./:]$/.test(word)) return word;
  for (const c of NICE.slice(0, 26)) {
    const longer = word + String.fromCodePoint(c);
    if (has(set, longer)) return longer;
  }
  return word;
}

/** Past this many preferred words, they are looked up through an index rather than each tested. */
const INDEXED_PREFERENCES = 64;

interface PreferenceIndex {
  readonly position: ReadonlyMap<string, number>;
  /** The words with their positions, sorted by the word, and by the word reversed. */
  readonly sorted: readonly (readonly [string, number])[];
  readonly sortedReversed: readonly (readonly [string, number])[];
}
const preferenceIndexes = new WeakMap<readonly string[], PreferenceIndex>();

/**
 * The first of `prefer` in the set. A policy of thousands of rules prefers thousands of names;
 * testing each for every witness was most of the analysis's time there. A finite set is looked
 * up by its words; a set inside a glob with a leading (or trailing) literal is looked up among
 * the preferred words with that prefix (or suffix), since no other can be in it.
 */
function firstPreferred(set: StringSet, prefer: readonly string[]): string | undefined {
  const words = wordsOf(set);
  const shape = words ? undefined : anchoringShape(set);
  if (prefer.length < INDEXED_PREFERENCES || (!words && !shape)) return prefer.find((p) => has(set, p));
  let index = preferenceIndexes.get(prefer);
  if (!index) {
    const entries = prefer.map((w, k) => [w, k] as const);
    index = {
      position: new Map([...entries].reverse()),
      sorted: [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      sortedReversed: entries.map(([w, k]) => [reverseText(w), k] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    };
    preferenceIndexes.set(prefer, index);
  }
  // The earliest preferred word in the set (written out twice rather than as a closure: this runs for every witness).
  let best: number | undefined;
  if (words) {
    for (const w of words) {
      const k = index.position.get(w);
      if (k !== undefined && (best === undefined || k < best) && has(set, w)) best = k;
    }
    return best === undefined ? undefined : prefer[best];
  }
  const { first, last } = shape!;
  const [sorted, literal] = first.length >= last.length ? [index.sorted, first] : [index.sortedReversed, reverseText(last)];
  for (let at = lowerBound(sorted, literal, firstOfPair); at < sorted.length && sorted[at][0].startsWith(literal); at++) {
    const k = sorted[at][1];
    if ((best === undefined || k < best) && has(set, prefer[k])) best = k;
  }
  return best === undefined ? undefined : prefer[best];
}

/** The glob of literals and stars the set lies in with the longest leading or trailing literal, if any has one. */
function anchoringShape(set: StringSet): GlobShape | undefined {
  let best: GlobShape | undefined;
  for (const p of set.parts) if (p.glob?.plain && reach(p.glob) > 0 && (!best || reach(p.glob) > reach(best))) best = p.glob;
  return best;
}

/** The longer of a glob's leading and trailing literals. */
const reach = (g: GlobShape) => Math.max(g.first.length, g.last.length);
const firstOfPair = ([w]: readonly [string, number]) => w;

/** The text reversed by code points: the rule index and preferred-word lookups match suffixes as prefixes of it. */
export function reverseText(s: string): string {
  return Array.from(s).reverse().join("");
}

/** The first position in `sorted` (ascending by `key`) whose key is not less than `word`. */
export function lowerBound<T>(sorted: readonly T[], word: string, key: (item: T) => string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]) < word) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function langWitness(set: Lang): string | undefined {
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
    // The k-th choice of each position, wrapping around within the position's own characters: a
    // position with fewer choices than k must not step outside its set (`[ab]b` has one `b`).
    const pickFrom = (cs: { ranges: readonly { min: number; max: number }[] }, k: number): number => {
      const nice = NICE.filter((c) => cs.ranges.some((r) => c >= r.min && c <= r.max));
      if (nice.length > 0) return nice[k % nice.length];
      const first = cs.ranges[0];
      return clampToScalar(first.min + (k % (first.max - first.min + 1)));
    };
    for (let k = 0; k < 4; k++) {
      const word = fromWord(ws.map((cs) => pickFrom(cs, k)));
      if (!set.exclude.has(word) && hasLang(set, word)) return word;
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
export function sample(of: StringSet, random: () => number): string | undefined {
  if (isEmpty(of)) return undefined;
  const set = materialize(of);
  const include = [...set.include].sort();
  if (include.length > 0 && (set.dfa === null || random() < 0.3)) return include[Math.floor(random() * include.length)];
  const dfa = set.dfa!;
  for (let attempt = 0; attempt < 20; attempt++) {
    const w = randomWalk(dfa, random);
    if (w !== undefined && !set.exclude.has(w)) return w;
  }
  return langWitness(set);
}

/**
 * A random word: a few random steps, then the shortest way on to an accepting state, so that a
 * language whose words all end in a long literal (`*_delete_payment`) is sampled in one walk
 * rather than by hoping a blind walk spells the literal out.
 */
function randomWalk(dfa: DFA, random: () => number): string | undefined {
  const distance = distancesToAccept(dfa);
  let node = dfa.initial;
  if (!distance.has(node)) return undefined;
  const word: number[] = [];
  let wander = Math.floor(random() * 12);
  for (;;) {
    const d = distance.get(node)!;
    if (d === 0 && (wander <= 0 || random() < 0.35)) return fromWord(word);
    const edges = [...node.out.entries()].filter(([, to]) => (wander > 0 ? distance.has(to) : distance.get(to) === d - 1));
    // Only an accepting state can have no way on (every other state here has one towards acceptance).
    if (edges.length === 0) return fromWord(word);
    const [range, to] = edges[Math.floor(random() * edges.length)];
    const nice = NICE.find((c) => c >= range.min && c <= range.max);
    const span = Math.min(64, range.max - range.min + 1);
    word.push(nice !== undefined && random() < 0.5 ? nice : clampToScalar(range.min + Math.floor(random() * span)));
    node = to;
    wander--;
  }
}

const distanceCache = new WeakMap<DFA, Map<DFA.Node, number>>();

/** The fewest characters from each state to an accepting one; states that cannot accept are absent. */
function distancesToAccept(dfa: DFA): Map<DFA.Node, number> {
  let distance = distanceCache.get(dfa);
  if (distance) return distance;
  const into = new Map<DFA.Node, DFA.Node[]>();
  for (const from of dfa.nodes()) {
    for (const to of from.out.values()) {
      const list = into.get(to);
      if (list) list.push(from);
      else into.set(to, [from]);
    }
  }
  distance = new Map([...dfa.finals].map((n) => [n, 0]));
  let frontier = [...dfa.finals];
  for (let d = 1; frontier.length > 0; d++) {
    const next: DFA.Node[] = [];
    for (const n of frontier) {
      for (const from of into.get(n) ?? []) {
        if (distance.has(from)) continue;
        distance.set(from, d);
        next.push(from);
      }
    }
    frontier = next;
  }
  distanceCache.set(dfa, distance);
  return distance;
}

