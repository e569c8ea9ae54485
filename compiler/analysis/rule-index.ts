// Which rules can share a call with a rule: indexes on literal tool names, glob prefixes/suffixes and servers, so large policies are not analysed pairwise.

import type { Rule } from "../ir/types.ts";
import { classifyGlob, parseGlob, testGlob, type GlobTest } from "../semantics/glob.ts";
import * as Str from "./string-set.ts";

/** Whether two globs can match a common string: cheap shape tests first, automata only when needed. */
export function globsMayIntersect(a: string, b: string, cache: GlobPairCache): boolean {
  if (a === b || a === "*" || b === "*") return true;
  const [first, second] = a < b ? [a, b] : [b, a];
  // Keyed by one pattern, then the other: no key string is built per question (millions, at 10,000 rules).
  let inner = cache.get(first);
  if (!inner) cache.set(first, (inner = new Map()));
  let hit = inner.get(second);
  if (hit === undefined) {
    const x = Str.fromGlob(a);
    const y = Str.fromGlob(b);
    // Leading or trailing literals that conflict (`postgres_[rw]*`, `redis_*`) settle it before any automaton search.
    hit = quickIntersect(classified(a), classified(b)) ?? Str.globShapesMeet(x, y) ?? (Str.mayMeet(x, y) && !Str.isEmpty(Str.and(x, y)));
    inner.set(second, hit);
  }
  return hit;
}

/** Each pattern's kind, parsed once: a policy of thousands of globs asks about millions of pairs. */
function classified(pattern: string): GlobTest {
  let test = classifiedGlobs.get(pattern);
  if (!test) {
    if (classifiedGlobs.size >= MAX_CLASSIFIED) classifiedGlobs.clear();
    classifiedGlobs.set(pattern, (test = classifyGlob(pattern)));
  }
  return test;
}
const classifiedGlobs = new Map<string, GlobTest>();
const MAX_CLASSIFIED = 65_536;

/** Answers of globsMayIntersect, by the smaller pattern and then the larger. */
export type GlobPairCache = Map<string, Map<string, boolean>>;

/**
 * Whether two globs meet, from their kinds alone, or undefined when that takes automata (sets,
 * `?`, several stars). An exact name meets a glob that accepts it. Globs of a literal head, a
 * star and a literal tail (`p*`, `*s`, `p*s`, `*c*`) meet exactly when their heads agree (one
 * starts the other) and their tails agree: the longer head, then every inner literal, then the
 * longer tail, is a common name.
 */
export function quickIntersect(x: GlobTest, y: GlobTest): boolean | undefined {
  if (x.kind === "any" || y.kind === "any") return true;
  if (x.kind === "regex" || y.kind === "regex") return undefined;
  if (x.kind === "exact") return testGlob(y, x.text);
  if (y.kind === "exact") return testGlob(x, y.text);
  return literalEndsAgree(head(x), head(y), tail(x), tail(y));
}

/** Whether two patterns' literal heads and tails agree (one head starts the other, one tail ends the other): needed for them to meet, and enough for two globs of literals and stars. */
function literalEndsAgree(headA: string, headB: string, tailA: string, tailB: string): boolean {
  return (headA.startsWith(headB) || headB.startsWith(headA)) && (tailA.endsWith(tailB) || tailB.endsWith(tailA));
}

type StarGlob = Extract<GlobTest, { kind: "prefix" | "suffix" | "prefix-suffix" | "contains" }>;
const head = (t: StarGlob) => (t.kind === "prefix" || t.kind === "prefix-suffix" ? t.prefix : "");
const tail = (t: StarGlob) => (t.kind === "suffix" || t.kind === "prefix-suffix" ? t.suffix : "");

/** Names whose matching rules are kept at once (as MAX_TOOL_ORDERS in analyze.ts). */
const MAX_NAMES_KEPT = 32_768;

/**
 * Which rules can share a call, worked out per distinct pattern rather than per pair of rules:
 * tool patterns are indexed by exact name, literal prefix and suffix, and a name's patterns found
 * by lookups; server patterns are compared with each other once. At 10,000 generated rules a
 * rule has 1,800 candidates on average, and testing every pair of rules took 36 s in all.
 */
export class RuleIndex {
  /** Each distinct tool pattern and server pattern once, with its rules. */
  private readonly tools = new PatternTable();
  private readonly servers = new PatternTable();
  /** Tool pattern ids by exact name, by literal prefix, by literal suffix; every other glob. */
  private readonly exact = new Map<string, number>();
  private readonly prefixes = new Map<string, number[]>();
  private readonly suffixes = new Map<string, number[]>();
  /** Patterns that match every name (`*`, `**`). */
  private readonly anyTools: number[] = [];
  /**
   * Every other glob: by its leading literal when it has one (`svc_[rw]*`, `svc_*_obj`), else by
   * its trailing literal, else in a list scanned for its longest literal (`*read_obj*`). Each
   * found by a lookup is then tested in full. Scanning them all cost 16 µs a name at 10,000
   * rules, where example calls bring 200,000 names no rule mentions.
   */
  private readonly headed = new Map<string, number[]>();
  private readonly tailed = new Map<string, number[]>();
  private readonly otherGlobs: number[] = [];
  /** The lengths of the keys of `prefixes` and `headed`, and of `suffixes` and `tailed`, in increasing order: only those slices of a name are looked up. */
  private readonly headLengths: number[];
  private readonly tailLengths: number[];
  /** Every tool pattern id that is not an exact name. */
  private readonly globTools: number[] = [];
  private readonly sortedNames: string[];
  private readonly sortedReversed: string[];
  private readonly intersectCache: GlobPairCache = new Map();
  /** Per tool pattern id, the ids of the tool patterns that can match a common name (itself among them), once asked. */
  private readonly toolsMeeting = new Map<number, readonly number[]>();
  /** Per server pattern id, which server pattern ids can match a common name (1 = yes), once asked. */
  private readonly serversMeeting = new Map<number, Uint8Array>();

  private readonly ruleCount: number;

  constructor(rules: readonly Rule[]) {
    this.ruleCount = rules.length;
    const push = (m: Map<string, number[]>, k: string, id: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(id);
    for (const r of rules) {
      this.servers.add(r.server.source, r.index);
      if (!this.tools.add(r.tool.source, r.index)) continue;
      const id = this.tools.idOf[r.index];
      const t = this.tools.tests[id];
      if (t.kind === "exact") {
        this.exact.set(t.text, id);
        continue;
      }
      this.globTools.push(id);
      if (t.kind === "any") this.anyTools.push(id);
      else if (t.kind === "prefix") push(this.prefixes, t.prefix, id);
      else if (t.kind === "suffix") push(this.suffixes, t.suffix, id);
      else if (this.tools.heads[id] !== "") push(this.headed, this.tools.heads[id], id);
      else if (this.tools.tails[id] !== "") push(this.tailed, this.tools.tails[id], id);
      else this.otherGlobs.push(id);
    }
    const lengths = (...maps: Map<string, number[]>[]) => [...new Set(maps.flatMap((m) => [...m.keys()].map((k) => k.length)))].sort((a, b) => a - b);
    this.headLengths = lengths(this.prefixes, this.headed);
    this.tailLengths = lengths(this.suffixes, this.tailed);
    this.sortedNames = [...this.exact.keys()].sort();
    this.sortedReversed = [...this.exact.keys()].map(Str.reverseText).sort();
  }

  /** The rules whose tool pattern matches `name`, in file order. */
  rulesForName(name: string): readonly number[] {
    let out = this.byName.get(name);
    if (!out) {
      out = this.rulesOfTools(this.toolsForName(name));
      // Witness checks bring names no rule mentions; tens of thousands of answers are kept at once.
      if (this.byName.size >= MAX_NAMES_KEPT) this.byName.clear();
      this.byName.set(name, out);
    }
    return out;
  }
  private readonly byName = new Map<string, number[]>();

  /** The rules whose tool pattern matches `name` other than those on any tool, in file order (not kept: the caller keeps its own orders). */
  namedRulesFor(name: string): number[] {
    return this.rulesOfTools(this.toolsForName(name, false));
  }

  /** The rules on any tool whose server pattern matches `server`, in file order. */
  anyToolRulesOn(server: string): number[] {
    const out: number[] = [];
    for (const id of this.anyTools) for (const j of this.tools.rulesOf[id]) if (testGlob(this.servers.tests[this.servers.idOf[j]], server)) out.push(j);
    return inFileOrder(out);
  }

  /** The tool pattern ids that match `name` (with `withAny`, those that match every name among them). */
  private toolsForName(name: string, withAny = true): number[] {
    const found: number[] = [];
    const exact = this.exact.get(name);
    if (exact !== undefined) found.push(exact);
    if (withAny) found.push(...this.anyTools);
    for (const n of this.headLengths) {
      if (n > name.length) break;
      const head = name.slice(0, n);
      const prefixed = this.prefixes.get(head);
      if (prefixed) found.push(...prefixed);
      const headed = this.headed.get(head);
      if (headed) for (const id of headed) if (this.matchesGlob(id, name)) found.push(id);
    }
    for (const n of this.tailLengths) {
      if (n > name.length) break;
      const tail = name.slice(name.length - n);
      const suffixed = this.suffixes.get(tail);
      if (suffixed) found.push(...suffixed);
      const tailed = this.tailed.get(tail);
      if (tailed) for (const id of tailed) if (this.matchesGlob(id, name)) found.push(id);
    }
    this.otherLiterals ??= this.otherGlobs.map((id) => longestLiteral(this.tools.patterns[id]));
    for (const [k, id] of this.otherGlobs.entries()) {
      // A name without the glob's longest literal run cannot match it: most are ruled out by that substring test alone.
      if (name.includes(this.otherLiterals[k]) && this.matchesGlob(id, name)) found.push(id);
    }
    return found;
  }
  /** The longest literal run of each of `otherGlobs` ("" when it has none), in the same order. */
  private otherLiterals?: string[];

  /** Whether tool pattern `id` matches the name: by its kind where that is a string test, else by its string set (built once). */
  private matchesGlob(id: number, name: string): boolean {
    const t = this.tools.tests[id];
    if (t.kind !== "regex") return testGlob(t, name);
    let set = this.globSets.get(id);
    if (!set) this.globSets.set(id, (set = Str.fromGlob(this.tools.patterns[id])));
    return Str.has(set, name);
  }
  private readonly globSets = new Map<number, Str.StringSet>();

  /** The rules of the given tool patterns (each pattern once), in file order. */
  private rulesOfTools(ids: readonly number[]): number[] {
    const out: number[] = [];
    for (const id of ids) out.push(...this.tools.rulesOf[id]);
    return inFileOrder(out);
  }

  /** Rules other than `i` whose tool and server patterns can both match a call that rule i matches, in file order. */
  candidates(i: number): number[] {
    return this.candidateBits(i).toArray();
  }

  /** The same rules as bits, set as they are found: a rule of a 10,000-rule policy has about 1,800, and listing then sorting them cost more than finding them. */
  candidateBits(i: number): RuleBits {
    const servers = this.serversMeetingId(this.servers.idOf[i]);
    const { rules, starts, serverOf } = (this.flat ??= this.flattened());
    const words = new Uint32Array((this.ruleCount + 31) >>> 5);
    for (const t of this.toolsMeetingId(this.tools.idOf[i])) {
      for (let k = starts[t], end = starts[t + 1]; k < end; k++) {
        const j = rules[k];
        if (servers[serverOf[j]] === 1) words[j >>> 5] |= 1 << (j & 31);
      }
    }
    words[i >>> 5] &= ~(1 << (i & 31));
    return RuleBits.of(words);
  }

  /** Every tool pattern's rules in one typed array (pattern t's from starts[t] to starts[t + 1]), and each rule's server pattern: the loop above runs 18 million times at 10,000 rules. */
  private flattened(): { rules: Int32Array; starts: Int32Array; serverOf: Int32Array } {
    const starts = new Int32Array(this.tools.rulesOf.length + 1);
    for (const [t, of] of this.tools.rulesOf.entries()) starts[t + 1] = starts[t] + of.length;
    const rules = new Int32Array(starts[starts.length - 1]);
    for (const [t, of] of this.tools.rulesOf.entries()) rules.set(of, starts[t]);
    return { rules, starts, serverOf: Int32Array.from(this.servers.idOf) };
  }
  private flat?: { rules: Int32Array; starts: Int32Array; serverOf: Int32Array };

  /** The tool patterns that can match a name that tool pattern `id` matches (itself among them). */
  private toolsMeetingId(id: number): readonly number[] {
    let out = this.toolsMeeting.get(id);
    if (!out) {
      const pattern = this.tools.patterns[id];
      const t = this.tools.tests[id];
      if (t.kind === "exact") out = this.toolsForName(t.text);
      else {
        const meeting: number[] = [];
        // As patternsMeet, unrolled over thousands of globs: heads and tails settle every pair without a set (as quickIntersect), and rule out most with one before the automata.
        const { heads, tails, tests, patterns } = this.tools;
        const hx = heads[id];
        const tx = tails[id];
        const xSet = t.kind === "regex";
        for (const k of this.globTools) {
          if (!literalEndsAgree(hx, heads[k], tx, tails[k])) continue;
          if (k !== id && (xSet || tests[k].kind === "regex") && !globsMayIntersect(pattern, patterns[k], this.intersectCache)) continue;
          meeting.push(k);
        }
        for (const name of this.namesMatching(t, pattern)) meeting.push(this.exact.get(name)!);
        out = meeting;
      }
      this.toolsMeeting.set(id, out);
    }
    return out;
  }

  /** Which server patterns can match a name that server pattern `id` matches. */
  private serversMeetingId(id: number): Uint8Array {
    let out = this.serversMeeting.get(id);
    if (!out) {
      out = new Uint8Array(this.servers.patterns.length);
      for (let k = 0; k < out.length; k++) if (this.patternsMeet(this.servers, id, k)) out[k] = 1;
      this.serversMeeting.set(id, out);
    }
    return out;
  }

  /** Whether two patterns of a table can match a common name: by their kinds when that settles it, before the cache keyed by their text. */
  private patternsMeet(table: PatternTable, a: number, b: number): boolean {
    if (a === b) return true;
    const quick = quickIntersect(table.tests[a], table.tests[b]);
    if (quick !== undefined) return quick;
    // Patterns whose literal heads or tails disagree cannot meet (`github_[rw]*`, `slack_*`): most pairs with a set are settled so, before the cache.
    if (!literalEndsAgree(table.heads[a], table.heads[b], table.tails[a], table.tails[b])) return false;
    return globsMayIntersect(table.patterns[a], table.patterns[b], this.intersectCache);
  }

  private namesMatching(t: GlobTest, pattern: string): string[] {
    if (t.kind === "any") return this.sortedNames;
    if (t.kind === "prefix") return range(this.sortedNames, t.prefix);
    if (t.kind === "suffix") return range(this.sortedReversed, Str.reverseText(t.suffix)).map(Str.reverseText);
    const glob = Str.fromGlob(pattern);
    return this.sortedNames.filter((n) => Str.has(glob, n));
  }
}

/**
 * A set of rule indexes as bits, one per rule of the policy: a rule of a 10,000-rule policy has
 * about 1,800 candidates, and Sets of them held 18 million entries once every rule had been asked
 * about, where bits take 1.25 KB a rule.
 */
export class RuleBits {
  private words: Uint32Array;
  constructor(ruleCount: number, indexes: readonly number[]) {
    this.words = new Uint32Array((ruleCount + 31) >>> 5);
    for (const j of indexes) this.words[j >>> 5] |= 1 << (j & 31);
  }

  /** The set whose bits are `words` (taken, not copied). */
  static of(words: Uint32Array): RuleBits {
    const bits = new RuleBits(0, []);
    bits.words = words;
    return bits;
  }

  has(j: number): boolean {
    return (this.words[j >>> 5] & (1 << (j & 31))) !== 0;
  }

  /** The indexes, in file order. */
  toArray(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.words.length; w++) {
      for (let bits = this.words[w]; bits !== 0; bits &= bits - 1) out.push((w << 5) + (31 - Math.clz32(bits & -bits)));
    }
    return out;
  }
}

/** Rule indexes sorted as numbers (a typed array sorts them without a comparison callback). */
const inFileOrder = (indexes: readonly number[]): number[] => Array.from(Int32Array.from(indexes).sort());

/** Distinct patterns numbered in order of first use, each with the rules that use it. */
class PatternTable {
  readonly ids = new Map<string, number>();
  readonly patterns: string[] = [];
  readonly rulesOf: number[][] = [];
  /** Each pattern's kind, by id. */
  readonly tests: GlobTest[] = [];
  /** By rule index, the id of the rule's pattern. */
  readonly idOf: number[] = [];
  /** Each pattern's literal head and tail, by id: every name it matches starts and ends with them, and for a glob without a set two patterns meet exactly when both pairs agree (as quickIntersect). */
  readonly heads: string[] = [];
  readonly tails: string[] = [];

  /** Adds a rule's pattern; true when the pattern is new. */
  add(pattern: string, rule: number): boolean {
    let id = this.ids.get(pattern);
    const isNew = id === undefined;
    if (id === undefined) {
      this.ids.set(pattern, (id = this.patterns.length));
      this.patterns.push(pattern);
      this.rulesOf.push([]);
      const test = classified(pattern);
      this.tests.push(test);
      if (test.kind === "exact") [this.heads[id], this.tails[id]] = [test.text, test.text];
      else if (test.kind !== "regex") [this.heads[id], this.tails[id]] = [head(test as StarGlob), tail(test as StarGlob)];
      else {
        // A glob with a set or a `?`: its leading and trailing literal runs, as the glob parser reads them.
        const tokens = parseGlob(pattern);
        const first = tokens[0];
        const last = tokens[tokens.length - 1];
        [this.heads[id], this.tails[id]] = [first?.t === "lit" ? first.s : "", last?.t === "lit" ? last.s : ""];
      }
    }
    this.rulesOf[id].push(rule);
    this.idOf[rule] = id;
    return isNew;
  }
}

/** The longest run of literal characters in a glob, which every string it matches contains. */
function longestLiteral(pattern: string): string {
  let longest = "";
  for (const token of parseGlob(pattern)) if (token.t === "lit" && token.s.length > longest.length) longest = token.s;
  return longest;
}

/** The sorted names that start with `prefix`, by binary search. */
function range(sorted: readonly string[], prefix: string): string[] {
  const out: string[] = [];
  for (let k = Str.lowerBound(sorted, prefix, (name) => name); k < sorted.length && sorted[k].startsWith(prefix); k++) out.push(sorted[k]);
  return out;
}
