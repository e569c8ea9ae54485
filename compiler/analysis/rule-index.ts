// Which rules can share a call with a rule: indexes on literal tool names, glob prefixes/suffixes and servers, so large policies are not analysed pairwise.

import type { Rule } from "../ir/types.ts";
import { classifyGlob, parseGlob, type GlobTest } from "../semantics/glob.ts";
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

function quickIntersect(x: GlobTest, y: GlobTest): boolean | undefined {
  if (x.kind === "exact" && y.kind === "exact") return x.text === y.text;
  if (x.kind === "exact") return undefined;
  if (y.kind === "exact") return undefined;
  if (x.kind === "prefix" && y.kind === "prefix") return x.prefix.startsWith(y.prefix) || y.prefix.startsWith(x.prefix);
  if (x.kind === "suffix" && y.kind === "suffix") return x.suffix.endsWith(y.suffix) || y.suffix.endsWith(x.suffix);
  if ((x.kind === "prefix" && y.kind === "suffix") || (x.kind === "suffix" && y.kind === "prefix")) return true;
  return undefined;
}

const MAX_NAMES_KEPT = 4_096;

export class RuleIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly prefixes = new Map<string, number[]>();
  private readonly suffixes = new Map<string, number[]>();
  private readonly anyTool: number[] = [];
  private readonly otherGlobs: number[] = [];
  private readonly globRules: number[] = [];
  private readonly sortedNames: string[];
  private readonly sortedReversed: string[];
  private readonly intersectCache: GlobPairCache = new Map();

  constructor(private readonly rules: readonly Rule[]) {
    const push = (m: Map<string, number[]>, k: string, i: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(i);
    for (const r of rules) {
      const t = classifyGlob(r.tool.source);
      if (t.kind === "exact") push(this.exact, t.text, r.index);
      else {
        this.globRules.push(r.index);
        if (t.kind === "any") this.anyTool.push(r.index);
        else if (t.kind === "prefix") push(this.prefixes, t.prefix, r.index);
        else if (t.kind === "suffix") push(this.suffixes, t.suffix, r.index);
        else this.otherGlobs.push(r.index);
      }
    }
    this.sortedNames = [...this.exact.keys()].sort();
    this.sortedReversed = [...this.exact.keys()].map(Str.reverseText).sort();
  }

  /** The rules whose tool pattern matches `name`, in file order. */
  rulesForName(name: string): readonly number[] {
    let out = this.byName.get(name);
    if (!out) {
      const found = new Set<number>([...(this.exact.get(name) ?? []), ...this.anyTool]);
      for (let n = 0; n <= name.length; n++) {
        for (const j of this.prefixes.get(name.slice(0, n)) ?? []) found.add(j);
        for (const j of this.suffixes.get(name.slice(name.length - n)) ?? []) found.add(j);
      }
      this.otherSets ??= this.otherGlobs.map((j) => Str.fromGlob(this.rules[j].tool.source));
      this.otherLiterals ??= this.otherGlobs.map((j) => longestLiteral(this.rules[j].tool.source));
      for (const [k, j] of this.otherGlobs.entries()) {
        // A name without the glob's longest literal run cannot match it: most are ruled out by that substring test alone.
        if (name.includes(this.otherLiterals[k]) && Str.has(this.otherSets[k], name)) found.add(j);
      }
      // Witness checks bring names no rule mentions; a few thousand answers are kept at once.
      if (this.byName.size >= MAX_NAMES_KEPT) this.byName.clear();
      this.byName.set(name, (out = [...found].sort((a, b) => a - b)));
    }
    return out;
  }
  private readonly byName = new Map<string, number[]>();
  /** The string sets of `otherGlobs`, in the same order. */
  private otherSets?: Str.StringSet[];
  /** The longest literal run of each of `otherGlobs` ("" when it has none), in the same order. */
  private otherLiterals?: string[];

  /** Rules other than `i` whose tool and server patterns can both match a call that rule i matches. */
  candidates(i: number): number[] {
    const rule = this.rules[i];
    const out = new Set<number>();
    const t = classifyGlob(rule.tool.source);
    const addAll = (list: readonly number[] | undefined) => list?.forEach((j) => out.add(j));
    if (t.kind === "exact") addAll(this.rulesForName(t.text));
    else {
      for (const j of this.globRules) if (globsMayIntersect(rule.tool.source, this.rules[j].tool.source, this.intersectCache)) out.add(j);
      for (const name of this.namesMatching(t, rule.tool.source)) addAll(this.exact.get(name));
    }
    out.delete(i);
    const server = rule.server.source;
    return [...out].filter((j) => globsMayIntersect(server, this.rules[j].server.source, this.intersectCache)).sort((a, b) => a - b);
  }

  private namesMatching(t: GlobTest, pattern: string): string[] {
    if (t.kind === "any") return this.sortedNames;
    if (t.kind === "prefix") return range(this.sortedNames, t.prefix);
    if (t.kind === "suffix") return range(this.sortedReversed, Str.reverseText(t.suffix)).map(Str.reverseText);
    const glob = Str.fromGlob(pattern);
    return this.sortedNames.filter((n) => Str.has(glob, n));
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
