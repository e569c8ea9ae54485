// Turns rule tests (globs, agent, conditions) into TypeScript expressions; constants they need are hoisted to module scope.

import type { Expr, Path, Rule } from "../ir/types.ts";
import { classifyGlob, globRegExpSource, GLOB_REGEXP_FLAGS, parseGlob, type GlobTest } from "../semantics/glob.ts";
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

/** Emits expressions over the locals of a bucket function: tool, server, agent, args, call. */
export class ExprEmitter {
  readonly support = new Set<string>();
  constructor(private readonly hoisted: Hoisted) {}

  use(name: string): string {
    this.support.add(name);
    return name;
  }

  glob(test: GlobTest, subject: string): string | undefined {
    switch (test.kind) {
      case "any":
        return undefined;
      case "exact":
        return `${subject} === ${stringLiteral(test.text)}`;
      case "prefix":
        return `${subject}.startsWith(${stringLiteral(test.prefix)})`;
      case "suffix":
        return `${subject}.endsWith(${stringLiteral(test.suffix)})`;
      case "prefix-suffix":
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
    let code = path.root === "agent" ? `(call.agent ?? "")` : path.root;
    for (const key of path.keys) code = `${this.use("ownValue")}(${code}, ${typeof key === "number" ? numberLiteral(key) : stringLiteral(key)})`;
    return code;
  }

  literal(value: unknown): string {
    if (value !== null && typeof value === "object") return this.hoisted.constant("VALUE_", "unknown", valueLiteral(value));
    return valueLiteral(value);
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
        return `${this.use("compareOperand")}(${stringLiteral(e.op)}, ${this.path(e.path)}, ${this.literal(e.value)})`;
      case "contains":
        return `${this.use("containsOperand")}(${this.path(e.path)}, ${this.literal(e.value)})`;
      case "matches": {
        const re = this.hoisted.constant("PATTERN_", "RegExp", `new RegExp(${stringLiteral(e.pattern)}, ${stringLiteral(e.flags)})`);
        return `${this.use(e.operand === "string" ? "stringMatches" : "matchesOperand")}(${re}, ${this.path(e.path)})`;
      }
      case "clock":
        return `${this.minuteOfDay(e.zone)} ${e.op} ${numberLiteral(e.minute)}`;
      case "window":
        return `${this.use("minuteInWindow")}(${this.minuteOfDay(e.zone)}, ${numberLiteral(e.from)}, ${numberLiteral(e.to)})`;
      case "weekday": {
        const days = this.hoisted.constant("DAYS_", "readonly number[]", `Object.freeze([${e.days.map(numberLiteral).join(", ")}])`);
        const weekday = e.zone === "UTC" ? `${this.use("callIsoWeekday")}(call.time)` : `${this.use("zonedClock")}(call.time, ${stringLiteral(e.zone)}).weekday`;
        return `${days}.includes(${weekday})`;
      }
      case "semantic": {
        const kw = this.hoisted.constant("KEYWORDS_", "readonly string[]", `Object.freeze([${e.keywords.map(stringLiteral).join(", ")}])`);
        return `${this.use("semanticMatch")}(${kw}, ${this.use("semanticTokens")}(tool, server, args))`;
      }
      case "in": {
        const values = this.hoisted.constant("VALUES_", "readonly unknown[]", `Object.freeze([${e.values.map(valueLiteral).join(", ")}])`);
        return `${this.use("inValues")}(${this.path(e.path)}, ${values}, ${e.negated ? "true" : "false"})`;
      }
      case "text":
        return `${this.use("textTest")}(${stringLiteral(e.op)}, ${this.path(e.path)}, ${stringLiteral(e.value)})`;
      case "glob": {
        const source = globRegExpSource(parseGlob(e.pattern));
        const re = this.hoisted.constant("GLOB_", "RegExp", `new RegExp(${stringLiteral(source)}, ${stringLiteral(GLOB_REGEXP_FLAGS)})`);
        return `${this.use("stringMatches")}(${re}, ${this.path(e.path)})`;
      }
      case "exists":
        return `${this.use("existsValue")}(${this.path(e.path)})`;
      case "length":
        return `${this.use("compareOperand")}(${stringLiteral(e.op)}, ${this.use("lengthOf")}(${this.path(e.path)}), ${numberLiteral(e.value)})`;
    }
  }

  /** The call's minute of the day in a zone; UTC needs no Intl and allocates nothing. */
  private minuteOfDay(zone: string): string {
    return zone === "UTC" ? `${this.use("callMinuteOfDay")}(call.time)` : `${this.use("zonedClock")}(call.time, ${stringLiteral(zone)}).minute`;
  }

  /** The full test of a rule, or undefined when it always matches. */
  rule(rule: Rule, testTool: boolean): string | undefined {
    const tool = testTool ? this.glob(classifyGlob(rule.tool.source), "tool") : undefined;
    return conjunction([tool, this.glob(classifyGlob(rule.server.source), "server"), ...this.residualParts(rule)]);
  }

  /** What remains of a rule's test once its tool and server are known to match (agent and conditions), or undefined. */
  residual(rule: Rule): string | undefined {
    return conjunction(this.residualParts(rule));
  }

  private residualParts(rule: Rule): (string | undefined)[] {
    // Aegis skips the agent test for `*`; `agent` is already the call's agent or "*" when it has none.
    const agent = rule.agent.source !== "*" ? this.glob(classifyGlob(rule.agent.source), "agent") : undefined;
    const when = rule.when.kind === "const" && rule.when.value ? undefined : this.expr(rule.when);
    return [agent, when];
  }
}

function conjunction(tests: readonly (string | undefined)[]): string | undefined {
  const parts = tests.filter((t): t is string => t !== undefined);
  return parts.length === 0 ? undefined : parts.map((p) => (parts.length > 1 && p.includes(" ") && !p.startsWith("(") ? `(${p})` : p)).join(" && ");
}
