// Turns rule tests (globs, agent, conditions) into TypeScript expressions; constants they need are hoisted to module scope.

import type { CompareOp, Expr, Path, RaisingLeaf, Rule, Value } from "../ir/types.ts";
import { classifyGlob, globRegExpSource, GLOB_REGEXP_FLAGS, parseGlob, type GlobTest } from "../semantics/glob.ts";
import type { LiteralSearch } from "../semantics/python-re/compile.ts";
import type { RegexProgram } from "../semantics/support.ts";
import { identifier, numberLiteral, stringLiteral, valueLiteral } from "./literals.ts";

/** Module-scope constants (regexes, literal values, keyword lists) hoisted out of `decide`, deduplicated. */
export class Hoisted {
  private readonly byCode = new Map<string, string>();
  readonly declarations: string[] = [];
  constant(prefix: string, type: string, init: string): string {
    const key = `${type}=${init}`;
    const existing = this.byCode.get(key);
    if (existing) return existing;
    const name = identifier(`${prefix}${this.byCode.size}`);
    this.byCode.set(key, name);
    this.declarations.push(`const ${name}: ${type} = ${init};`);
    return name;
  }
}

/** The validated locals of `decideCall` that generated tests read, in the order functions take them as parameters. */
export const LOCALS = ["tool", "server", "agent", "args", "call"] as const;
export type Local = (typeof LOCALS)[number];
const LOCAL_TYPES: Readonly<Record<Local, string>> = { tool: "string", server: "string", agent: "string", args: "Record<string, unknown>", call: "ToolCall" };

/** Parameters for exactly the locals in `used` (in LOCALS order), so that no generated parameter goes unread. */
export function localParameters(used: ReadonlySet<Local>): string[] {
  return LOCALS.filter((l) => used.has(l)).map((l) => `${l}: ${LOCAL_TYPES[l]}`);
}

/** The arguments that pass `used` to a function declared with localParameters(used). */
export function localArguments(used: ReadonlySet<Local>): string[] {
  return LOCALS.filter((l) => used.has(l));
}

/**
 * Every local as a parameter, for a function whose signature is fixed by its callers (the table
 * engine's ResidualTest); the ones it does not read are named `_local`, TypeScript's mark of a
 * parameter that is deliberately unread.
 */
export function allLocalParameters(used: ReadonlySet<Local>): string[] {
  return LOCALS.map((l) => `${used.has(l) ? l : `_${l}`}: ${LOCAL_TYPES[l]}`);
}

/**
 * Emits expressions over the locals of a bucket function: tool, server, agent, args, call.
 * `locals` says which of them the last top-level expression (rule, residual, conditions) read,
 * so that the enclosing function declares only those; each top-level expression starts a new set,
 * so a caller may keep the one it got.
 *
 * With `inline`, the commonest conditions test the usual operand type in the expression itself
 * (the fast paths of fast-support.ts, written out) and call a helper only for other types: the
 * table form's residual tests are cases of large `switch` functions, where V8 does not inline
 * the helpers a case calls (each call site runs too rarely), so a call would be paid every time.
 * Operands are then read once into temporaries `v0`, `v1`, … that the enclosing function
 * declares: `temps` says how many the last top-level expression (rule, residual, conditions) used.
 */
export class ExprEmitter {
  readonly support = new Set<string>();
  /** Whether the module needs `HAS_OWN` (Object.prototype.hasOwnProperty) for reads of `args`. */
  usesHasOwn = false;
  temps = 0;
  locals = new Set<Local>();
  constructor(
    private readonly hoisted: Hoisted,
    private readonly inline = false,
  ) {}

  /** A read of a local, recorded in `locals`. */
  private local(name: Local): string {
    this.locals.add(name);
    return name;
  }

  private temp(): string {
    return `v${this.temps++}`;
  }

  /** `fast` for an operand of type `type` (read once into a temporary, which TypeScript narrows), else `slow`. */
  private byType(operand: string, type: "number" | "string", fast: (v: string) => string, slow: (v: string) => string): string {
    const v = this.temp();
    return `(${v} = ${operand}, typeof ${v} === ${stringLiteral(type)} ? ${fast(v)} : ${slow(v)})`;
  }

  use(name: string): string {
    this.support.add(name);
    return name;
  }

  glob(test: GlobTest, local: "tool" | "server" | "agent"): string | undefined {
    if (test.kind === "any") return undefined;
    const subject = this.local(local);
    switch (test.kind) {
      case "exact":
        return `${subject} === ${stringLiteral(test.text)}`;
      case "prefix":
        return this.inline ? startsWithCode(subject, test.prefix) : `${subject}.startsWith(${stringLiteral(test.prefix)})`;
      case "suffix":
        return this.inline ? endsWithCode(subject, test.suffix, 0) : `${subject}.endsWith(${stringLiteral(test.suffix)})`;
      case "prefix-suffix":
        if (this.inline) return `${subject}.length >= ${test.prefix.length + test.suffix.length} && ${startsWithCode(subject, test.prefix)} && ${endsWithCode(subject, test.suffix, 0)}`;
        return `${subject}.length >= ${test.prefix.length + test.suffix.length} && ${subject}.startsWith(${stringLiteral(test.prefix)}) && ${subject}.endsWith(${stringLiteral(test.suffix)})`;
      case "contains":
        return `${subject}.includes(${stringLiteral(test.text)})`;
      case "regex": {
        const re = this.hoisted.constant("GLOB_", "RegExp", `new RegExp(${stringLiteral(test.source)}, ${stringLiteral(test.flags)})`);
        return `${re}.test(${subject})`;
      }
    }
  }

  path(path: Path): string {
    // The local `agent` is "*" for agent-less calls (Aegis's glob rule); paths see the id as given, or "".
    let code = path.root === "agent" ? `(${this.local("call")}.agent ?? "")` : this.local(path.root);
    path.keys.forEach((key, i) => {
      if (i === 0 && path.root === "args" && typeof key === "string") {
        // `args` is always a plain (non-array) object here, so ownValue's own-property read is this, with a load
        // that V8 caches per site instead of one generic keyed load shared by every condition.
        this.usesHasOwn = true;
        code = `(HAS_OWN.call(args, ${stringLiteral(key)}) ? args[${stringLiteral(key)}] : undefined)`;
      } else code = `${this.use("ownValue")}(${code}, ${typeof key === "number" ? numberLiteral(key) : stringLiteral(key)})`;
    });
    return code;
  }

  literal(value: unknown): string {
    if (value !== null && typeof value === "object") return this.hoisted.constant("VALUE_", "unknown", valueLiteral(value));
    return valueLiteral(value);
  }

  /** A regex program as a frozen module constant; its code point sets are constants of their own, shared between programs. */
  private program(p: RegexProgram): string {
    const numbers = (xs: readonly number[]) => `[${xs.map(numberLiteral).join(", ")}]`;
    const sets = p.sets.map((r) => this.hoisted.constant("CODE_POINTS_", "readonly number[]", `Object.freeze(${numbers(r)})`));
    const init = `Object.freeze({ ops: Object.freeze(${numbers(p.ops)}), sets: Object.freeze([${sets.join(", ")}]), looks: Object.freeze(${numbers(p.looks)}), regs: Object.freeze(${numbers(p.regs)}), start: ${numberLiteral(p.start)}, anchored: ${p.anchored ? "true" : "false"} })`;
    this.support.add("pyreSearch");
    return this.hoisted.constant("REGEX_", "RegexProgram", init);
  }

  expr(e: Expr): string {
    switch (e.kind) {
      case "const":
        return e.value ? "true" : "false";
      case "and":
      case "or":
        return `(${e.items.map((i) => this.expr(i)).join(e.kind === "and" ? " && " : " || ")})`;
      case "not":
        // Parenthesized: the operand may be a comparison (`!(minute >= 720)`, not `!minute >= 720`).
        return `!(${this.expr(e.item)})`;
      case "compare":
        return this.compare(e.op, this.path(e.path), e.value);
      case "contains":
        if (typeof e.value === "string") {
          const text = stringLiteral(e.value);
          if (this.inline) return this.byType(this.path(e.path), "string", (v) => `${v}.includes(${text})`, (v) => `${this.use("containsOperand")}(${v}, ${text})`);
          return `${this.use("containsText")}(${this.path(e.path)}, ${text})`;
        }
        return `${this.use("containsOperand")}(${this.path(e.path)}, ${this.literal(e.value)})`;
      case "matches": {
        const literal = e.regex.literal;
        if (literal !== undefined && e.operand === "string") return this.stringSearch(this.path(e.path), literal);
        const re = this.program(e.regex.program);
        if (literal !== undefined) {
          // Strings (the usual operand) are searched without the automaton; other values still go through their Python string form.
          if (this.inline) return this.byType(this.path(e.path), "string", (v) => literalSearchCode(v, literal), (v) => `${this.use("pyreMatchesOperand")}(${re}, ${v})`);
          return `${this.use("matchesLiteral")}(${re}, ${this.path(e.path)}, ${stringLiteral(literal.text)}, ${literal.start ? "true" : "false"}, ${numberLiteral(literal.end)})`;
        }
        return `${this.use(e.operand === "string" ? "pyreStringMatches" : "pyreMatchesOperand")}(${re}, ${this.path(e.path)})`;
      }
      case "clock":
        return `${this.minuteOfDay(e.zone)} ${e.op} ${numberLiteral(e.minute)}`;
      case "window":
        return `${this.use("minuteInWindow")}(${this.minuteOfDay(e.zone)}, ${numberLiteral(e.from)}, ${numberLiteral(e.to)})`;
      case "weekday": {
        const days = this.hoisted.constant("DAYS_", "readonly number[]", `Object.freeze([${e.days.map(numberLiteral).join(", ")}])`);
        const time = `${this.local("call")}.time`;
        const weekday = e.zone === "UTC" ? `${this.use("callIsoWeekday")}(${time})` : `${this.use("zonedClock")}(${time}, ${stringLiteral(e.zone)}).weekday`;
        return `${days}.includes(${weekday})`;
      }
      case "semantic": {
        const kw = this.hoisted.constant("KEYWORDS_", "readonly string[]", `Object.freeze([${e.keywords.map(stringLiteral).join(", ")}])`);
        return `${this.use("semanticMatch")}(${kw}, ${this.use("semanticTokens")}(${this.local("tool")}, ${this.local("server")}, ${this.local("args")}))`;
      }
      case "in": {
        const values = this.hoisted.constant("VALUES_", "readonly unknown[]", `Object.freeze([${e.values.map(valueLiteral).join(", ")}])`);
        return `${this.use("inValues")}(${this.path(e.path)}, ${values}, ${e.negated ? "true" : "false"})`;
      }
      case "text":
        return `${this.use("textTest")}(${stringLiteral(e.op)}, ${this.path(e.path)}, ${stringLiteral(e.value)})`;
      case "glob": {
        const test = classifyGlob(e.pattern);
        if (test.kind === "exact") return `${this.path(e.path)} === ${stringLiteral(test.text)}`;
        const literal: LiteralSearch | undefined =
          test.kind === "any" ? { text: "", start: false, end: 0 }
          : test.kind === "prefix" ? { text: test.prefix, start: true, end: 0 }
          : test.kind === "suffix" ? { text: test.suffix, start: false, end: 1 }
          : test.kind === "contains" ? { text: test.text, start: false, end: 0 }
          : undefined;
        if (literal !== undefined) return this.stringSearch(this.path(e.path), literal);
        const source = globRegExpSource(parseGlob(e.pattern));
        const re = this.hoisted.constant("GLOB_", "RegExp", `new RegExp(${stringLiteral(source)}, ${stringLiteral(GLOB_REGEXP_FLAGS)})`);
        return `${this.use("stringMatches")}(${re}, ${this.path(e.path)})`;
      }
      case "exists":
        return `${this.use("existsValue")}(${this.path(e.path)})`;
      case "length":
        return `${this.use("compareOperand")}(${stringLiteral(e.op)}, ${this.use("lengthOf")}(${this.path(e.path)}), ${numberLiteral(e.value)})`;
      case "fails":
        return this.fails(e.item);
    }
  }

  /**
   * Whether Aegis raises on a leaf: a number (for an ordering against a number) or a string (for
   * `in` with a string item) never does, which the inline form tests first; everything else goes
   * through the helper, as in the interpreter.
   */
  private fails(leaf: RaisingLeaf): string {
    const operand = this.path(leaf.path);
    if (leaf.kind === "contains") {
      if (typeof leaf.value === "string" && this.inline) {
        const text = stringLiteral(leaf.value);
        return this.byType(operand, "string", () => "false", (v) => `${this.use("containsFails")}(${v}, ${text})`);
      }
      return `${this.use("containsFails")}(${operand}, ${this.literal(leaf.value)})`;
    }
    if (leaf.op === "==" || leaf.op === "!=") return "false";
    if (typeof leaf.value === "number" && this.inline) {
      const limit = numberLiteral(leaf.value);
      return this.byType(operand, "number", () => "false", (v) => `${this.use("orderingFails")}(${v}, ${limit})`);
    }
    return `${this.use("orderingFails")}(${operand}, ${this.literal(leaf.value)})`;
  }

  /**
   * Comparisons with a number or string literal test the usual operand type inline (see
   * fast-support.ts); anything else goes through Python's rules in compareOperand.
   */
  private compare(op: CompareOp, operand: string, value: Value): string {
    if (typeof value === "number") {
      const fast = { ">": "numberAbove", ">=": "numberAtLeast", "<": "numberBelow", "<=": "numberAtMost", "==": "numberEquals", "!=": undefined }[op];
      if (fast !== undefined && this.inline) {
        const limit = numberLiteral(value);
        return this.byType(operand, "number", (v) => `${v} ${op === "==" ? "===" : op} ${limit}`, (v) => `${this.use("compareOperand")}(${stringLiteral(op)}, ${v}, ${limit})`);
      }
      if (fast !== undefined) return `${this.use(fast)}(${operand}, ${numberLiteral(value)})`;
    } else if (typeof value === "string") {
      // Python's == between a string and anything but an equal string is false, so === says it all.
      if (op === "==") return `${operand} === ${stringLiteral(value)}`;
      if (op === "!=") return `${this.use("differsFromText")}(${operand}, ${stringLiteral(value)})`;
    }
    return `${this.use("compareOperand")}(${stringLiteral(op)}, ${operand}, ${this.literal(value)})`;
  }

  private stringSearch(operand: string, literal: LiteralSearch): string {
    if (this.inline) return this.byType(operand, "string", (v) => literalSearchCode(v, literal), () => "false");
    return `${this.use("stringMatchesLiteral")}(${operand}, ${stringLiteral(literal.text)}, ${literal.start ? "true" : "false"}, ${numberLiteral(literal.end)})`;
  }

  /** The call's minute of the day in a zone; UTC needs no Intl and allocates nothing. */
  private minuteOfDay(zone: string): string {
    const time = `${this.local("call")}.time`;
    return zone === "UTC" ? `${this.use("callMinuteOfDay")}(${time})` : `${this.use("zonedClock")}(${time}, ${stringLiteral(zone)}).minute`;
  }

  /** The full test of a rule, or undefined when it always matches. */
  rule(rule: Rule, testTool: boolean): string | undefined {
    this.temps = 0;
    this.locals = new Set();
    const tool = testTool ? this.glob(classifyGlob(rule.tool.source), "tool") : undefined;
    return conjunction([tool, this.glob(classifyGlob(rule.server.source), "server"), ...this.residualParts(rule)]);
  }

  /** A rule's tool (when `testTool`), server and agent tests, without its conditions, or undefined when it has none. */
  patterns(rule: Rule, testTool: boolean): string | undefined {
    this.temps = 0;
    this.locals = new Set();
    const tool = testTool ? this.glob(classifyGlob(rule.tool.source), "tool") : undefined;
    const agent = rule.agent.source !== "*" ? this.glob(classifyGlob(rule.agent.source), "agent") : undefined;
    return conjunction([tool, this.glob(classifyGlob(rule.server.source), "server"), agent]);
  }

  /** What remains of a rule's test once its tool and server are known to match (agent and conditions), or undefined. */
  residual(rule: Rule): string | undefined {
    this.temps = 0;
    this.locals = new Set();
    return conjunction(this.residualParts(rule));
  }

  /** A rule's conditions alone (its test for a call without an agent id when its agent pattern accepts `*`), or undefined. */
  conditions(rule: Rule): string | undefined {
    this.temps = 0;
    this.locals = new Set();
    return rule.when.kind === "const" && rule.when.value ? undefined : this.expr(rule.when);
  }

  private residualParts(rule: Rule): (string | undefined)[] {
    // Aegis skips the agent test for `*`; `agent` is already the call's agent or "*" when it has none.
    const agent = rule.agent.source !== "*" ? this.glob(classifyGlob(rule.agent.source), "agent") : undefined;
    return [agent, rule.when.kind === "const" && rule.when.value ? undefined : this.expr(rule.when)];
  }
}

export type { LiteralSearch };

/** literalSearch (fast-support.ts) of the string `s` (an expression without side effects), written out for one literal. */
export function literalSearchCode(s: string, literal: LiteralSearch): string {
  const text = literal.text;
  const n = text.length;
  if (literal.end === 0) return literal.start ? startsWithCode(s, text) : `${s}.includes(${stringLiteral(text)})`;
  if (literal.end === 1) return literal.start ? `${s} === ${stringLiteral(text)}` : endsWithCode(s, text, 0);
  // Python's `$` also accepts the text right before a final "\n".
  if (literal.start) return `(${s} === ${stringLiteral(text)} || (${s}.length === ${n + 1} && ${s}.charCodeAt(${n}) === 10 && ${startsWithCode(s, text)}))`;
  return `(${endsWithCode(s, text, 0)} || (${s}.length > ${n} && ${s}.charCodeAt(${s}.length - 1) === 10 && ${endsWithCode(s, text, 1)}))`;
}

/** Literals up to this many UTF-16 units are compared unit by unit, which costs a fraction of a startsWith/endsWith call. */
const UNIT_COMPARE_MAX = 16;

/** `s.startsWith(text)`. */
function startsWithCode(s: string, text: string): string {
  if (text.length === 0) return "true";
  if (text.length > UNIT_COMPARE_MAX) return `${s}.startsWith(${stringLiteral(text)})`;
  const units = Array.from({ length: text.length }, (_, i) => `${s}.charCodeAt(${i}) === ${text.charCodeAt(i)}`);
  return `(${s}.length >= ${text.length} && ${units.join(" && ")})`;
}

/** `s.endsWith(text, s.length - before)`, for `before` 0 or 1 (the caller has checked that `s` is longer than `text` when 1). */
function endsWithCode(s: string, text: string, before: 0 | 1): string {
  const end = before === 0 ? `${s}.length` : `${s}.length - 1`;
  if (text.length === 0) return "true";
  if (text.length > UNIT_COMPARE_MAX) return `${s}.endsWith(${stringLiteral(text)}${before === 0 ? "" : `, ${end}`})`;
  const units = Array.from({ length: text.length }, (_, i) => `${s}.charCodeAt(${s}.length - ${text.length - i + before}) === ${text.charCodeAt(i)}`);
  return before === 0 ? `(${s}.length >= ${text.length} && ${units.join(" && ")})` : `(${units.join(" && ")})`;
}

function conjunction(tests: readonly (string | undefined)[]): string | undefined {
  const parts = tests.filter((t): t is string => t !== undefined);
  return parts.length === 0 ? undefined : parts.map((p) => (parts.length > 1 && p.includes(" ") && !p.startsWith("(") ? `(${p})` : p)).join(" && ");
}
