// Translates a rule's globs and condition expression into a region of the call space.

import type { CompareOp, Expr, Path, Rule } from "../ir/types.ts";
import type { SearchLanguage } from "../semantics/python-re/compile.ts";
import { pyreSearch } from "../semantics/support.ts";
import * as Num from "./number-set.ts";
import { andRegions, complement, UNIVERSE, type Cube, type Region } from "./region.ts";
import * as Str from "./string-set.ts";
import * as Val from "./value-set.ts";

export interface RuleRegion {
  readonly region: Region;
  /** Opaque atoms the region mentions; a finding that depends on them is only "possible" unless a witness proves it. */
  readonly opaque: boolean;
}

/** The agent set of a glob, with Aegis's quirk: `*` is unchecked; an absent agent ("") is matched as "*". */
export function agentSet(pattern: string): Str.StringSet | undefined {
  if (pattern === "*") return undefined;
  const glob = Str.fromGlob(pattern);
  const named = Str.and(glob, Str.not(Str.exactly("")));
  if (!Str.has(glob, "*")) return named;
  return Str.not(Str.and(Str.not(named), Str.not(Str.exactly(""))));
}

export function ruleRegion(rule: Rule): RuleRegion {
  const globs: Cube = {
    ...UNIVERSE,
    ...(rule.tool.source === "*" ? {} : { tool: Str.fromGlob(rule.tool.source) }),
    ...(rule.server.source === "*" ? {} : { server: Str.fromGlob(rule.server.source) }),
  };
  const agent = agentSet(rule.agent.source);
  const base: Cube = agent ? { ...globs, agent } : globs;
  const state = { opaque: false };
  const region = andRegions([base], exprRegion(rule.when, state));
  return { region, opaque: state.opaque };
}

/** Only top-level argument paths of the Aegis subset are modelled; others become opaque atoms. */
export function paramKey(path: Path): string | undefined {
  if (path.root !== "args" || path.keys.length !== 1 || typeof path.keys[0] !== "string") return undefined;
  return path.keys[0];
}

function paramCube(key: string, values: Val.ValueSet): Cube {
  return { ...UNIVERSE, params: new Map([[key, values]]) };
}

function atomCube(id: string, value = true): Cube {
  return { ...UNIVERSE, atoms: new Map([[id, value]]) };
}

export function exprRegion(expr: Expr, state: { opaque: boolean }): Region {
  switch (expr.kind) {
    case "const":
      return expr.value ? [UNIVERSE] : [];
    case "and":
      return expr.items.reduce<Region>((acc, e) => andRegions(acc, exprRegion(e, state)), [UNIVERSE]);
    case "or":
      return expr.items.flatMap((e) => exprRegion(e, state));
    case "not":
      return complement(exprRegion(expr.item, state));
    case "clock":
      if (expr.zone !== "UTC") return opaque(expr, state);
      return [{ ...UNIVERSE, minute: expr.op === ">=" ? Num.interval(expr.minute, false, 1440, true) : Num.interval(0, false, expr.minute, true) }];
    case "window": {
      if (expr.zone !== "UTC") return opaque(expr, state);
      const minutes =
        expr.from <= expr.to
          ? Num.interval(expr.from, false, expr.to, true)
          : Num.not(Num.interval(expr.to, false, expr.from, true));
      return [{ ...UNIVERSE, minute: minutes }];
    }
    case "weekday":
      if (expr.zone !== "UTC") return opaque(expr, state);
      return [{ ...UNIVERSE, weekday: expr.days.reduce((m, d) => m | (1 << (d - 1)), 0) }];
    case "semantic":
      state.opaque = true;
      return [atomCube(`semantic:${expr.keywords.join(",")}`)];
    case "fails": {
      const key = paramKey(expr.item.path);
      return key === undefined ? opaque(expr, state) : failureRegion(key, expr.item, state);
    }
    default: {
      const dim = stringDim(expr.path);
      if (dim) return stringDimRegion(dim, expr, state);
      const key = paramKey(expr.path);
      if (key === undefined) return opaque(expr, state);
      return valueRegion(key, expr, state);
    }
  }
}

type Leaf = Exclude<Expr, { kind: "const" | "and" | "or" | "not" | "clock" | "window" | "weekday" | "semantic" | "fails" }>;

/** An undecided predicate: a free Boolean atom named by its canonical text. */
function opaque(expr: Expr, state: { opaque: boolean }): Region {
  state.opaque = true;
  return [atomCube(`expr:${JSON.stringify(expr, (k, v) => (k === "span" ? undefined : v))}`)];
}

function stringDim(path: Path): "tool" | "server" | "agent" | undefined {
  return path.root !== "args" && path.keys.length === 0 ? path.root : undefined;
}

const literalLanguage = (s: string, before: string, after: string) => Str.fromRegexSource(`${before}${escapeForRegex(s)}${after}`, "su");

/** The strings (of a string-valued operand) a leaf accepts, or undefined when that is not a regular language. */
function stringsOf(expr: Leaf): Str.StringSet | undefined {
  switch (expr.kind) {
    case "compare":
      if (expr.op === "==") return typeof expr.value === "string" ? Str.exactly(expr.value) : Str.NO_STRINGS;
      if (expr.op === "!=") return typeof expr.value === "string" ? Str.not(Str.exactly(expr.value)) : Str.ALL_STRINGS;
      if (typeof expr.value === "string") return stringOrder(expr.op, expr.value);
      // Python orders a string against nothing but a string.
      return Str.NO_STRINGS;
    case "in": {
      const set = Str.exactly(...expr.values.filter((v): v is string => typeof v === "string"));
      return expr.negated ? Str.not(set) : set;
    }
    case "text":
      return expr.op === "startsWith" ? literalLanguage(expr.value, "", "[\\s\\S]*") : literalLanguage(expr.value, "[\\s\\S]*", "");
    case "glob":
      return Str.fromGlob(expr.pattern);
    case "contains":
      return typeof expr.value === "string" ? literalLanguage(expr.value, "[\\s\\S]*", "[\\s\\S]*") : Str.NO_STRINGS;
    case "matches":
      return searchLanguage(expr.regex.language);
    case "exists":
      return Str.ALL_STRINGS;
    case "length":
      return undefined;
  }
}

/** tool, server and agent are always strings (agent "" when the call has none). */
function stringDimRegion(dim: "tool" | "server" | "agent", expr: Leaf, state: { opaque: boolean }): Region {
  const set = stringsOf(expr);
  if (!set) return opaque(expr, state);
  return [{ ...UNIVERSE, [dim]: set }];
}

function valueRegion(key: string, expr: Leaf, state: { opaque: boolean }): Region {
  const strictlyStrings = (set: Str.StringSet | undefined): Region => (set ? [paramCube(key, { ...Val.NO_VALUES, strings: set })] : opaque(expr, state));
  switch (expr.kind) {
    case "in": {
      const members = expr.values.reduce<Val.ValueSet>((acc, v) => unionValues(acc, Val.equalTo(v)), Val.NO_VALUES);
      return [paramCube(key, Val.and(Val.PRESENT, expr.negated ? Val.not(members) : members))];
    }
    case "text":
    case "glob":
      return strictlyStrings(stringsOf(expr));
    case "exists":
      return [paramCube(key, Val.PRESENT)];
    case "length":
      return opaque(expr, state);
    case "matches":
      if (expr.operand === "string") return strictlyStrings(searchLanguage(expr.regex.language));
      break;
    default:
      break;
  }
  if (expr.kind === "compare") {
    const v = expr.value;
    if (expr.op === "==") return [paramCube(key, Val.and(Val.PRESENT, Val.equalTo(v)))];
    if (expr.op === "!=") return [paramCube(key, Val.and(Val.PRESENT, Val.not(Val.equalTo(v))))];
    // Every comparison with nan is false.
    if (typeof v === "number" && Number.isNaN(v)) return [];
    if (typeof v === "number" || typeof v === "boolean") return [paramCube(key, Val.orderedAgainst(expr.op, Number(v)))];
    if (typeof v === "string") {
      const strings = stringOrder(expr.op, v);
      return strings ? [paramCube(key, { ...Val.NO_VALUES, strings })] : opaque(expr, state);
    }
    // Python orders nothing against None or a mapping; lists against lists, item by item (not modelled).
    if (!Array.isArray(v)) return [];
    return opaque(expr, state);
  }
  if (expr.kind === "contains") {
    const x = expr.value;
    const strings = typeof x === "string" ? Str.fromRegexSource(`[\\s\\S]*${escapeForRegex(x)}[\\s\\S]*`, "su") : Str.NO_STRINGS;
    // Membership in lists and mappings is an opaque atom over composite values.
    state.opaque = true;
    return [
      paramCube(key, { ...Val.NO_VALUES, strings }),
      { ...paramCube(key, { ...Val.NO_VALUES, composites: { mode: "out", values: new Map() } }), atoms: new Map([[`contains:${key}:${Val.canonical(x)}`, true]]) },
    ];
  }
  if (expr.kind !== "matches") return opaque(expr, state);
  // matches: strings through their language when it is regular; booleans exactly; numbers and
  // lists/mappings through the shape of their string forms when that decides, else opaquely.
  const program = expr.regex.program;
  const bools = { ...Val.NO_VALUES, true: pyreSearch(program, "True"), false: pyreSearch(program, "False") };
  const strings = searchLanguage(expr.regex.language);
  const atom = `matches:${key}:${expr.written}`;
  const out: Cube[] = [paramCube(key, bools)];
  if (strings) out.push(paramCube(key, { ...Val.NO_VALUES, strings }));
  else {
    state.opaque = true;
    out.push({ ...paramCube(key, { ...Val.NO_VALUES, strings: Str.ALL_STRINGS }), atoms: new Map([[`${atom}:string`, true]]) });
  }
  for (const [shape, values, label] of [
    [NUMBER_FORMS, { ...Val.NO_VALUES, numbers: Num.ALL_NUMBERS }, "number"],
    [COMPOSITE_FORMS, { ...Val.NO_VALUES, composites: { mode: "out", values: new Map() } }, "composite"],
  ] as const) {
    const hits = strings ? Str.and(strings, shape()) : undefined;
    if (hits && Str.isEmpty(hits)) continue; // no string form of this shape can match
    if (hits && Str.isSubset(shape(), strings!)) {
      out.push(paramCube(key, values)); // every string form of this shape matches
      continue;
    }
    state.opaque = true;
    out.push({ ...paramCube(key, values), atoms: new Map([[`${atom}:${label}`, true]]) });
  }
  return out;
}

/** String literals up to this many code points are ordered exactly (the language's regex grows with the literal). */
const MAX_ORDERED_LITERAL = 64;

/**
 * The strings Python's `s op text` accepts (code point order), as a regular language: those that
 * first differ from `text` by a greater (or smaller) code point, or extend it (or are a proper
 * prefix of it), and `text` itself for `<=`/`>=`. Undefined for long literals.
 */
export function stringOrder(op: CompareOp, text: string): Str.StringSet | undefined {
  const cps = Array.from(text, (c) => c.codePointAt(0)!);
  if (cps.length > MAX_ORDERED_LITERAL || op === "==" || op === "!=") return undefined;
  const greater = op === ">" || op === ">=";
  const ch = (cp: number) => `\\u{${cp.toString(16)}}`;
  // What may follow once text[0..i) is matched, from the end back (undefined: nothing).
  let rest: string | undefined = op === ">" ? "[\\s\\S]+" : op === ">=" ? "[\\s\\S]*" : op === "<=" ? "" : undefined;
  for (let i = cps.length - 1; i >= 0; i--) {
    const cp = cps[i];
    const along = rest === undefined ? undefined : `${ch(cp)}(?:${rest})`;
    // A greater (smaller) code point here settles the order, whatever follows.
    const beyond = greater ? (cp < 0x10ffff ? `[${ch(cp + 1)}-\\u{10ffff}][\\s\\S]*` : undefined) : cp > 0 ? `[\\u{0}-${ch(cp - 1)}][\\s\\S]*` : undefined;
    // Stopping here (a proper prefix of text) is smaller.
    const stop = greater ? undefined : "";
    rest = [along, beyond, stop].filter((x) => x !== undefined).join("|");
  }
  try {
    return Str.fromRegexSource(rest === undefined ? "[]" : `(?:${rest})`, "su");
  } catch {
    return undefined;
  }
}

/**
 * Where Aegis raises on a leaf (see interpret.ts leafFails): by the operand's type, exactly,
 * except lists and mappings where the answer depends on their items (an opaque atom).
 */
function failureRegion(key: string, leaf: Extract<Expr, { kind: "compare" | "contains" }>, state: { opaque: boolean }): Region {
  const v = leaf.value;
  const scalars = { strings: Str.ALL_STRINGS, numbers: Num.ALL_NUMBERS, true: true, false: true };
  const composites = { mode: "out" as const, values: new Map<string, unknown>() };
  const withAtom = (values: Val.ValueSet): Cube => {
    state.opaque = true;
    return { ...paramCube(key, values), atoms: new Map([[`fails:${key}:${leaf.kind}:${Val.canonical(v)}`, true]]) };
  };
  if (leaf.kind === "compare") {
    if (leaf.op === "==" || leaf.op === "!=") return [];
    if (typeof v === "number" || typeof v === "boolean") return [paramCube(key, { ...Val.NO_VALUES, strings: Str.ALL_STRINGS, composites })];
    if (typeof v === "string") return [paramCube(key, { ...Val.NO_VALUES, numbers: Num.ALL_NUMBERS, true: true, false: true, composites })];
    if (!Array.isArray(v)) return [paramCube(key, Val.PRESENT)];
    return [paramCube(key, { ...Val.NO_VALUES, ...scalars }), withAtom({ ...Val.NO_VALUES, composites })];
  }
  if (typeof v === "string") return [paramCube(key, { ...Val.NO_VALUES, numbers: Num.ALL_NUMBERS, true: true, false: true })];
  if (v === null || typeof v !== "object") return [paramCube(key, { ...Val.NO_VALUES, ...scalars })];
  // An unhashable item: a mapping operand raises, a list operand does not.
  return [paramCube(key, { ...Val.NO_VALUES, ...scalars }), withAtom({ ...Val.NO_VALUES, composites })];
}

/** Every string `str()` gives for a number (JS number formatting, Python's inf/nan) and for a list or mapping. */
let numberForms: Str.StringSet | undefined;
let compositeForms: Str.StringSet | undefined;
const NUMBER_FORMS = () => (numberForms ??= Str.fromRegexSource("-?(?:[0-9]+(?:\\.[0-9]+)?(?:e[+-][0-9]+)?|inf)|nan", "u"));
const COMPOSITE_FORMS = () => (compositeForms ??= Str.fromRegexSource("\\[[\\s\\S]*\\]|\\{[\\s\\S]*\\}", "u"));

function unionValues(a: Val.ValueSet, b: Val.ValueSet): Val.ValueSet {
  return Val.not(Val.and(Val.not(a), Val.not(b)));
}

function escapeForRegex(s: string): string {
  return Array.from(s, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("");
}

/**
 * The strings in which a Python regex search finds a match, when the compiler could give its
 * language (no assertion but a leading `\A`/`^` and a trailing `\Z`/`$`, no back-reference, no
 * possessive repeat): refa builds it. Otherwise undefined, and the predicate is opaque.
 */
export function searchLanguage(language: SearchLanguage | undefined): Str.StringSet | undefined {
  if (!language) return undefined;
  const before = language.start ? "" : "[\\s\\S]*";
  const after = language.end === 1 ? "" : language.end === 2 ? "\\n?" : "[\\s\\S]*";
  try {
    return Str.fromRegexSource(`${before}(?:${language.source})${after}`, "su");
  } catch {
    return undefined;
  }
}
