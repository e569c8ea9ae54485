// Casbin translation of an Aegis policy (a model with a deny-override effect and one policy line per rule) and a decider over a loaded enforcer.

import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from "casbin";
import type { Decision, ToolCall } from "../../compiler/interpret.ts";
import type { Expr, Policy, Rule } from "../../compiler/ir/types.ts";
import { parseGlob } from "../../compiler/semantics/glob.ts";
import { argumentKey, couldBeInInteger, literalGlob, literalRegex, Notes, outcomesOf, requestParts, TranslationError, type Outcomes, type TranslationNote } from "./shared.ts";

const ENGINE = "Casbin";
const CLOCK_NOTE = "time conditions read r.clock.minute and r.clock.weekday, which the request builder computes from the call's time in UTC (Casbin has no clock)";

/**
 * The mapping, and why it decides as `strictest` does:
 * - The request is (agent, tool, server, args, clock); a policy line is (agent glob, tool glob,
 *   server glob, condition, eft, rule index). A rule's conditions are a Casbin expression run by
 *   `eval(p.cond)`, Casbin's documented form for per-rule ABAC conditions.
 * - `block` rules have eft `deny`, `approve` and `auto` rules `allow`; the effect is Casbin's
 *   deny-override (`some allow && !some deny`), order-independent like `strictest`: any matching
 *   block rule denies, which is `strictest`'s answer whenever a block rule matches.
 * - Casbin's effect is two-valued; `enforceEx` also returns the policy line that decided, and the
 *   line's rule index gives the approval, the risk and the rule's name, as an application reads an
 *   obligation off the matched line. Which line it explains depends on the order of the lines: the
 *   first matching deny (evaluation stops there), else the last matching allow. So deny lines come
 *   first, the strictest first, and allow lines last, the least strict first: the explained line is
 *   the rule `strictest` picks (approval, then risk, then file position). Nothing matched: denied,
 *   no line, the policy's defaults.
 * - Globs: Casbin's `keyMatch` takes one trailing `*` only and its `globMatch` (minimatch) does not
 *   let `*` cross `/` or match a leading `.`, so neither is Aegis's fnmatch; the matcher calls a
 *   registered `aegisGlob` with fnmatch's meaning.
 */
export interface CasbinTranslation {
  readonly model: string;
  /** Policy lines, each `[agent, tool, server, cond, eft, rule index]`, in load order. */
  readonly lines: readonly (readonly string[])[];
  /** The same lines as a Casbin policy file (`p, …` with every field quoted). */
  readonly csv: string;
  readonly outcomes: Outcomes;
  readonly notes: readonly TranslationNote[];
}

export const CASBIN_MODEL = `[request_definition]
r = agent, tool, server, args, clock

[policy_definition]
p = agent, tool, server, cond, eft, rule

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = aegisGlob(r.tool, p.tool) && aegisGlob(r.server, p.server) && aegisGlob(r.agent, p.agent) && eval(p.cond)
`;

export function translateToCasbin(policy: Policy): CasbinTranslation {
  const outcomes = outcomesOf(policy);
  const notes = new Notes();
  const lineOf = (rule: Rule): string[] => {
    for (const glob of [rule.tool.source, rule.server.source, rule.agent.source]) {
      if (glob !== "*" && literalGlob(glob) === undefined) notes.add("globs go through a registered aegisGlob with fnmatch's meaning (keyMatch takes a trailing * only; globMatch's * stops at / and a leading .)", "globs");
    }
    const cond = rule.when.kind === "const" && rule.when.value ? "true" : casbinExpr(rule.when, notes);
    return [rule.agent.source, rule.tool.source, rule.server.source, cond, rule.approval === "block" ? "deny" : "allow", String(rule.index)];
  };
  const rules = policy.rules;
  const denies = outcomes.order.filter((i) => rules[i].approval === "block");
  const allows = outcomes.order.filter((i) => rules[i].approval !== "block").reverse();
  const lines = [...denies, ...allows].map((i) => lineOf(rules[i]));
  if (denies.length > 0) notes.add("block rules are deny lines, the others allow lines (deny-override); the line enforceEx explains gives approve or auto, the risk and the rule", "block rules", denies.length);
  const csv = lines.map((line) => ["p", ...line].map((f) => `"${f.replace(/"/g, '""')}"`).join(", ")).join("\n") + "\n";
  return { model: CASBIN_MODEL, lines, csv, outcomes, notes: notes.list() };
}

/**
 * A condition as a Casbin expression (JavaScript operators, through @casbin/expression-eval).
 * JavaScript's `>` converts a string to a number where Python's raises, so numeric comparisons
 * first ask a registered `isNumber`; `===` never converts. Casbin's `regexMatch` takes no flags and
 * turns a missing value into "", so only literal regexes are translated.
 */
function casbinExpr(expr: Expr, notes: Notes): string {
  switch (expr.kind) {
    case "const":
      return expr.value ? "true" : "false";
    case "and":
    case "or":
      return expr.items.length === 0 ? String(expr.kind === "and") : `(${expr.items.map((e) => casbinExpr(e, notes)).join(expr.kind === "and" ? " && " : " || ")})`;
    case "not":
      return `!${casbinExpr(expr.item, notes)}`;
    case "compare": {
      const key = argumentKey(expr, ENGINE);
      const v = expr.value;
      if (expr.op === "!=") throw new TranslationError(`${ENGINE}: != is not translated (Aegis requires the operand to be present, which needs a test Casbin's expressions lack)`);
      if (typeof v === "string") {
        if (expr.op !== "==") throw new TranslationError(`${ENGINE}: ${expr.op} ${JSON.stringify(v)} is not translated (JavaScript orders strings by UTF-16 unit, Python by code point)`);
        return `${arg(key)} === ${casbinString(v)}`;
      }
      if (typeof v === "number" && Number.isSafeInteger(v)) {
        if (expr.op === "==") return `${arg(key)} === ${v}`;
        notes.add("numeric comparisons test a registered isNumber first (JavaScript's < and > convert strings to numbers, Python's raise)", "conditions");
        return `(isNumber(${arg(key)}) && ${arg(key)} ${expr.op} ${v})`;
      }
      throw new TranslationError(`${ENGINE}: a comparison with ${JSON.stringify(v)} is not translated`);
    }
    case "contains": {
      const key = argumentKey(expr, ENGINE);
      if (typeof expr.value !== "string") throw new TranslationError(`${ENGINE}: param_contains of ${JSON.stringify(expr.value)} is not translated (only text in text)`);
      // regexMatch reads an integer as its digits, where Python's `in` raises: text that could be digits is left out.
      if (couldBeInInteger(expr.value)) throw new TranslationError(`${ENGINE}: param_contains ${JSON.stringify(expr.value)} could match an integer's digits through regexMatch`);
      return `regexMatch(${arg(key)}, ${casbinString(escapeRegExp(expr.value))})`;
    }
    case "matches": {
      const key = argumentKey(expr, ENGINE);
      const literal = literalRegex(expr.written);
      if (!literal) throw new TranslationError(`${ENGINE}: /${expr.written}/ is not translated (regexMatch takes no flags, so only literal regexes with anchors are)`);
      // Python searches str(value), and String() of a safe integer is the same text; a `when:` regex tests strings only.
      if (expr.operand === "string" && couldBeInInteger(literal.text)) throw new TranslationError(`${ENGINE}: /${expr.written}/ could match an integer's digits, which a string-only test must not`);
      notes.add("literal regexes go to Casbin's regexMatch as JavaScript regexes, Python's $ as \\n?$", "conditions");
      return `regexMatch(${arg(key)}, ${casbinString(`${literal.start ? "^" : ""}${escapeRegExp(literal.text)}${literal.end ? "\\n?$" : ""}`)})`;
    }
    case "clock":
      utcOnly(expr.zone);
      notes.add(CLOCK_NOTE, "conditions");
      return `r.clock.minute ${expr.op} ${expr.minute}`;
    case "window":
      utcOnly(expr.zone);
      notes.add(CLOCK_NOTE, "conditions");
      return expr.from <= expr.to ? `(r.clock.minute >= ${expr.from} && r.clock.minute < ${expr.to})` : `(r.clock.minute >= ${expr.from} || r.clock.minute < ${expr.to})`;
    case "weekday":
      utcOnly(expr.zone);
      notes.add(CLOCK_NOTE, "conditions");
      return `(${expr.days.map((d) => `r.clock.weekday === ${d}`).join(" || ")})`;
    default:
      throw new TranslationError(`${ENGINE}: a condition of kind ${expr.kind} is not translated`);
  }
}

function utcOnly(zone: string): void {
  if (zone !== "UTC") throw new TranslationError(`${ENGINE}: time conditions in ${zone} are not translated (the request builder supplies the UTC clock)`);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/; // no `$`: Casbin splices conditions with String.replace, which reads `$1`
const arg = (key: string) => (IDENTIFIER.test(key) ? `r.args.${key}` : `r.args[${casbinString(key)}]`);

/**
 * A string literal for Casbin's expression parser (jsep). jsep knows `\\`, `\"`, `\n`, `\r`,
 * `\t` and no `\u` escape, so other control characters are refused. Casbin mangles three more
 * things, refused here rather than written wrong: its policy-file reader replaces `""` by `"` in
 * every field after the CSV parser has unquoted it (a text ending in `"` would end in `\""`); it
 * splices a condition into the matcher with String.replace, which reads `$&`, `$'`, `$1`… in it;
 * and it rewrites `r.`/`p.` after a delimiter into `r_`/`p_` everywhere, string literals included.
 */
function casbinString(s: string): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u2028\u2029]/.test(s)) throw new TranslationError(`${ENGINE}: the text ${JSON.stringify(s)} has a control character jsep cannot read`);
  if (s.endsWith('"')) throw new TranslationError(`${ENGINE}: the text ${JSON.stringify(s)} ends in a double quote, which Casbin's policy-file reader unescapes twice`);
  if (/\$[$&'`0-9<]/.test(s)) throw new TranslationError(`${ENGINE}: the text ${JSON.stringify(s)} has a $ sequence that Casbin's String.replace would expand`);
  if (/(^|[()\s|&,=!><+\-*/])(r|p)[0-9]*\./.test(s)) throw new TranslationError(`${ENGINE}: the text ${JSON.stringify(s)} would be rewritten by Casbin's r./p. escaping`);
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** fnmatch as a RegExp source: `*` any run, `?` one code point, sets by code point (hence the `u` flag). */
function globRegExp(pattern: string): RegExp {
  const cp = (n: number) => `\\u{${n.toString(16)}}`;
  const body = parseGlob(pattern)
    .map((t) => {
      if (t.t === "lit") return Array.from(t.s, (ch) => cp(ch.codePointAt(0)!)).join("");
      if (t.t === "star") return "[^]*";
      if (t.t === "any") return "[^]";
      if (t.ranges.length === 0) return t.negated ? "[^]" : "[]";
      return `[${t.negated ? "^" : ""}${t.ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join("")}]`;
    })
    .join("");
  return new RegExp(`^${body}$`, "u");
}

/**
 * The registered glob function: `*` accepts everything, a pattern without wildcards is compared
 * with `===`, others run a RegExp compiled once per pattern (Casbin calls it for every line of
 * every request, so it must not compile per call).
 */
function globFunction(): (name: string, pattern: string) => boolean {
  const compiled = new Map<string, RegExp | string>();
  return (name, pattern) => {
    if (pattern === "*") return true;
    let test = compiled.get(pattern);
    if (test === undefined) compiled.set(pattern, (test = literalGlob(pattern) ?? globRegExp(pattern)));
    return typeof test === "string" ? name === test : test.test(name);
  };
}

export interface CasbinDecider {
  readonly decide: (call: ToolCall) => Decision;
  readonly enforcer: Enforcer;
}

/**
 * Loads the model and the policy file into an enforcer, as an application reading `model.conf`
 * and `policy.csv` does, registers the two functions the matcher calls, and checks that the
 * lines Casbin loaded are the ones translated (its CSV reader trims and rejoins fields).
 */
export async function loadCasbin(translation: CasbinTranslation): Promise<CasbinDecider> {
  const enforcer = await newEnforcer(newModelFromString(translation.model), new StringAdapter(translation.csv));
  await enforcer.addFunction("aegisGlob", globFunction() as (...args: unknown[]) => boolean);
  await enforcer.addFunction("isNumber", ((x: unknown) => typeof x === "number") as (...args: unknown[]) => boolean);
  const loaded = await enforcer.getPolicy();
  if (loaded.length !== translation.lines.length || loaded.some((line, i) => line.length !== translation.lines[i].length || line.some((f, j) => f !== translation.lines[i][j]))) {
    const i = loaded.findIndex((line, k) => JSON.stringify(line) !== JSON.stringify(translation.lines[k]));
    throw new Error(`Casbin loaded other policy lines than translated (line ${i}: ${JSON.stringify(loaded[i])} instead of ${JSON.stringify(translation.lines[i])})`);
  }
  const { decisions, fallback } = translation.outcomes;
  const decide = (call: ToolCall): Decision => {
    const parts = requestParts(call, translation.outcomes.raising);
    const [allowed, line] = enforcer.enforceExSync(parts.agent, parts.tool, parts.server, parts.args, { minute: parts.minute, weekday: parts.weekday });
    if (line.length === 0) {
      if (allowed) throw new Error(`Casbin allowed ${JSON.stringify(call)} without naming a line`);
      return fallback;
    }
    const decision = decisions[Number(line[5])];
    // Casbin's own effect must be the block/not-block half of the answer.
    if (allowed === (decision.approval === "block")) throw new Error(`Casbin ${allowed ? "allowed" : "denied"} ${JSON.stringify(call)} but explained it with the ${decision.approval} rule ${decision.rule}`);
    return decision;
  };
  return { decide, enforcer };
}
