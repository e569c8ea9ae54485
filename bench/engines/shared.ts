// What the Cedar and Casbin translations share: the strictest outcome of a set of matched rules, the calls they can take, and readers of Aegis globs and regexes.

import type { Decision, ToolCall } from "../../compiler/interpret.ts";
import { APPROVAL_RANK, RISK_RANK, type Expr, type Policy } from "../../compiler/ir/types.ts";
import { parseGlob } from "../../compiler/semantics/glob.ts";

/** A policy feature an engine cannot express, exactly or through an equivalent: the translation stops here instead of dropping the rule. */
export class TranslationError extends Error {
  override name = "TranslationError";
}

/** A call outside the values the translations decide exactly as aegisc: refused instead of decided differently. */
export class RequestDomainError extends Error {
  override name = "RequestDomainError";
}

/** What a translation had to write another way than the policy says it, with how many rules or conditions. */
export interface TranslationNote {
  readonly what: string;
  readonly count: number;
  /** What is counted: "rules", "globs", "conditions". */
  readonly unit: string;
}

/** Counts notes by their text, in the order they first occur. */
export class Notes {
  private readonly counts = new Map<string, { count: number; unit: string }>();
  add(what: string, unit: string, count = 1): void {
    const entry = this.counts.get(what);
    if (entry) entry.count += count;
    else this.counts.set(what, { count, unit });
  }
  list(): TranslationNote[] {
    return [...this.counts].map(([what, { count, unit }]) => ({ what, count, unit }));
  }
}

/**
 * The decisions a translation hands back, and the order in which `strictest` lets a matched rule
 * win: higher approval, then higher risk, then earlier in the file. The engines report which rules
 * matched (Cedar: the determining policies; Casbin: the explained policy line); this table turns
 * that into the same frozen Decision objects the interpreter returns, so decisions compare as JSON.
 */
export interface Outcomes {
  /** By rule index. */
  readonly decisions: readonly Decision[];
  /** By rule index: 0 for the rule that wins over every other, and so on. */
  readonly rank: Int32Array;
  /** Rule indices, the rule that wins over every other first. */
  readonly order: readonly number[];
  readonly fallback: Decision;
  /**
   * By argument: the value kinds on which some condition of the policy cannot be evaluated (Aegis
   * raises: a string ordered against a number, `in` on a number), which aegisc blocks fail-closed.
   * Neither engine says that, so requestParts refuses such calls rather than decide them otherwise.
   */
  readonly raising: ReadonlyMap<string, ReadonlySet<"string" | "number">>;
}

/** The argument kinds (of strings and numbers, the requests' domain) that can make a condition raise, per top-level argument. */
function raisingKinds(policy: Policy): Map<string, Set<"string" | "number">> {
  const out = new Map<string, Set<"string" | "number">>();
  const add = (key: string, ...kinds: ("string" | "number")[]) => {
    let set = out.get(key);
    if (!set) out.set(key, (set = new Set()));
    for (const k of kinds) set.add(k);
  };
  const visit = (e: Expr): void => {
    if (e.kind === "and" || e.kind === "or") e.items.forEach(visit);
    else if (e.kind === "not") visit(e.item);
    else if ((e.kind === "compare" || e.kind === "contains") && e.raises && e.path.root === "args" && typeof e.path.keys[0] === "string") {
      const key = e.path.keys[0];
      const v = e.value;
      if (e.kind === "compare") {
        if (e.op === "==" || e.op === "!=") return;
        if (typeof v === "number" || typeof v === "boolean") add(key, "string");
        else if (typeof v === "string") add(key, "number");
        else add(key, "string", "number");
      } else if (typeof v === "string") add(key, "number");
      else add(key, "string", "number");
    }
  };
  for (const r of policy.rules) visit(r.when);
  return out;
}

export function outcomesOf(policy: Policy): Outcomes {
  // Cedar's forbid-overrides and Casbin's deny-override are order-independent, as `strictest` is;
  // `first-match` lets an earlier allow beat a later block, which neither effect can say.
  if (policy.combine !== "strictest") throw new TranslationError(`combine: ${policy.combine} has no deny-override equivalent; the engine translations take strictest policies only`);
  const rules = policy.rules;
  const order = rules
    .map((r) => r.index)
    .sort((a, b) => APPROVAL_RANK[rules[b].approval] - APPROVAL_RANK[rules[a].approval] || RISK_RANK[rules[b].risk] - RISK_RANK[rules[a].risk] || a - b);
  const rank = new Int32Array(rules.length);
  order.forEach((index, position) => (rank[index] = position));
  return {
    decisions: rules.map((r) => Object.freeze({ approval: r.approval, risk: r.risk, rule: r.name, index: r.index })),
    rank,
    order,
    fallback: Object.freeze({ approval: policy.defaults.approval, risk: policy.defaults.risk, rule: "<default>", index: -1 }),
    raising: raisingKinds(policy),
  };
}

/** What a request builder hands an engine: the call's names, the agent as Aegis matches it, and the UTC clock (neither engine has one). */
export interface RequestParts {
  readonly tool: string;
  readonly server: string;
  /** `*` when the call has no agent id (or an empty one): Aegis matches such a call as the agent `*`. */
  readonly agent: string;
  readonly args: Readonly<Record<string, string | number>>;
  /** UTC minute of the day, 0-1439. */
  readonly minute: number;
  /** ISO weekday in UTC, 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const EMPTY_ARGS: Readonly<Record<string, string | number>> = Object.freeze({});
const NO_RAISING: Outcomes["raising"] = new Map();

/**
 * The call as both engines' requests need it, or a RequestDomainError. The translations decide
 * exactly as aegisc for calls whose argument values are strings or safe integers (what the bench's
 * calls carry) and whose time is valid: there Cedar's Long and String and JavaScript's comparisons
 * agree with Python's. Booleans, floats, nulls, lists and mappings are where they part (Cedar has no
 * null and no float; Python compares True as 1, tests list membership for `in`), so such calls are
 * refused, never decided differently; so are calls on which a condition could raise (see Outcomes.raising).
 */
export function requestParts(call: ToolCall, raising: Outcomes["raising"] = NO_RAISING): RequestParts {
  if (typeof call.tool !== "string" || typeof call.server !== "string") throw new RequestDomainError("a call needs a string tool and server");
  if (call.agent !== undefined && typeof call.agent !== "string") throw new RequestDomainError("the agent id must be a string");
  const args = call.args ?? EMPTY_ARGS;
  for (const key in args) {
    if (!Object.prototype.hasOwnProperty.call(args, key)) continue;
    const v = args[key];
    if (typeof v === "string" ? false : typeof v !== "number" || !Number.isSafeInteger(v)) {
      throw new RequestDomainError(`argument ${JSON.stringify(key)} is ${JSON.stringify(v)}: the engine translations take string and integer arguments only`);
    }
    if (raising.get(key)?.has(typeof v === "string" ? "string" : "number")) {
      throw new RequestDomainError(`argument ${JSON.stringify(key)} is ${JSON.stringify(v)}: a condition on it cannot be evaluated (Aegis raises), which aegisc blocks fail-closed and the engines do not model`);
    }
    // Cedar reads a record with such a key as an entity or extension value.
    if (key.startsWith("__")) throw new RequestDomainError(`argument ${JSON.stringify(key)}: keys starting with "__" are not plain data in Cedar's JSON`);
  }
  const ms = call.time === undefined ? Date.now() : call.time instanceof Date ? call.time.getTime() : call.time;
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new RequestDomainError("the call's time must be a valid Date or epoch milliseconds");
  const at = new Date(ms);
  if (Number.isNaN(at.getTime())) throw new RequestDomainError("the call's time is out of Date's range");
  return {
    tool: call.tool,
    server: call.server,
    agent: call.agent ? call.agent : "*",
    args: args as Readonly<Record<string, string | number>>,
    minute: at.getUTCHours() * 60 + at.getUTCMinutes(),
    weekday: at.getUTCDay() === 0 ? 7 : at.getUTCDay(),
  };
}

/** One part of a glob that has only literal text and `*` (what Cedar's `like` can say). */
export type StarPart = { readonly t: "lit"; readonly s: string } | { readonly t: "star" };

/** The most alternatives a set glob may expand to (`github_[rw]*` gives two). */
const MAX_ALTERNATIVES = 64;

/**
 * An Aegis glob as a union of `*`-only patterns: a `[…]` set of a few characters becomes one
 * alternative per character (`github_[rw]*` → `github_r*`, `github_w*`), which matches the same
 * names; an empty set gives no alternative (it matches nothing). `?` and negated sets have no such
 * union; the translation stops there.
 */
export function starAlternatives(pattern: string, engine: string): { alternatives: StarPart[][]; expandedSets: boolean } {
  let alternatives: StarPart[][] = [[]];
  let expandedSets = false;
  const append = (alt: StarPart[], part: StarPart): StarPart[] => {
    const last = alt[alt.length - 1];
    // Adjacent literals (text, then an expanded set) are one run of text.
    return part.t === "lit" && last?.t === "lit" ? [...alt.slice(0, -1), { t: "lit", s: last.s + part.s }] : [...alt, part];
  };
  for (const token of parseGlob(pattern)) {
    if (token.t === "any") throw new TranslationError(`${engine} cannot express the glob ${JSON.stringify(pattern)}: \`?\` (one character) has no equivalent there`);
    if (token.t === "class") {
      if (token.negated) throw new TranslationError(`${engine} cannot express the glob ${JSON.stringify(pattern)}: a negated set has no equivalent there`);
      const chars: string[] = [];
      for (const [lo, hi] of token.ranges) for (let cp = lo; cp <= hi && chars.length <= MAX_ALTERNATIVES; cp++) chars.push(String.fromCodePoint(cp));
      if (chars.length * alternatives.length > MAX_ALTERNATIVES) throw new TranslationError(`${engine}: the glob ${JSON.stringify(pattern)} would expand to more than ${MAX_ALTERNATIVES} alternatives`);
      alternatives = alternatives.flatMap((alt) => chars.map((ch) => append(alt, { t: "lit", s: ch })));
      expandedSets = true;
    } else {
      alternatives = alternatives.map((alt) => append(alt, token.t === "lit" ? { t: "lit", s: token.s } : { t: "star" }));
    }
  }
  return { alternatives, expandedSets };
}

/** A glob with no `*`, `?` or set: it matches itself only. */
export function literalGlob(pattern: string): string | undefined {
  const tokens = parseGlob(pattern);
  if (tokens.length === 0) return "";
  return tokens.length === 1 && tokens[0].t === "lit" ? tokens[0].s : undefined;
}

/**
 * A regex (as written, Python's `re`) that is literal text with optional anchors: `^/etc/`,
 * `\.pem$`, `secret`. `re.search` with it is a prefix, suffix, equality or substring test; Python's
 * `$` (without MULTILINE) also matches before one final newline, so `end` means "ends with the text,
 * or with the text and a newline". Anything else (classes, repetition, groups, flags) is undefined.
 */
export function literalRegex(written: string): { text: string; start: boolean; end: boolean } | undefined {
  let i = 0;
  const start = written.startsWith("^");
  if (start) i = 1;
  let text = "";
  let end = false;
  while (i < written.length) {
    const c = written[i];
    if (c === "\\") {
      const next = written[i + 1];
      // An escaped punctuation character is that character; `\d`, `\b`, `\1` and the like are not literal.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
      text += next;
      i += 2;
    } else if (c === "$" && i === written.length - 1) {
      end = true;
      i++;
    } else if (".^$*+?{}[]|()".includes(c)) {
      return undefined;
    } else {
      text += c;
      i++;
    }
  }
  return text === "" ? undefined : { text, start, end };
}

/** The one-key `args.<key>` path of a condition, or a TranslationError: the bench's conditions read top-level arguments only. */
export function argumentKey(expr: Expr & { path: { root: string; keys: readonly (string | number)[] } }, engine: string): string {
  const { root, keys } = expr.path;
  if (root !== "args" || keys.length !== 1 || typeof keys[0] !== "string") {
    throw new TranslationError(`${engine}: conditions on ${root}${keys.map((k) => `.${k}`).join("")} are not translated (only one-level args.<key> paths)`);
  }
  return keys[0];
}

/** Whether a text could occur inside the decimal form of an integer, where the engines and Python part (Cedar's `like` errs on a Long; Python's `str(15)` contains "5"). */
export function couldBeInInteger(text: string): boolean {
  return /^[0-9-]*$/.test(text);
}
