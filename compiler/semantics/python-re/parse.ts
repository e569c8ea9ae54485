// Parses a Python `re` pattern (CPython 3.11's re._parser, read and rewritten) into an AST, accepting and refusing exactly what Python does.

import { lookupCharacterName } from "./names.ts";

/** Flag bits as in re._constants (SRE_FLAG_*). */
export const FLAG = Object.freeze({ TEMPLATE: 1, IGNORECASE: 2, LOCALE: 4, MULTILINE: 8, DOTALL: 16, UNICODE: 32, VERBOSE: 64, DEBUG: 128, ASCII: 256 });
const FLAG_LETTERS: Readonly<Record<string, number>> = { i: FLAG.IGNORECASE, L: FLAG.LOCALE, m: FLAG.MULTILINE, s: FLAG.DOTALL, x: FLAG.VERBOSE, a: FLAG.ASCII, t: FLAG.TEMPLATE, u: FLAG.UNICODE };
const TYPE_FLAGS = FLAG.ASCII | FLAG.LOCALE | FLAG.UNICODE;
const GLOBAL_FLAGS = FLAG.DEBUG | FLAG.TEMPLATE;
/** CPython's MAXREPEAT on 64-bit builds: repeat counts must stay below it. */
export const MAXREPEAT = 4294967295;
const MAXGROUPS = 2147483647;

export type Category = "d" | "D" | "s" | "S" | "w" | "W";
export type SetItem =
  | { readonly t: "lit"; readonly cp: number }
  | { readonly t: "range"; readonly lo: number; readonly hi: number }
  | { readonly t: "cat"; readonly cat: Category };
export type AtKind = "bol" | "eol" | "bos" | "eos" | "boundary" | "nonboundary";

/** The AST: sre's intermediate form with non-capturing groups unpacked. `start` is the node's code point offset in the pattern. */
export type Node =
  | { readonly t: "lit"; readonly cp: number; readonly negate: boolean }
  | { readonly t: "set"; readonly items: readonly SetItem[]; readonly negate: boolean }
  | { readonly t: "any" }
  | { readonly t: "at"; readonly kind: AtKind }
  | { readonly t: "cat"; readonly items: readonly Node[] }
  | { readonly t: "alt"; readonly items: readonly Node[] }
  | { readonly t: "repeat"; readonly min: number; readonly max: number; readonly mode: "greedy" | "lazy" | "possessive"; readonly body: Node }
  /** A group: capturing when `index` is a number, and/or with scoped flags. */
  | { readonly t: "group"; readonly index: number | null; readonly add: number; readonly del: number; readonly body: Node }
  | { readonly t: "atomic"; readonly body: Node }
  | { readonly t: "look"; readonly behind: boolean; readonly negate: boolean; readonly body: Node; readonly start: number }
  | { readonly t: "ref"; readonly group: number }
  | { readonly t: "cond"; readonly group: number; readonly yes: Node; readonly no: Node | null };

export interface ParsedRegex {
  readonly ast: Node;
  /** The pattern's global flags, with UNICODE added unless ASCII is set (re._parser.fix_flags). */
  readonly flags: number;
  /** Number of groups, counting group 0. */
  readonly groups: number;
}

export type ParseResult = ({ readonly ok: true } & ParsedRegex) | { readonly ok: false; readonly message: string; readonly offset: number };

class RegexError {
  constructor(
    readonly message: string,
    /** Code point offset into the pattern. */
    readonly pos: number,
  ) {}
}

const DIGITS = "0123456789";
const OCTDIGITS = "01234567";
const HEXDIGITS = "0123456789abcdefABCDEF";
const WHITESPACE = " \t\n\r\v\f";
const SPECIAL_CHARS = ".\\[{()*+?^$|";
const REPEAT_CHARS = "*+?{";
const isAsciiLetter = (c: string) => /^[A-Za-z]$/.test(c);
const ESCAPES: Readonly<Record<string, number>> = { "\\a": 7, "\\b": 8, "\\f": 12, "\\n": 10, "\\r": 13, "\\t": 9, "\\v": 11, "\\\\": 92 };
const CATEGORIES: Readonly<Record<string, Node>> = {
  "\\A": { t: "at", kind: "bos" },
  "\\b": { t: "at", kind: "boundary" },
  "\\B": { t: "at", kind: "nonboundary" },
  "\\Z": { t: "at", kind: "eos" },
  "\\d": { t: "set", items: [{ t: "cat", cat: "d" }], negate: false },
  "\\D": { t: "set", items: [{ t: "cat", cat: "D" }], negate: false },
  "\\s": { t: "set", items: [{ t: "cat", cat: "s" }], negate: false },
  "\\S": { t: "set", items: [{ t: "cat", cat: "S" }], negate: false },
  "\\w": { t: "set", items: [{ t: "cat", cat: "w" }], negate: false },
  "\\W": { t: "set", items: [{ t: "cat", cat: "W" }], negate: false },
};

/** Python's str.isidentifier(), through JavaScript's ID_Start/ID_Continue (Python uses their XID_ forms, which differ on a handful of characters). */
function isIdentifier(name: string): boolean {
  return /^[\p{ID_Start}_][\p{ID_Continue}\u00B7\u0387\u1369-\u1371\u19DA]*$/u.test(name);
}

/** Python's int() of a group number in a conditional: optional spaces and sign, digits of any script, single underscores between digits. */
function pythonInt(text: string): number | undefined {
  const m = /^\s*([+-]?)(\p{Nd}+(?:_\p{Nd}+)*)\s*$/u.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (const ch of m[2]) {
    if (ch === "_") continue;
    const d = decimalValue(ch.codePointAt(0)!);
    if (d === undefined) return undefined;
    n = n * 10 + d;
  }
  return m[1] === "-" ? -n : n;
}

/** The value of a decimal digit: Unicode's Nd characters come in runs of ten, 0 to 9, and runs may follow each other. */
function decimalValue(cp: number): number | undefined {
  const isNd = (c: number) => /\p{Nd}/u.test(String.fromCodePoint(c));
  if (!isNd(cp)) return undefined;
  let k = 0;
  while (cp - k - 1 >= 0 && isNd(cp - k - 1)) k++;
  return k % 10;
}

/** re._parser.Tokenizer over code points: `next` is one character, or a backslash and the character after it. */
class Tokenizer {
  private index = 0;
  next: string | null = null;
  constructor(readonly chars: readonly string[]) {
    this.advance();
  }
  private advance(): void {
    let index = this.index;
    if (index >= this.chars.length) {
      this.next = null;
      return;
    }
    let char = this.chars[index];
    if (char === "\\") {
      index++;
      if (index >= this.chars.length) throw new RegexError("bad escape (end of pattern)", this.chars.length - 1);
      char += this.chars[index];
    }
    this.index = index + 1;
    this.next = char;
  }
  match(char: string): boolean {
    if (char === this.next) {
      this.advance();
      return true;
    }
    return false;
  }
  get(): string | null {
    const t = this.next;
    this.advance();
    return t;
  }
  getwhile(n: number, charset: string): string {
    let result = "";
    for (let k = 0; k < n; k++) {
      const c = this.next;
      if (c === null || c.length !== 1 || !charset.includes(c)) break;
      result += c;
      this.advance();
    }
    return result;
  }
  getuntil(terminator: string, name: string): string {
    let result = "";
    for (;;) {
      const c = this.next;
      this.advance();
      if (c === null) {
        if (!result) throw this.error("missing " + name);
        throw this.error(`missing ${terminator}, unterminated name`, [...result].length);
      }
      if (c === terminator) {
        if (!result) throw this.error("missing " + name, 1);
        break;
      }
      result += c;
    }
    return result;
  }
  tell(): number {
    return this.index - (this.next === null ? 0 : this.next.length);
  }
  seek(index: number): void {
    this.index = index;
    this.advance();
  }
  error(msg: string, offset = 0): RegexError {
    return new RegexError(msg, this.tell() - offset);
  }
  checkgroupname(name: string, offset: number): void {
    if (!isIdentifier(name)) throw this.error(`bad character in group name ${pyQuote(name)}`, [...name].length + offset);
  }
}

/** Python's repr() of a string, for messages. */
function pyQuote(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q + s.replace(/\\/g, "\\\\").replace(new RegExp(q, "g"), "\\" + q) + q;
}

class State {
  flags = 0;
  readonly groupdict = new Map<string, number>();
  readonly groupwidths: ([number, number] | null)[] = [null];
  lookbehindgroups: number | null = null;
  readonly grouprefpos = new Map<number, number>();
  get groups(): number {
    return this.groupwidths.length;
  }
  opengroup(name: string | null): number {
    const gid = this.groups;
    this.groupwidths.push(null);
    if (this.groups > MAXGROUPS) throw new RegexError("too many groups", 0);
    if (name !== null) {
      const ogid = this.groupdict.get(name);
      if (ogid !== undefined) throw new RegexError(`redefinition of group name ${pyQuote(name)} as group ${gid}; was group ${ogid}`, 0);
      this.groupdict.set(name, gid);
    }
    return gid;
  }
  closegroup(gid: number, p: Node): void {
    this.groupwidths[gid] = width(p, this);
  }
  checkgroup(gid: number): boolean {
    return gid < this.groups && this.groupwidths[gid] !== null;
  }
  checklookbehindgroup(gid: number, source: Tokenizer): void {
    if (this.lookbehindgroups !== null) {
      if (!this.checkgroup(gid)) throw source.error("cannot refer to an open group");
      if (gid >= this.lookbehindgroups) throw source.error("cannot refer to group defined in the same lookbehind subpattern");
    }
  }
}

/** sre's getwidth(): the (min, max) number of characters a subpattern matches, capped as CPython caps them. */
export function width(node: Node, state?: { readonly groupwidths: readonly ([number, number] | null)[] }): [number, number] {
  const cap = (lo: number, hi: number): [number, number] => [Math.min(lo, MAXREPEAT - 1), Math.min(hi, MAXREPEAT)];
  switch (node.t) {
    case "lit":
    case "set":
    case "any":
      return [1, 1];
    case "at":
    case "look":
      return [0, 0];
    case "cat": {
      let lo = 0;
      let hi = 0;
      for (const item of node.items) {
        const [l, h] = width(item, state);
        lo += l;
        hi += h;
      }
      return cap(lo, hi);
    }
    case "alt": {
      let lo = MAXREPEAT - 1;
      let hi = 0;
      for (const item of node.items) {
        const [l, h] = width(item, state);
        lo = Math.min(lo, l);
        hi = Math.max(hi, h);
      }
      return cap(lo, hi);
    }
    case "repeat": {
      const [l, h] = width(node.body, state);
      return cap(l * node.min, h * node.max);
    }
    case "group":
    case "atomic":
      return width(node.body, state);
    case "ref": {
      const w = state?.groupwidths[node.group];
      return w ? [w[0], w[1]] : [0, MAXREPEAT];
    }
    case "cond": {
      let [lo, hi] = width(node.yes, state);
      if (node.no !== null) {
        const [l, h] = width(node.no, state);
        lo = Math.min(lo, l);
        hi = Math.max(hi, h);
      } else lo = 0;
      return cap(lo, hi);
    }
  }
}

const cpOf = (s: string) => s.codePointAt(0)!;
const lit = (cp: number): Node => ({ t: "lit", cp, negate: false });

function classEscape(source: Tokenizer, escape: string): SetItem {
  const code = ESCAPES[escape];
  if (code !== undefined) return { t: "lit", cp: code };
  const cat = CATEGORIES[escape];
  if (cat && cat.t === "set") return cat.items[0];
  const c = escape.slice(1);
  if (c === "x") {
    escape += source.getwhile(2, HEXDIGITS);
    if (escape.length !== 4) throw source.error(`incomplete escape ${escape}`, escape.length);
    return { t: "lit", cp: parseInt(escape.slice(2), 16) };
  }
  if (c === "u" || c === "U") {
    const n = c === "u" ? 4 : 8;
    escape += source.getwhile(n, HEXDIGITS);
    if (escape.length !== n + 2) throw source.error(`incomplete escape ${escape}`, escape.length);
    const cp = parseInt(escape.slice(2), 16);
    if (cp > 0x10ffff) throw source.error(`bad escape ${escape}`, escape.length);
    return { t: "lit", cp };
  }
  if (c === "N") return { t: "lit", cp: namedCharacter(source) };
  if (OCTDIGITS.includes(c)) {
    escape += source.getwhile(2, OCTDIGITS);
    const cp = parseInt(escape.slice(1), 8);
    if (cp > 0o377) throw source.error(`octal escape value ${escape} outside of range 0-0o377`, escape.length);
    return { t: "lit", cp };
  }
  if (!DIGITS.includes(c) && [...escape].length === 2) {
    if (isAsciiLetter(c)) throw source.error(`bad escape ${escape}`, 2);
    return { t: "lit", cp: cpOf(c) };
  }
  throw source.error(`bad escape ${escape}`, [...escape].length);
}

function namedCharacter(source: Tokenizer): number {
  if (!source.match("{")) throw source.error("missing {");
  const charname = source.getuntil("}", "character name");
  const cp = lookupCharacterName(charname);
  if (cp === undefined) throw source.error(`undefined character name ${pyQuote(charname)}`, [...charname].length + 4);
  return cp;
}

function escape(source: Tokenizer, escape: string, state: State): Node {
  const cat = CATEGORIES[escape];
  if (cat) return cat;
  const code = ESCAPES[escape];
  if (code !== undefined) return lit(code);
  const c = escape.slice(1);
  if (c === "x") {
    escape += source.getwhile(2, HEXDIGITS);
    if (escape.length !== 4) throw source.error(`incomplete escape ${escape}`, escape.length);
    return lit(parseInt(escape.slice(2), 16));
  }
  if (c === "u" || c === "U") {
    const n = c === "u" ? 4 : 8;
    escape += source.getwhile(n, HEXDIGITS);
    if (escape.length !== n + 2) throw source.error(`incomplete escape ${escape}`, escape.length);
    const cp = parseInt(escape.slice(2), 16);
    if (cp > 0x10ffff) throw source.error(`bad escape ${escape}`, escape.length);
    return lit(cp);
  }
  if (c === "N") return lit(namedCharacter(source));
  if (c === "0") {
    escape += source.getwhile(2, OCTDIGITS);
    return lit(parseInt(escape.slice(1), 8));
  }
  if (DIGITS.includes(c)) {
    // An octal escape or a decimal group reference.
    if (source.next !== null && source.next.length === 1 && DIGITS.includes(source.next)) {
      escape += source.get();
      if (OCTDIGITS.includes(escape[1]) && OCTDIGITS.includes(escape[2]) && source.next !== null && source.next.length === 1 && OCTDIGITS.includes(source.next)) {
        escape += source.get();
        const cp = parseInt(escape.slice(1), 8);
        if (cp > 0o377) throw source.error(`octal escape value ${escape} outside of range 0-0o377`, escape.length);
        return lit(cp);
      }
    }
    const group = parseInt(escape.slice(1), 10);
    if (group < state.groups) {
      if (!state.checkgroup(group)) throw source.error("cannot refer to an open group", escape.length);
      state.checklookbehindgroup(group, source);
      return { t: "ref", group };
    }
    throw source.error(`invalid group reference ${group}`, escape.length - 1);
  }
  if ([...escape].length === 2) {
    if (isAsciiLetter(c)) throw source.error(`bad escape ${escape}`, 2);
    return lit(cpOf(c));
  }
  throw source.error(`bad escape ${escape}`, [...escape].length);
}

function parseSub(source: Tokenizer, state: State, verbose: boolean, nested: number): Node {
  const items: Node[] = [];
  for (;;) {
    items.push(parse(source, state, verbose, nested + 1, nested === 0 && items.length === 0));
    if (!source.match("|")) break;
    if (nested === 0) verbose = (state.flags & FLAG.VERBOSE) !== 0;
  }
  if (items.length === 1) return items[0];
  return { t: "alt", items };
}

function parse(source: Tokenizer, state: State, verbose: boolean, nested: number, first: boolean): Node {
  const sub: Node[] = [];
  for (;;) {
    const ch = source.next;
    if (ch === null) break;
    if (ch === "|" || ch === ")") break;
    source.get();
    if (verbose) {
      if (WHITESPACE.includes(ch)) continue;
      if (ch === "#") {
        for (;;) {
          const c = source.get();
          if (c === null || c === "\n") break;
        }
        continue;
      }
    }
    if (ch[0] === "\\" && ch.length > 1) {
      sub.push(escape(source, ch, state));
    } else if (!SPECIAL_CHARS.includes(ch)) {
      sub.push(lit(cpOf(ch)));
    } else if (ch === "[") {
      const here = source.tell() - 1;
      const set: SetItem[] = [];
      const negate = source.match("^");
      for (;;) {
        const tok = source.get();
        if (tok === null) throw source.error("unterminated character set", source.tell() - here);
        if (tok === "]" && set.length > 0) break;
        let code1: SetItem;
        if (tok[0] === "\\" && tok.length > 1) code1 = classEscape(source, tok);
        else code1 = { t: "lit", cp: cpOf(tok) };
        if (source.match("-")) {
          const that = source.get();
          if (that === null) throw source.error("unterminated character set", source.tell() - here);
          if (that === "]") {
            set.push(code1, { t: "lit", cp: 45 });
            break;
          }
          const code2: SetItem = that[0] === "\\" && that.length > 1 ? classEscape(source, that) : { t: "lit", cp: cpOf(that) };
          if (code1.t !== "lit" || code2.t !== "lit" || code2.cp < code1.cp) {
            throw source.error(`bad character range ${tok}-${that}`, [...tok].length + 1 + [...that].length);
          }
          set.push({ t: "range", lo: code1.cp, hi: code2.cp });
        } else set.push(code1);
      }
      sub.push(set.length === 1 && set[0].t === "lit" ? { t: "lit", cp: set[0].cp, negate } : { t: "set", items: set, negate });
    } else if (REPEAT_CHARS.includes(ch)) {
      const here = source.tell();
      let min: number;
      let max: number;
      if (ch === "?") [min, max] = [0, 1];
      else if (ch === "*") [min, max] = [0, MAXREPEAT];
      else if (ch === "+") [min, max] = [1, MAXREPEAT];
      else {
        if (source.next === "}") {
          sub.push(lit(cpOf(ch)));
          continue;
        }
        [min, max] = [0, MAXREPEAT];
        let lo = "";
        let hi = "";
        while (source.next !== null && source.next.length === 1 && DIGITS.includes(source.next)) lo += source.get();
        if (source.match(",")) {
          while (source.next !== null && source.next.length === 1 && DIGITS.includes(source.next)) hi += source.get();
        } else hi = lo;
        if (!source.match("}")) {
          sub.push(lit(cpOf(ch)));
          source.seek(here);
          continue;
        }
        if (lo) {
          min = Number(lo);
          if (min >= MAXREPEAT) throw new RegexError("the repetition number is too large", here);
        }
        if (hi) {
          max = Number(hi);
          if (max >= MAXREPEAT) throw new RegexError("the repetition number is too large", here);
          if (max < min) throw source.error("min repeat greater than max repeat", source.tell() - here);
        }
      }
      const last = sub[sub.length - 1];
      if (last === undefined || last.t === "at") throw source.error("nothing to repeat", source.tell() - here + ch.length);
      if (last.t === "repeat") throw source.error("multiple repeat", source.tell() - here + ch.length);
      let body: Node = last;
      if (last.t === "group" && last.index === null && last.add === 0 && last.del === 0) body = last.body;
      const mode = source.match("?") ? "lazy" : source.match("+") ? "possessive" : "greedy";
      sub[sub.length - 1] = { t: "repeat", min, max, mode, body };
    } else if (ch === ".") {
      sub.push({ t: "any" });
    } else if (ch === "(") {
      const start = source.tell() - 1;
      let capture = true;
      let atomic = false;
      let name: string | null = null;
      let add = 0;
      let del = 0;
      if (source.match("?")) {
        const char = source.get();
        if (char === null) throw source.error("unexpected end of pattern");
        if (char === "P") {
          if (source.match("<")) {
            name = source.getuntil(">", "group name");
            source.checkgroupname(name, 1);
          } else if (source.match("=")) {
            const ref = source.getuntil(")", "group name");
            source.checkgroupname(ref, 1);
            const gid = state.groupdict.get(ref);
            if (gid === undefined) throw source.error(`unknown group name ${pyQuote(ref)}`, [...ref].length + 1);
            if (!state.checkgroup(gid)) throw source.error("cannot refer to an open group", [...ref].length + 1);
            state.checklookbehindgroup(gid, source);
            sub.push({ t: "ref", group: gid });
            continue;
          } else {
            const c = source.get();
            if (c === null) throw source.error("unexpected end of pattern");
            throw source.error("unknown extension ?P" + c, [...c].length + 2);
          }
        } else if (char === ":") {
          capture = false;
        } else if (char === "#") {
          for (;;) {
            if (source.next === null) throw source.error("missing ), unterminated comment", source.tell() - start);
            if (source.get() === ")") break;
          }
          continue;
        } else if ("=!<".includes(char) && char.length === 1) {
          let kind = char;
          let behind = false;
          let outerLookbehind: number | null = null;
          if (kind === "<") {
            const c = source.get();
            if (c === null) throw source.error("unexpected end of pattern");
            if (c !== "=" && c !== "!") throw source.error("unknown extension ?<" + c, [...c].length + 2);
            kind = c;
            behind = true;
            outerLookbehind = state.lookbehindgroups;
            if (outerLookbehind === null) state.lookbehindgroups = state.groups;
          }
          const p = parseSub(source, state, verbose, nested + 1);
          if (behind && outerLookbehind === null) state.lookbehindgroups = null;
          if (!source.match(")")) throw source.error("missing ), unterminated subpattern", source.tell() - start);
          if (behind) {
            const [lo, hi] = width(p, state);
            if (lo !== hi) throw new RegexError("look-behind requires fixed-width pattern", start);
          }
          sub.push({ t: "look", behind, negate: kind === "!", body: p, start });
          continue;
        } else if (char === "(") {
          const condname = source.getuntil(")", "group name");
          let condgroup: number;
          if (isIdentifier(condname)) {
            const g = state.groupdict.get(condname);
            if (g === undefined) throw source.error(`unknown group name ${pyQuote(condname)}`, [...condname].length + 1);
            condgroup = g;
          } else {
            const n = pythonInt(condname);
            if (n === undefined || n < 0) throw source.error(`bad character in group name ${pyQuote(condname)}`, [...condname].length + 1);
            if (n === 0) throw source.error("bad group number", [...condname].length + 1);
            if (n >= MAXGROUPS) throw source.error(`invalid group reference ${n}`, [...condname].length + 1);
            condgroup = n;
            if (!state.grouprefpos.has(n)) state.grouprefpos.set(n, source.tell() - [...condname].length - 1);
          }
          state.checklookbehindgroup(condgroup, source);
          const yes = parse(source, state, verbose, nested + 1, false);
          let no: Node | null = null;
          if (source.match("|")) {
            no = parse(source, state, verbose, nested + 1, false);
            if (source.next === "|") throw source.error("conditional backref with more than two branches");
          }
          if (!source.match(")")) throw source.error("missing ), unterminated subpattern", source.tell() - start);
          sub.push({ t: "cond", group: condgroup, yes, no });
          continue;
        } else if (char === ">") {
          capture = false;
          atomic = true;
        } else if ((char.length === 1 && FLAG_LETTERS[char] !== undefined) || char === "-") {
          const flags = parseFlags(source, state, char);
          if (flags === null) {
            if (!first || sub.length > 0) throw source.error("global flags not at the start of the expression", source.tell() - start);
            verbose = (state.flags & FLAG.VERBOSE) !== 0;
            continue;
          }
          [add, del] = flags;
          capture = false;
        } else {
          throw source.error("unknown extension ?" + char, [...char].length + 1);
        }
      }
      let group: number | null = null;
      if (capture) {
        try {
          group = state.opengroup(name);
        } catch (e) {
          if (e instanceof RegexError) throw source.error(e.message, [...(name ?? "")].length + 1);
          throw e;
        }
      }
      const subVerbose = (verbose || (add & FLAG.VERBOSE) !== 0) && (del & FLAG.VERBOSE) === 0;
      const p = parseSub(source, state, subVerbose, nested + 1);
      if (!source.match(")")) throw source.error("missing ), unterminated subpattern", source.tell() - start);
      if (group !== null) state.closegroup(group, p);
      if (atomic) sub.push({ t: "atomic", body: p });
      else {
        const node: Node = { t: "group", index: group, add, del, body: p };
        sub.push(node);
      }
    } else if (ch === "^") {
      sub.push({ t: "at", kind: "bol" });
    } else if (ch === "$") {
      sub.push({ t: "at", kind: "eol" });
    } else {
      throw new RegexError("internal: unsupported special character", source.tell());
    }
  }
  // Unpack non-capturing groups without flags (a repeat of one has already taken its body).
  const out: Node[] = [];
  for (const node of sub) {
    if (node.t === "group" && node.index === null && node.add === 0 && node.del === 0) {
      if (node.body.t === "cat") out.push(...node.body.items);
      else out.push(node.body);
    } else out.push(node);
  }
  return out.length === 1 ? out[0] : { t: "cat", items: out };
}

function parseFlags(source: Tokenizer, state: State, char: string): [number, number] | null {
  let add = 0;
  let del = 0;
  let c: string | null = char;
  if (c !== "-") {
    for (;;) {
      const flag = FLAG_LETTERS[c!];
      if (c === "L") throw source.error("bad inline flags: cannot use 'L' flag with a str pattern");
      add |= flag;
      if ((flag & TYPE_FLAGS) !== 0 && (add & TYPE_FLAGS) !== flag) throw source.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      c = source.get();
      if (c === null) throw source.error("missing -, : or )");
      if (c === ")" || c === "-" || c === ":") break;
      if (c.length !== 1 || FLAG_LETTERS[c] === undefined) throw source.error(/^\p{L}$/u.test(c) ? "unknown flag" : "missing -, : or )", [...c].length);
    }
  }
  if (c === ")") {
    state.flags |= add;
    return null;
  }
  if ((add & GLOBAL_FLAGS) !== 0) throw source.error("bad inline flags: cannot turn on global flag", 1);
  if (c === "-") {
    c = source.get();
    if (c === null) throw source.error("missing flag");
    if (c.length !== 1 || FLAG_LETTERS[c] === undefined) throw source.error(/^\p{L}$/u.test(c) ? "unknown flag" : "missing flag", [...c].length);
    for (;;) {
      const flag = FLAG_LETTERS[c!];
      if ((flag & TYPE_FLAGS) !== 0) throw source.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      del |= flag;
      c = source.get();
      if (c === null) throw source.error("missing :");
      if (c === ":") break;
      if (c.length !== 1 || FLAG_LETTERS[c] === undefined) throw source.error(/^\p{L}$/u.test(c) ? "unknown flag" : "missing :", [...c].length);
    }
  }
  if ((del & GLOBAL_FLAGS) !== 0) throw source.error("bad inline flags: cannot turn off global flag", 1);
  if ((add & del) !== 0) throw source.error("bad inline flags: flag turned on and off", 1);
  return [add, del];
}

/**
 * Parses `pattern` as `re.compile(pattern, flags)` would (a str pattern). Offsets in the result
 * are UTF-16 offsets into `pattern`, for carets under the policy text.
 */
export function parsePythonRegex(pattern: string, flags = 0): ParseResult {
  const chars = Array.from(pattern);
  const toUtf16 = (pos: number) => chars.slice(0, Math.max(0, Math.min(pos, chars.length))).join("").length;
  try {
    const source = new Tokenizer(chars);
    const state = new State();
    state.flags = flags;
    const ast = parseSub(source, state, (flags & FLAG.VERBOSE) !== 0, 0);
    let f = state.flags;
    if ((f & FLAG.LOCALE) !== 0) return { ok: false, message: "cannot use LOCALE flag with a str pattern", offset: 0 };
    if ((f & FLAG.ASCII) === 0) f |= FLAG.UNICODE;
    else if ((f & FLAG.UNICODE) !== 0) return { ok: false, message: "ASCII and UNICODE flags are incompatible", offset: 0 };
    if (source.next !== null) return { ok: false, message: "unbalanced parenthesis", offset: toUtf16(source.tell()) };
    for (const [g, pos] of state.grouprefpos) {
      if (g >= state.groups) return { ok: false, message: `invalid group reference ${g}`, offset: toUtf16(pos) };
    }
    return { ok: true, ast, flags: f, groups: state.groups };
  } catch (e) {
    if (e instanceof RegexError) return { ok: false, message: e.message, offset: toUtf16(e.pos) };
    throw e;
  }
}
