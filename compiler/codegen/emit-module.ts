// Emits the guard module (DESIGN.md §2.2) with ts-morph: types, POLICY, frozen decisions and a planned `decide`.

import { IndentationText, NewLineKind, Project, QuoteKind, type CodeBlockWriter } from "ts-morph";
import type { Expr, Path, Policy, Rule } from "../ir/types.ts";
import { classifyGlob, type GlobTest } from "../semantics/glob.ts";
import { commentText, identifier, numberLiteral, stringLiteral, valueLiteral } from "./literals.ts";
import { planDecisions, type Bucket } from "./plan.ts";
import { supportSource } from "./support-source.ts";

export const COMPILER_NAME = "aegisc";
export const COMPILER_VERSION = "0.1.0";

export interface EmitOptions {
  /** Base name used for the in-memory file (`<baseName>.guard.ts`). */
  readonly baseName?: string;
}

/** Module-scope constants (regexes, literal values, keyword lists) hoisted out of `decide`, deduplicated. */
class Hoisted {
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
class ExprEmitter {
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
    let code = path.root === "args" ? "args" : path.root;
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
        return `!${this.expr(e.item)}`;
      case "compare":
        return `${this.use("compareOperand")}(${stringLiteral(e.op)}, ${this.path(e.path)}, ${this.literal(e.value)})`;
      case "contains":
        return `${this.use("containsOperand")}(${this.path(e.path)}, ${this.literal(e.value)})`;
      case "matches": {
        const re = this.hoisted.constant("PATTERN_", "RegExp", `new RegExp(${stringLiteral(e.pattern)}, ${stringLiteral(e.flags)})`);
        return `${this.use("matchesOperand")}(${re}, ${this.path(e.path)})`;
      }
      case "clock":
        return `${this.use("callMinuteOfDay")}(call.time) ${e.op} ${numberLiteral(e.minute)}`;
      case "weekday": {
        const days = this.hoisted.constant("DAYS_", "readonly number[]", `Object.freeze([${e.days.map(numberLiteral).join(", ")}])`);
        return `${days}.includes(${this.use("callIsoWeekday")}(call.time))`;
      }
      case "semantic": {
        const kw = this.hoisted.constant("KEYWORDS_", "readonly string[]", `Object.freeze([${e.keywords.map(stringLiteral).join(", ")}])`);
        return `${this.use("semanticMatch")}(${kw}, ${this.use("semanticTokens")}(tool, server, args))`;
      }
    }
  }

  /** The full test of a rule, or undefined when it always matches. */
  rule(rule: Rule, testTool: boolean): string | undefined {
    const parts: string[] = [];
    const push = (s: string | undefined) => {
      if (s !== undefined) parts.push(s);
    };
    if (testTool) push(this.glob(classifyGlob(rule.tool.source), "tool"));
    push(this.glob(classifyGlob(rule.server.source), "server"));
    // Aegis skips the agent test for `*`; `agent` is already the call's agent or "*" when it has none.
    if (rule.agent.source !== "*") push(this.glob(classifyGlob(rule.agent.source), "agent"));
    if (!(rule.when.kind === "const" && rule.when.value)) push(this.expr(rule.when));
    return parts.length === 0 ? undefined : parts.map((p) => (parts.length > 1 && p.includes(" ") && !p.startsWith("(") ? `(${p})` : p)).join(" && ");
  }
}

const decisionName = (index: number) => identifier(`DECISION_${index}`);

export function emitGuardModule(policy: Policy, options: EmitOptions = {}): string {
  const hoisted = new Hoisted();
  const exprs = new ExprEmitter(hoisted);
  const plan = planDecisions(policy);
  const bucketBodies = plan.buckets.map((b, i) => ({ name: identifier(`decideBucket${i}`), bucket: b }));
  const fallbackName = identifier("decideOtherTools");
  // Bodies first, so the hoisted constants and support functions they need are known before writing the header.
  const renderBucket = (bucket: Bucket): string[] => {
    const lines: string[] = [];
    let closed = false;
    for (const c of bucket.candidates) {
      const test = exprs.rule(c.rule, c.testTool);
      if (test === undefined) {
        lines.push(`return ${decisionName(c.rule.index)};`);
        closed = true;
        break;
      }
      lines.push(`if (${test}) return ${decisionName(c.rule.index)};`);
    }
    if (!closed) lines.push("return DEFAULT_DECISION;");
    return lines;
  };
  const rendered = bucketBodies.map((b) => ({ ...b, lines: renderBucket(b.bucket) }));
  const fallbackLines = renderBucket(plan.fallback);

  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, newLineKind: NewLineKind.LineFeed, quoteKind: QuoteKind.Double },
  });
  const file = project.createSourceFile(`${options.baseName ?? "policy"}.guard.ts`, (w: CodeBlockWriter) => {
    w.writeLine(`// @generated by ${COMPILER_NAME} ${COMPILER_VERSION}. Do not edit: change the policy and rebuild.`);
    w.writeLine(`// Policy hash: ${commentText(policy.hash)}`);
    w.writeLine(`// Sources: ${commentText(policy.files.map((f) => JSON.stringify(f.split(/[\\/]/).pop())).join(", "))}`);
    w.writeLine(`// Combine: ${policy.combine}; ${policy.rules.length} rule(s). No imports: this module runs anywhere.`);
    w.blankLine();
    writeTypes(w);
    writePolicyInfo(w, policy);
    w.writeLine("const DEFAULT_DECISION: Decision = " + decisionLiteral(policy.defaults.approval, policy.defaults.risk, "<default>", -1) + ";");
    w.writeLine(`/** A value that is not a ToolCall (tool or server not a string, args not an object) is blocked. */`);
    w.writeLine("const INVALID_CALL_DECISION: Decision = " + decisionLiteral("block", "critical", "<invalid-call>", -1) + ";");
    w.writeLine(`/** Evaluation failed unexpectedly (e.g. a throwing getter in the arguments): fail closed. */`);
    w.writeLine("const ERROR_DECISION: Decision = " + decisionLiteral("block", "critical", "<error>", -1) + ";");
    for (const rule of policy.rules) {
      w.writeLine(`const ${decisionName(rule.index)}: Decision = ${decisionLiteral(rule.approval, rule.risk, rule.name, rule.index)};`);
    }
    w.writeLine("const EMPTY_ARGS: Record<string, unknown> = Object.freeze({});");
    for (const decl of hoisted.declarations) w.writeLine(decl);
    w.blankLine();
    w.writeLine("/** Decides a tool call. Never throws: malformed calls and failures are blocked. */");
    w.write("export function decide(call: ToolCall): Decision").block(() => {
      w.writeLine("try {").indent(() => w.writeLine("return decideCall(call);"));
      w.writeLine("} catch {").indent(() => w.writeLine("return ERROR_DECISION;"));
      w.writeLine("}");
    });
    w.blankLine();
    w.write("function decideCall(call: ToolCall): Decision").block(() => {
      w.writeLine("if (call === null || typeof call !== \"object\") return INVALID_CALL_DECISION;");
      w.writeLine("const tool: unknown = call.tool;");
      w.writeLine("const server: unknown = call.server;");
      w.writeLine("if (typeof tool !== \"string\" || typeof server !== \"string\") return INVALID_CALL_DECISION;");
      w.writeLine("const rawArgs: unknown = call.args;");
      w.writeLine("if (rawArgs !== undefined && rawArgs !== null && (typeof rawArgs !== \"object\" || Array.isArray(rawArgs))) return INVALID_CALL_DECISION;");
      w.writeLine("const rawAgent: unknown = call.agent;");
      w.writeLine("if (rawAgent !== undefined && rawAgent !== null && typeof rawAgent !== \"string\") return INVALID_CALL_DECISION;");
      w.writeLine("const args = (rawArgs ?? EMPTY_ARGS) as Record<string, unknown>;");
      w.writeLine("// Aegis matches a call without an agent id as the literal agent \"*\".");
      w.writeLine("const agent = typeof rawAgent === \"string\" && rawAgent !== \"\" ? rawAgent : \"*\";");
      if (rendered.length > 0) {
        w.write("switch (tool)").block(() => {
          for (const b of rendered) {
            for (const name of b.bucket.names) w.writeLine(`case ${stringLiteral(name)}:`);
            w.indent().write(`return ${b.name}(tool, server, agent, args, call);`).newLine();
          }
        });
      }
      w.writeLine(`return ${fallbackName}(tool, server, agent, args, call);`);
    });
    const writeBucket = (name: string, lines: string[]) => {
      w.blankLine();
      w.write(`function ${name}(tool: string, server: string, agent: string, args: Record<string, unknown>, call: ToolCall): Decision`).block(() => {
        for (const line of lines) w.writeLine(line);
      });
    };
    for (const b of rendered) writeBucket(b.name, b.lines);
    writeBucket(fallbackName, fallbackLines);
    const support = supportSource(exprs.support);
    if (support.length > 0) {
      w.blankLine();
      w.writeLine("// Run-time helpers, copied from aegisc's semantics/support.ts so that the module has no imports.");
      for (const fn of support) {
        w.blankLine();
        w.write(fn).newLine();
      }
    }
  });
  return file.getFullText();
}

function decisionLiteral(approval: string, risk: string, rule: string, index: number): string {
  return `Object.freeze({ approval: ${stringLiteral(approval)}, risk: ${stringLiteral(risk)}, rule: ${stringLiteral(rule)}, index: ${numberLiteral(index)} })`;
}

function writeTypes(w: CodeBlockWriter): void {
  w.writeLine(`export type Approval = "auto" | "approve" | "block";`);
  w.writeLine(`export type Risk = "low" | "medium" | "high" | "critical";`);
  w.blankLine();
  w.writeLine("export interface ToolCall {");
  w.writeLine("  server: string;");
  w.writeLine("  tool: string;");
  w.writeLine("  args?: Record<string, unknown>;");
  w.writeLine("  agent?: string;");
  w.writeLine("  /** The call's time for clock conditions (UTC); now when absent. */");
  w.writeLine("  time?: Date | number;");
  w.writeLine("}");
  w.blankLine();
  w.writeLine("export interface Decision {");
  w.writeLine("  readonly approval: Approval;");
  w.writeLine("  readonly risk: Risk;");
  w.writeLine(`  /** The deciding rule's name, or "<default>" when no rule matched. */`);
  w.writeLine("  readonly rule: string;");
  w.writeLine("  /** The deciding rule's position in the policy, -1 for the defaults. */");
  w.writeLine("  readonly index: number;");
  w.writeLine("}");
  w.blankLine();
  w.writeLine("export interface RuleInfo {");
  w.writeLine("  readonly name: string;");
  w.writeLine("  readonly description?: string;");
  w.writeLine("  readonly risk: Risk;");
  w.writeLine("  readonly approval: Approval;");
  w.writeLine("  readonly match: { readonly type: string; readonly target: string; readonly agent: string };");
  w.writeLine("}");
  w.blankLine();
  w.writeLine("export interface PolicyInfo {");
  w.writeLine("  readonly hash: string;");
  w.writeLine(`  readonly combine: "strictest" | "first-match";`);
  w.writeLine("  readonly defaults: { readonly risk: Risk; readonly approval: Approval };");
  w.writeLine("  readonly rules: readonly RuleInfo[];");
  w.writeLine("}");
  w.blankLine();
}

function writePolicyInfo(w: CodeBlockWriter, policy: Policy): void {
  w.writeLine("export const POLICY: PolicyInfo = Object.freeze({");
  w.writeLine(`  hash: ${stringLiteral(policy.hash)},`);
  w.writeLine(`  combine: ${stringLiteral(policy.combine)},`);
  w.writeLine(`  defaults: Object.freeze({ risk: ${stringLiteral(policy.defaults.risk)}, approval: ${stringLiteral(policy.defaults.approval)} }),`);
  w.writeLine("  rules: Object.freeze([");
  for (const r of policy.rules) {
    const description = r.description !== undefined ? `, description: ${stringLiteral(r.description)}` : "";
    w.writeLine(
      `    Object.freeze({ name: ${stringLiteral(r.name)}${description}, risk: ${stringLiteral(r.risk)}, approval: ${stringLiteral(r.approval)}, match: Object.freeze({ type: ${stringLiteral(r.tool.source)}, target: ${stringLiteral(r.server.source)}, agent: ${stringLiteral(r.agent.source)} }) }),`,
    );
  }
  w.writeLine("  ]),");
  w.writeLine("});");
  w.blankLine();
}
