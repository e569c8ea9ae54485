// Compiles a parsed Python regex into the cheapest matcher that decides `re.search` in linear time: literal text, or an automaton program (see support.ts pyreSearch).

import type { RegexProgram } from "../support.ts";
import { ASSERT, OP } from "../regex-ops.ts";
import * as CS from "./charset.ts";
import { FLAG, MAXREPEAT, width, type AtKind, type Node, type ParsedRegex } from "./parse.ts";

/** A limit of aegisc's linear-time matching (not of Python): the pattern is valid Python but is refused. */
export class RegexLimit {
  constructor(readonly message: string) {}
}

/** Most automaton states one pattern may have (counted repeats are written out). */
export const MAX_STATES = 20_000;
/** Most distinct strings a group that a back-reference or conditional reads may match. */
export const MAX_GROUP_CONTENTS = 64;
/** Most combinations of such groups' contents (the automaton's states are multiplied by it). */
export const MAX_REGISTER_PRODUCT = 4096;

/** Regex text reduced to literal search: a leading `\A`/`^`; at the end `\Z` (1) or Python's `$` (2). */
export interface LiteralSearch {
  readonly text: string;
  readonly start: boolean;
  readonly end: 0 | 1 | 2;
}

/** The language a search accepts, for the analysis: `source` (a JS regex, flags "su") between optional anchors. */
export interface SearchLanguage {
  readonly source: string;
  readonly start: boolean;
  readonly end: 0 | 1 | 2;
}

export interface CompiledRegex {
  readonly literal?: LiteralSearch;
  readonly program: RegexProgram;
  readonly language?: SearchLanguage;
}

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly a: boolean;
}

const flagsOf = (f: number): Flags => ({ i: (f & FLAG.IGNORECASE) !== 0, m: (f & FLAG.MULTILINE) !== 0, s: (f & FLAG.DOTALL) !== 0, a: (f & FLAG.ASCII) !== 0 });

/** re._compiler._combine_flags: turning on a type flag (a, u) turns the others off. */
function combine(f: number, add: number, del: number): number {
  if ((add & (FLAG.ASCII | FLAG.UNICODE | FLAG.LOCALE)) !== 0) f &= ~(FLAG.ASCII | FLAG.UNICODE | FLAG.LOCALE);
  return (f | add) & ~del;
}

export function compileRegex(parsed: ParsedRegex): CompiledRegex | RegexLimit {
  try {
    const builder = new Builder(parsed);
    const program = builder.program();
    return { program, literal: literalOf(parsed), language: languageOf(parsed) };
  } catch (e) {
    if (e instanceof RegexLimit) return e;
    throw e;
  }
}

/** Sets interned by content, so that a module holds each once. */
class SetTable {
  readonly sets: CS.Ranges[] = [];
  private readonly index = new Map<string, number>();
  id(r: CS.Ranges): number {
    const key = r.join(",");
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.sets.length;
      this.sets.push(r);
      this.index.set(key, i);
    }
    return i;
  }
}

interface GroupUse {
  /** The register that holds the group's content (1 + index into `contents`) or 1 for "set", 0 when unset. */
  register: number;
  contents?: number[][];
}

class Builder {
  private readonly ops: number[] = [];
  private readonly sets = new SetTable();
  private readonly looks: number[] = [];
  private readonly regSizes: number[] = [];
  private readonly groups = new Map<number, GroupUse>();
  /** Lookaheads of unbounded width: allowed only where evaluated at the start of the text alone. */
  private readonly unboundedLooks: number[] = [];
  private depthInLook = 0;

  constructor(private readonly parsed: ParsedRegex) {
    const refs = new Set<number>();
    const conds = new Set<number>();
    scan(parsed.ast, (n) => {
      if (n.t === "ref") refs.add(n.group);
      if (n.t === "cond") conds.add(n.group);
    });
    for (const g of new Set([...refs, ...conds])) {
      const group = findGroup(parsed.ast, g, parsed.flags);
      if (!group) throw new RegexLimit(`group ${g} is not one aegisc can track`);
      let contents: number[][] | undefined;
      if (refs.has(g)) {
        contents = words(group.node.body, group.flags);
        if (contents === undefined || contents.length > MAX_GROUP_CONTENTS) {
          throw new RegexLimit(`a back-reference to group ${g}, which can match more than ${MAX_GROUP_CONTENTS} different strings, is not a regular language`);
        }
      }
      this.groups.set(g, { register: this.regSizes.length, contents });
      this.regSizes.push(contents ? contents.length + 1 : 2);
    }
    if (this.regSizes.reduce((a, b) => a * b, 1) > MAX_REGISTER_PRODUCT) throw new RegexLimit("too many back-referenced groups to track together");
  }

  private state(op: number, a: number, b: number, next: number): number {
    const id = this.ops.length / 4;
    if (id >= MAX_STATES) throw new RegexLimit(`the pattern needs more than ${MAX_STATES} automaton states (counted repetitions are written out)`);
    this.ops.push(op, a, b, next);
    return id;
  }
  private patch(id: number, a: number, b: number): void {
    this.ops[id * 4 + 1] = a;
    this.ops[id * 4 + 2] = b;
  }

  program(): RegexProgram {
    const match = this.state(OP.MATCH, 0, 0, 0);
    const start = this.build(this.parsed.ast, this.parsed.flags, match);
    const program: RegexProgram = { ops: this.ops, sets: this.sets.sets, looks: this.looks, regs: this.regSizes, start, anchored: startsAnchored(this.parsed.ast) };
    this.checkUnboundedLooks(program);
    return program;
  }

  private chars(r: CS.Ranges, next: number): number {
    return this.state(OP.CHAR, this.sets.id(r), 0, next);
  }

  private split(a: number, b: number): number {
    return this.state(OP.SPLIT, a, b, 0);
  }

  private alternatives(starts: number[]): number {
    if (starts.length === 0) return this.state(OP.FAIL, 0, 0, 0);
    let cur = starts[starts.length - 1];
    for (let k = starts.length - 2; k >= 0; k--) cur = this.split(starts[k], cur);
    return cur;
  }

  private literalString(cps: readonly number[], next: number, charSet: (cp: number) => CS.Ranges): number {
    let cur = next;
    for (let k = cps.length - 1; k >= 0; k--) cur = this.chars(charSet(cps[k]), cur);
    return cur;
  }

  /** States that match `node` under `flags`, then go on to `next`; returns the entry state. */
  private build(node: Node, flags: number, next: number): number {
    const f = flagsOf(flags);
    switch (node.t) {
      case "lit": {
        const set = CS.literalSet(node.cp, f.i, f.a);
        return this.chars(node.negate ? CS.complement(set) : set, next);
      }
      case "set": {
        const set = CS.classSet(node.items, f.i, f.a);
        return this.chars(node.negate ? CS.complement(set) : set, next);
      }
      case "any":
        return this.chars(f.s ? CS.ALL : CS.complement(CS.single(10)), next);
      case "at":
        return this.assertion(node.kind, f, next);
      case "cat": {
        let cur = next;
        for (let k = node.items.length - 1; k >= 0; k--) cur = this.build(node.items[k], flags, cur);
        return cur;
      }
      case "alt":
        return this.alternatives(node.items.map((item) => this.build(item, flags, next)));
      case "repeat":
        if (node.mode === "possessive") return this.build(possessive(node.min, node.max, node.body, flags), flags, next);
        return this.repeat(node.min, node.max, (to) => this.build(node.body, flags, to), next);
      case "group": {
        const inner = combine(flags, node.add, node.del);
        const use = node.index === null ? undefined : this.groups.get(node.index);
        if (!use) return this.build(node.body, inner, next);
        if (this.depthInLook > 0) throw new RegexLimit("a group inside a lookaround that a back-reference or conditional reads");
        const stride = this.stride(use.register);
        if (!use.contents) return this.build(node.body, inner, this.state(OP.SETREG, use.register, 1 * stride, next));
        // A group that a back-reference reads matches one of finitely many strings: each records which.
        return this.alternatives(use.contents.map((w, k) => this.literalString(w, this.state(OP.SETREG, use.register, (k + 1) * stride, next), CS.single)));
      }
      case "atomic":
        return this.build(atomic(node.body, flags), flags, next);
      case "look":
        return this.look(node, flags, next);
      case "ref": {
        const use = this.groups.get(node.group)!;
        const stride = this.stride(use.register);
        return this.alternatives(
          use.contents!.map((w, k) => this.state(OP.TESTREG, use.register, (k + 1) * stride, this.literalString(w, next, (cp) => CS.refCharSet(cp, f.i, f.a)))),
        );
      }
      case "cond": {
        const use = this.groups.get(node.group)!;
        const yes = this.build(node.yes, flags, next);
        const no = node.no ? this.build(node.no, flags, next) : next;
        // TESTSET: b = 1 passes when the group took part, b = 0 when it did not.
        return this.split(this.state(OP.TESTSET, use.register, 1, yes), this.state(OP.TESTSET, use.register, 0, no));
      }
    }
  }

  private stride(register: number): number {
    let s = 1;
    for (let k = 0; k < register; k++) s *= this.regSizes[k];
    return s;
  }

  private assertion(kind: AtKind, f: Flags, next: number): number {
    switch (kind) {
      case "bos":
        return this.state(OP.ASSERT, ASSERT.BOS, 0, next);
      case "eos":
        return this.state(OP.ASSERT, ASSERT.EOS, 0, next);
      case "bol":
        return this.state(OP.ASSERT, f.m ? ASSERT.BOL : ASSERT.BOS, 0, next);
      case "eol":
        return this.state(OP.ASSERT, f.m ? ASSERT.EOL_MULTILINE : ASSERT.EOL, 0, next);
      case "boundary":
      case "nonboundary":
        return this.state(OP.ASSERT, kind === "boundary" ? ASSERT.BOUNDARY : ASSERT.NON_BOUNDARY, this.sets.id(CS.wordSet(f.a)), next);
    }
  }

  /** body{min,max}, written out: min copies, then max − min nested optional copies (or a loop). */
  private repeat(min: number, max: number, body: (next: number) => number, next: number): number {
    let cur: number;
    if (max >= MAXREPEAT) {
      const loop = this.split(0, 0);
      this.patch(loop, body(loop), next);
      cur = loop;
    } else {
      cur = next;
      for (let k = 0; k < max - min; k++) {
        const opt = this.split(0, 0);
        this.patch(opt, body(cur), next);
        cur = opt;
      }
    }
    for (let k = 0; k < min; k++) cur = body(cur);
    return cur;
  }

  private look(node: Node & { t: "look" }, flags: number, next: number): number {
    // A back-reference's width is that of the contents its group can hold.
    const groupwidths: ([number, number] | null)[] = [];
    for (const [g, use] of this.groups) if (use.contents) groupwidths[g] = [Math.min(...use.contents.map((w) => w.length)), Math.max(...use.contents.map((w) => w.length))];
    const body = node.behind ? node.body : trimLookBody(node.body);
    const [lo, hi] = width(body, { groupwidths });
    const succeed = this.state(OP.SUCCEED, 0, 0, 0);
    this.depthInLook++;
    const start = this.build(body, flags, succeed);
    this.depthInLook--;
    const id = this.looks.length / 4;
    const w = node.behind ? lo : hi >= MAXREPEAT ? -1 : hi;
    this.looks.push(node.behind ? 1 : 0, node.negate ? 1 : 0, w, start);
    const state = this.state(OP.LOOK, id, 0, next);
    if (w < 0) {
      if (this.depthInLook > 0) throw new RegexLimit("a lookahead of unbounded width inside another lookaround");
      this.unboundedLooks.push(state);
    }
    return state;
  }

  /**
   * A lookahead of unbounded width is evaluated by scanning ahead, which is linear only if it is
   * evaluated at one position: it must be reachable only at the start of the text (after `\A` or `^`).
   */
  private checkUnboundedLooks(p: RegexProgram): void {
    if (this.unboundedLooks.length === 0) return;
    const later = reachableAfterStart(p);
    for (const s of this.unboundedLooks) {
      if (later.has(s)) throw new RegexLimit("a lookahead of unbounded width (such as `(?=.*x)`) is linear only at the start of the pattern, after `^` or `\\A`");
    }
  }
}

/** States reachable at a position after the first: from every character test's successor, and from the start when the search restarts there. */
function reachableAfterStart(p: RegexProgram): Set<number> {
  const seen = new Set<number>();
  const stack: number[] = [];
  const n = p.ops.length / 4;
  for (let s = 0; s < n; s++) if (p.ops[s * 4] === OP.CHAR) stack.push(p.ops[s * 4 + 3]);
  if (!p.anchored) stack.push(p.start);
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const [op, a, b, next] = p.ops.slice(s * 4, s * 4 + 4);
    if (op === OP.SPLIT) stack.push(a, b);
    else if (op === OP.ASSERT && a === ASSERT.BOS) continue;
    else if (op !== OP.MATCH && op !== OP.SUCCEED && op !== OP.FAIL && op !== OP.CHAR) stack.push(next);
  }
  return seen;
}

function scan(node: Node, visit: (n: Node) => void): void {
  visit(node);
  switch (node.t) {
    case "cat":
    case "alt":
      node.items.forEach((i) => scan(i, visit));
      break;
    case "repeat":
    case "group":
    case "atomic":
    case "look":
      scan(node.body, visit);
      break;
    case "cond":
      scan(node.yes, visit);
      if (node.no) scan(node.no, visit);
      break;
    default:
      break;
  }
}

/** The capturing group `g` and the flags in force inside it. */
function findGroup(node: Node, g: number, flags: number): { node: Node & { t: "group" }; flags: number } | undefined {
  switch (node.t) {
    case "group": {
      const inner = combine(flags, node.add, node.del);
      if (node.index === g) return { node, flags: inner };
      return findGroup(node.body, g, inner);
    }
    case "cat":
    case "alt":
      for (const i of node.items) {
        const r = findGroup(i, g, flags);
        if (r) return r;
      }
      return undefined;
    case "repeat":
    case "atomic":
    case "look":
      return findGroup(node.body, g, flags);
    case "cond":
      return findGroup(node.yes, g, flags) ?? (node.no ? findGroup(node.no, g, flags) : undefined);
    default:
      return undefined;
  }
}

const MAX_WORD_CHARS = 1000;

/** Every string `node` can match, as code points, when there are at most MAX_GROUP_CONTENTS; undefined otherwise. */
function words(node: Node, flags: number): number[][] | undefined {
  const f = flagsOf(flags);
  const fromSet = (r: CS.Ranges): number[][] | undefined => {
    const out: number[][] = [];
    for (let k = 0; k < r.length; k += 2) {
      if (out.length + r[k + 1] - r[k] + 1 > MAX_GROUP_CONTENTS) return undefined;
      for (let c = r[k]; c <= r[k + 1]; c++) out.push([c]);
    }
    return out;
  };
  const product = (a: number[][], b: number[][]): number[][] | undefined => {
    if (a.length * b.length > MAX_GROUP_CONTENTS) return undefined;
    const out: number[][] = [];
    const seen = new Set<string>();
    for (const x of a)
      for (const y of b) {
        const w = [...x, ...y];
        if (w.length > MAX_WORD_CHARS) return undefined;
        const key = w.join(",");
        if (!seen.has(key)) {
          seen.add(key);
          out.push(w);
        }
      }
    return out;
  };
  switch (node.t) {
    case "lit": {
      const set = CS.literalSet(node.cp, f.i, f.a);
      return fromSet(node.negate ? CS.complement(set) : set);
    }
    case "set": {
      const set = CS.classSet(node.items, f.i, f.a);
      return fromSet(node.negate ? CS.complement(set) : set);
    }
    case "any":
      return undefined;
    case "cat": {
      let acc: number[][] | undefined = [[]];
      for (const item of node.items) {
        const w = words(item, flags);
        if (!w || !acc) return undefined;
        acc = product(acc, w);
      }
      return acc;
    }
    case "alt": {
      const out: number[][] = [];
      const seen = new Set<string>();
      for (const item of node.items) {
        const w = words(item, flags);
        if (!w) return undefined;
        for (const x of w) {
          const key = x.join(",");
          if (!seen.has(key)) {
            seen.add(key);
            out.push(x);
          }
        }
        if (out.length > MAX_GROUP_CONTENTS) return undefined;
      }
      return out;
    }
    case "repeat": {
      if (node.max >= MAXREPEAT || node.mode === "possessive") return undefined;
      const body = words(node.body, flags);
      if (!body) return undefined;
      const out: number[][] = [];
      const seen = new Set<string>();
      let acc: number[][] | undefined = [[]];
      for (let k = 0; k <= node.max; k++) {
        if (k >= node.min)
          for (const x of acc) {
            const key = x.join(",");
            if (!seen.has(key)) {
              seen.add(key);
              out.push(x);
            }
          }
        if (out.length > MAX_GROUP_CONTENTS) return undefined;
        if (k < node.max) {
          acc = product(acc, body);
          if (!acc) return undefined;
        }
      }
      return out;
    }
    case "group":
      return words(node.body, combine(flags, node.add, node.del));
    default:
      return undefined;
  }
}

/**
 * Possessive repeats and atomic groups where backtracking into them could not change the outcome
 * anyway. A body B that is prefix-free (no string it matches is a proper prefix of another one)
 * matches at most one string at each position, so B{m,n}+ takes copies of B while it can:
 * B{m}, then each further copy is taken if B matches (B (...)), else (?!B) must hold.
 */
function possessive(min: number, max: number, body: Node, flags: number): Node {
  if (!prefixFree(body, words(body, flags))) {
    throw new RegexLimit("a possessive quantifier whose body can match strings of which one is a prefix of another; only bodies that match at most one string at each position are supported");
  }
  const [lo, hi] = width(body, { groupwidths: [] });
  // A body that only ever matches empty: repeating it changes nothing, so it is needed once when min > 0.
  if (hi === 0) return min > 0 ? body : { t: "cat", items: [] };
  if (lo === 0) throw new RegexLimit("a possessive quantifier whose body can match the empty string");
  const notAgain: Node = { t: "look", behind: false, negate: true, body, start: 0 };
  if (max >= MAXREPEAT) return { t: "cat", items: [{ t: "repeat", min, max: MAXREPEAT, mode: "greedy", body }, notAgain] };
  let tail: Node = { t: "cat", items: [] };
  for (let k = 0; k < max - min; k++) tail = { t: "alt", items: [{ t: "cat", items: [body, tail] }, notAgain] };
  return { t: "cat", items: [{ t: "repeat", min, max: min, mode: "greedy", body }, tail] };
}

function atomic(body: Node, flags: number): Node {
  if (prefixFree(body, words(body, flags))) return body;
  // (?>R*?X) for one-character R and X (fnmatch.translate's `(?>.*?x)`): the first X, so (R−X)*X.
  if (body.t === "cat" && body.items.length === 2) {
    const [run, stop] = body.items as [Node, Node];
    if (run.t === "repeat" && run.mode === "lazy" && run.min === 0 && run.max >= MAXREPEAT && oneCharacter(run.body) && oneCharacter(stop)) {
      const notStop: Node = { t: "cat", items: [{ t: "look", behind: false, negate: true, body: stop, start: 0 }, run.body] };
      return { t: "cat", items: [{ t: "repeat", min: 0, max: MAXREPEAT, mode: "greedy", body: notStop }, stop] };
    }
  }
  // (?>B*) and friends are possessive repeats; a lazy repeat takes the fewest copies that let the group end: min.
  if (body.t === "repeat") return { t: "repeat", min: body.min, max: body.mode === "lazy" ? body.min : body.max, mode: "possessive", body: body.body };
  // (?>A|B…): the first alternative that matches is taken, so B is tried only where A does not match.
  if (body.t === "alt") {
    const [first, ...rest] = body.items;
    const others: Node = rest.length === 1 ? rest[0] : { t: "alt", items: rest };
    return { t: "alt", items: [atomic(first, flags), { t: "cat", items: [{ t: "look", behind: false, negate: true, body: first, start: 0 }, atomic(others, flags)] }] };
  }
  if (body.t === "group" && body.index === null) return { t: "group", index: null, add: body.add, del: body.del, body: atomic(body.body, combine(flags, body.add, body.del)) };
  // (?>X Y…) with X matching at most one string at each position: X, then (?>Y…).
  if (body.t === "cat" && body.items.length > 1 && prefixFree(body.items[0], words(body.items[0], flags))) {
    return { t: "cat", items: [body.items[0], atomic({ t: "cat", items: body.items.slice(1) }, flags)] };
  }
  throw new RegexLimit("an atomic group whose body can match strings of which one is a prefix of another");
}

/** Whether no string the node matches is a proper prefix of another; decided on its finite language, or by its shape for simple bodies. */
function prefixFree(node: Node, finite: number[][] | undefined): boolean {
  // A body of one width ends at one place whatever it matches, assertions and lookarounds inside included.
  const [lo, hi] = width(node, { groupwidths: [] });
  if (lo === hi && !hasReference(node)) return true;
  if (hasZeroWidth(node) || !finite) return false;
  const keys = finite.map((w) => w.join(",") + ",");
  return keys.every((a, i) => keys.every((b, j) => i === j || !b.startsWith(a)));
}

function hasReference(node: Node): boolean {
  let found = false;
  scan(node, (n) => {
    if (n.t === "ref" || n.t === "cond") found = true;
  });
  return found;
}

/** Whether the node matches the empty string at any position (so that, at the end of a lookaround, it decides nothing). */
function matchesEmptyAnywhere(node: Node): boolean {
  switch (node.t) {
    case "repeat":
      return node.min === 0 || matchesEmptyAnywhere(node.body);
    case "group":
    case "atomic":
      return matchesEmptyAnywhere(node.body);
    case "cat":
      return node.items.every(matchesEmptyAnywhere);
    case "alt":
      return node.items.some(matchesEmptyAnywhere);
    default:
      return false;
  }
}

/**
 * A lookaround's body without what it ends with that can always match empty: `(?=\\s[^a]*)` holds
 * exactly where `(?=\\s)` does. This bounds the width of many lookaheads.
 */
function trimLookBody(node: Node): Node {
  if (matchesEmptyAnywhere(node)) return { t: "cat", items: [] };
  if (node.t === "group" && node.index === null) return { ...node, body: trimLookBody(node.body) };
  if (node.t !== "cat") return node;
  const items = [...node.items];
  while (items.length > 0 && matchesEmptyAnywhere(items[items.length - 1]!)) items.pop();
  if (items.length > 0) items[items.length - 1] = trimLookBody(items[items.length - 1]!);
  return items.length === 1 ? items[0]! : { t: "cat", items };
}

/** A node that matches exactly one character with no assertion (a literal, a class, `.`, or a group of one). */
function oneCharacter(node: Node): boolean {
  if (node.t === "group") return node.index === null && oneCharacter(node.body);
  return node.t === "lit" || node.t === "set" || node.t === "any";
}

function hasZeroWidth(node: Node): boolean {
  let found = false;
  scan(node, (n) => {
    if (n.t === "at" || n.t === "look" || n.t === "ref" || n.t === "cond" || n.t === "atomic" || (n.t === "repeat" && n.mode === "possessive")) found = true;
  });
  return found;
}

function startsAnchored(ast: Node): boolean {
  const first = ast.t === "cat" ? ast.items[0] : ast;
  return first !== undefined && first.t === "at" && first.kind === "bos";
}

/** The literal search a pattern reduces to, when it is only characters that match themselves alone. */
function literalOf(parsed: ParsedRegex): LiteralSearch | undefined {
  const f = flagsOf(parsed.flags);
  const items = parsed.ast.t === "cat" ? [...parsed.ast.items] : [parsed.ast];
  let start = false;
  let end: 0 | 1 | 2 = 0;
  if (items[0]?.t === "at" && (items[0].kind === "bos" || (items[0].kind === "bol" && !f.m))) {
    start = true;
    items.shift();
  }
  const last = items[items.length - 1];
  if (last?.t === "at" && (last.kind === "eos" || (last.kind === "eol" && !f.m))) {
    end = last.kind === "eos" ? 1 : 2;
    items.pop();
  }
  let text = "";
  for (const item of items) {
    if (item.t !== "lit" || item.negate) return undefined;
    const set = CS.literalSet(item.cp, f.i, f.a);
    // A lone surrogate is one code point in Python; String.includes would find it inside a pair.
    if (CS.onlyMember(set) !== item.cp || (item.cp >= 0xd800 && item.cp <= 0xdfff)) return undefined;
    text += String.fromCodePoint(item.cp);
  }
  return { text, start, end };
}

/** The regular language of the search, for the analysis, when the pattern has no assertion other than a leading `\A`/`^` and a trailing `$`/`\Z`. */
function languageOf(parsed: ParsedRegex): SearchLanguage | undefined {
  const f = parsed.flags;
  const items = parsed.ast.t === "cat" ? [...parsed.ast.items] : [parsed.ast];
  const m = (f & FLAG.MULTILINE) !== 0;
  let start = false;
  let end: 0 | 1 | 2 = 0;
  if (items[0]?.t === "at" && (items[0].kind === "bos" || (items[0].kind === "bol" && !m))) {
    start = true;
    items.shift();
  }
  const last = items[items.length - 1];
  if (last?.t === "at" && (last.kind === "eos" || (last.kind === "eol" && !m))) {
    end = last.kind === "eos" ? 1 : 2;
    items.pop();
  }
  try {
    return { source: items.map((n) => jsSource(n, f)).join(""), start, end };
  } catch (e) {
    if (e instanceof RegexLimit) return undefined;
    throw e;
  }
}

function rangesSource(r: CS.Ranges): string {
  if (r.length === 0) return "[]";
  let out = "[";
  for (let k = 0; k < r.length; k += 2) out += r[k] === r[k + 1] ? `\\u{${r[k].toString(16)}}` : `\\u{${r[k].toString(16)}}-\\u{${r[k + 1].toString(16)}}`;
  return out + "]";
}

/** A JS regex source (flags "su") for the same language; assertions and back-references have none (RegexLimit). */
function jsSource(node: Node, flags: number): string {
  const f = flagsOf(flags);
  switch (node.t) {
    case "lit": {
      const set = CS.literalSet(node.cp, f.i, f.a);
      return rangesSource(node.negate ? CS.complement(set) : set);
    }
    case "set": {
      const set = CS.classSet(node.items, f.i, f.a);
      return rangesSource(node.negate ? CS.complement(set) : set);
    }
    case "any":
      return rangesSource(f.s ? CS.ALL : CS.complement(CS.single(10)));
    case "cat":
      return node.items.map((i) => jsSource(i, flags)).join("");
    case "alt":
      return `(?:${node.items.map((i) => jsSource(i, flags)).join("|")})`;
    case "repeat":
      // Possessive repeats change the language; long counted repeats make large automata: both are left opaque.
      if (node.mode === "possessive" || (node.max < MAXREPEAT && node.max > 256)) throw new RegexLimit("not modelled");
      return `(?:${jsSource(node.body, flags)}){${node.min},${node.max >= MAXREPEAT ? "" : node.max}}`;
    case "group":
      return `(?:${jsSource(node.body, combine(flags, node.add, node.del))})`;
    default:
      throw new RegexLimit("not a plain regular expression");
  }
}
