// normalize-when: parses each rule's `when:` expression, type-checks it with carets inside the YAML file, and lowers it into the expression IR.

import type { ExprAst, Located, OperandAst, PathAst, ValueAst } from "../../grammar/ast.ts";
import { parseWhen } from "../../grammar/to-ast.ts";
import { Diagnostics, type DiagnosticDef } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import { span, type Span } from "../ir/span.ts";
import type { CompareOp, Expr, Path, Value, WhenSource } from "../ir/types.ts";
import { didYouMean } from "../load/suggest.ts";
import { compilePythonRegex, WHEN_REGEX_FLAGS } from "../semantics/python-regex.ts";
import type { Pass } from "./pass.ts";

export const ROOTS = ["tool", "server", "agent", "args", "time", "weekday"] as const;
export const FUNCTIONS = ["exists", "len"] as const;
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
/** Regexes longer than this are refused: they are hard to review and to analyse. */
export const MAX_WHEN_REGEX_LENGTH = 1000;
/** String literals longer than this are refused (they would be copied into every generated module). */
export const MAX_WHEN_STRING_LENGTH = 10_000;

const ORDERING = new Set(["<", "<=", ">", ">="]);
const COMPARISONS = new Set(["==", "!=", "<", "<=", ">", ">="]);

class Lowering {
  ok = true;
  constructor(
    private readonly source: WhenSource,
    private readonly bag: DiagnosticBag,
    private readonly zone: string,
  ) {}

  /** The file span of expression offsets [start, end). */
  at(node: Located): Span {
    const o = this.source.offsets;
    const last = Math.max(node.start, node.end - 1);
    const start = o[Math.min(node.start, o.length - 1)];
    const end = node.end > node.start ? o[Math.min(last, o.length - 1)] + 1 : start + 1;
    return span(this.source.span.file, start, end);
  }

  report(def: DiagnosticDef, message: string, node: Located, hint?: string): undefined {
    this.ok = false;
    this.bag.add(def, message, this.at(node), hint ? { hint } : {});
    return undefined;
  }

  expr(ast: ExprAst): Expr | undefined {
    const s = this.at(ast);
    switch (ast.kind) {
      case "group":
        return this.expr(ast.inner);
      case "not": {
        const item = this.expr(ast.operand);
        return item && { kind: "not", item, span: s };
      }
      case "and":
      case "or": {
        const items = ast.operands.map((o) => this.expr(o));
        if (items.some((i) => i === undefined)) return undefined;
        return { kind: ast.kind, items: items as Expr[], span: s };
      }
      case "predicate":
        return this.predicate(ast);
    }
  }

  private text(node: Located): string {
    return this.source.text.slice(node.start, node.end);
  }

  /** A path as the IR sees it; reports unknown roots and fields on scalar roots. */
  private path(p: PathAst): Path | undefined {
    if (!(ROOTS as readonly string[]).includes(p.root)) {
      const hint = didYouMean(p.root, ROOTS);
      return this.report(Diagnostics.whenUnknownName, `Unknown name \`${p.root}\`: paths start with tool, server, agent, args, time or weekday.`, { start: p.start, end: p.rootEnd }, hint);
    }
    if (p.root !== "args" && p.segments.length > 0) {
      return this.report(Diagnostics.whenUnknownName, `\`${p.root}\` has no fields.`, { start: p.rootEnd, end: p.end }, p.root === "tool" || p.root === "server" ? "arguments are under `args`, e.g. `args.path`" : undefined);
    }
    if (p.root === "time" || p.root === "weekday") return { root: "args", keys: [] }; // handled by the callers
    return { root: p.root as Path["root"], keys: p.segments.map((s) => s.key) };
  }

  private literal(v: ValueAst, context: string): Value | undefined {
    switch (v.kind) {
      case "string":
        if (v.value.length > MAX_WHEN_STRING_LENGTH) return this.report(Diagnostics.whenType, `This string is ${v.value.length} characters long; the limit is ${MAX_WHEN_STRING_LENGTH}.`, v);
        return v.value;
      case "number":
        return v.value;
      case "boolean":
        return v.value;
      case "null":
        return null;
      case "list": {
        const items = v.items.map((i) => this.literal(i, context));
        return items.some((i) => i === undefined) ? undefined : (items as Value[]);
      }
      case "path":
        return this.report(Diagnostics.whenType, `${context} takes a value, not the path \`${this.text(v)}\`.`, v, `quote it if you meant the string: "${this.text(v)}"`);
    }
  }

  private minutes(v: ValueAst | undefined): number | undefined {
    if (!v || v.kind !== "string") return this.report(Diagnostics.whenType, "`time` compares with a time of day written \"HH:MM\".", v ?? { start: 0, end: this.source.text.length });
    const m = /^([01]?[0-9]|2[0-3]):([0-5][0-9])$/.exec(v.value);
    if (!m) return this.report(Diagnostics.whenInvalidTime, `\`${v.value}\` is not a valid time: write "HH:MM" with hours 0-23 and minutes 0-59.`, v);
    return Number(m[1]) * 60 + Number(m[2]);
  }

  private weekdayOf(v: ValueAst): number | undefined {
    const name = v.kind === "path" && v.segments.length === 0 ? v.root : v.kind === "string" ? v.value : undefined;
    if (name === undefined) return this.report(Diagnostics.whenType, "Weekdays are written mon, tue, wed, thu, fri, sat or sun.", v);
    const i = (WEEKDAYS as readonly string[]).indexOf(name.toLowerCase());
    if (i < 0) return this.report(Diagnostics.whenUnknownName, `Unknown weekday \`${name}\`.`, v, didYouMean(name.toLowerCase(), WEEKDAYS) ?? "use mon, tue, wed, thu, fri, sat or sun");
    return i + 1;
  }

  private predicate(ast: Extract<ExprAst, { kind: "predicate" }>): Expr | undefined {
    const s = this.at(ast);
    const left = ast.left;
    if (left.kind === "call") return this.call(left, ast);
    if (!ast.op) {
      return this.report(Diagnostics.whenSyntax, `\`${this.text(left)}\` needs an operator to be a condition.`, left, `for example \`${this.text(left)} == true\` or \`exists(${this.text(left)})\``);
    }
    const op = ast.op.text;
    if (left.root === "time") return this.timePredicate(ast, op, s);
    if (left.root === "weekday") return this.weekdayPredicate(ast, op, s);
    const path = this.path(left);
    if (!path) return undefined;
    const stringRoot = path.root !== "args";
    const what = `\`${this.text(left)}\``;
    if (op === "matches") return this.regex(ast, path, s);
    if (op === "in") {
      const list = ast.right!;
      if (list.kind !== "list") return this.report(Diagnostics.whenType, "`in` takes a list: `in [\"a\", \"b\"]`.", list);
      const values = this.literal(list, "`in`") as Value[] | undefined;
      if (!values) return undefined;
      if (stringRoot && values.every((v) => typeof v !== "string") && !ast.negated) return this.report(Diagnostics.whenNeverHolds, `${what} is a string, so it is never in a list without strings.`, list);
      return { kind: "in", path, values, negated: ast.negated === true, span: s };
    }
    const right = ast.right!;
    if (op === "startsWith" || op === "endsWith" || op === "glob") {
      if (right.kind !== "string") return this.report(Diagnostics.whenType, `\`${op}\` takes a string.`, right);
      if (right.value.length > MAX_WHEN_STRING_LENGTH) return this.literal(right, op) as undefined;
      return op === "glob" ? { kind: "glob", path, pattern: right.value, span: s } : { kind: "text", op, path, value: right.value, span: s };
    }
    const value = this.literal(right, `\`${op}\``);
    if (value === undefined) return undefined;
    if (op === "contains") {
      if (stringRoot && typeof value !== "string") return this.report(Diagnostics.whenNeverHolds, `${what} is a string, so it never contains ${JSON.stringify(value)}.`, right);
      return { kind: "contains", path, value, span: s };
    }
    if (!COMPARISONS.has(op)) return this.report(Diagnostics.whenSyntax, `\`${op}\` is not an operator here.`, ast.op);
    if (ORDERING.has(op)) {
      if (typeof value !== "number") {
        const numeric = typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value));
        return this.report(Diagnostics.whenType, `\`${op}\` compares numbers, but ${JSON.stringify(value)} is ${typeof value === "string" ? "a string" : value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`}.`, right, numeric ? `remove the quotes: ${value}` : undefined);
      }
      if (stringRoot) return this.report(Diagnostics.whenType, `${what} is a string; \`${op}\` compares numbers.`, ast.op);
    } else if (stringRoot && typeof value !== "string") {
      if (op === "==") return this.report(Diagnostics.whenNeverHolds, `${what} is a string, so it never equals ${JSON.stringify(value)}.`, right);
    }
    return { kind: "compare", op: op as CompareOp, path, value, span: s };
  }

  private call(call: Extract<OperandAst, { kind: "call" }>, ast: Extract<ExprAst, { kind: "predicate" }>): Expr | undefined {
    const s = this.at(ast);
    const nameAt = { start: call.start, end: call.nameEnd };
    if (!(FUNCTIONS as readonly string[]).includes(call.name)) {
      return this.report(Diagnostics.whenUnknownName, `Unknown function \`${call.name}\`: the functions are exists and len.`, nameAt, didYouMean(call.name, FUNCTIONS));
    }
    const arg = call.argument;
    if (!arg || arg.kind !== "path") return this.report(Diagnostics.whenType, `\`${call.name}\` takes a path such as \`args.items\`.`, arg ?? call);
    if (arg.root !== "args") return this.report(Diagnostics.whenType, `\`${call.name}\` applies to argument paths (args.…), not \`${arg.root}\`.`, arg);
    const path = this.path(arg);
    if (!path) return undefined;
    if (call.name === "exists") {
      if (ast.op) return this.report(Diagnostics.whenSyntax, "`exists(…)` is already a condition; it takes no operator.", ast.op);
      return { kind: "exists", path, span: s };
    }
    if (!ast.op) return this.report(Diagnostics.whenSyntax, "`len(…)` needs a comparison: `len(args.items) > 3`.", call);
    const op = ast.op.text;
    if (!COMPARISONS.has(op)) return this.report(Diagnostics.whenType, `\`len(…)\` is a number; \`${op}\` does not apply.`, ast.op);
    const right = ast.right!;
    if (right.kind !== "number") return this.report(Diagnostics.whenType, "`len(…)` compares with a number.", right);
    const n = right.value;
    const never = (op === "<" && n <= 0) || (op === "<=" && n < 0) || (op === "==" && (n < 0 || !Number.isInteger(n)));
    if (never) return this.report(Diagnostics.whenNeverHolds, `A length is a whole number of 0 or more, so \`${this.text(ast)}\` never holds.`, ast);
    return { kind: "length", op: op as CompareOp, path, value: n, span: s };
  }

  private timePredicate(ast: Extract<ExprAst, { kind: "predicate" }>, op: string, s: Span): Expr | undefined {
    const zone = this.zone;
    if (op === "between") {
      const from = this.minutes(ast.from);
      const to = this.minutes(ast.to);
      if (from === undefined || to === undefined) return undefined;
      if (from === to) return this.report(Diagnostics.whenNeverHolds, "This window is empty: it starts where it ends.", ast);
      return { kind: "window", from, to, zone, span: s };
    }
    if (!COMPARISONS.has(op)) return this.report(Diagnostics.whenType, `\`time\` is a time of day; use a comparison or \`between "HH:MM" and "HH:MM"\`, not \`${op}\`.`, ast.op!);
    const m = this.minutes(ast.right);
    if (m === undefined) return undefined;
    switch (op) {
      case ">=":
        return { kind: "clock", op: ">=", minute: m, zone, span: s };
      case "<":
        return { kind: "clock", op: "<", minute: m, zone, span: s };
      case ">":
        return { kind: "clock", op: ">=", minute: m + 1, zone, span: s };
      case "<=":
        return { kind: "clock", op: "<", minute: m + 1, zone, span: s };
      case "==":
        return { kind: "window", from: m, to: m + 1, zone, span: s };
      default:
        return { kind: "not", item: { kind: "window", from: m, to: m + 1, zone, span: s }, span: s };
    }
  }

  private weekdayPredicate(ast: Extract<ExprAst, { kind: "predicate" }>, op: string, s: Span): Expr | undefined {
    const zone = this.zone;
    let days: number[] | undefined;
    let negated = false;
    if (op === "in") {
      const list = ast.right!;
      if (list.kind !== "list") return this.report(Diagnostics.whenType, "`weekday in` takes a list: `weekday in [sat, sun]`.", list);
      const parsed = list.items.map((i) => this.weekdayOf(i));
      if (parsed.some((d) => d === undefined)) return undefined;
      days = parsed as number[];
      negated = ast.negated === true;
    } else if (op === "==" || op === "!=") {
      const d = this.weekdayOf(ast.right!);
      if (d === undefined) return undefined;
      days = [d];
      negated = op === "!=";
    } else return this.report(Diagnostics.whenType, `\`weekday\` is a day name; use \`==\`, \`!=\`, \`in\` or \`not in\`, not \`${op}\`.`, ast.op!);
    const set = [...new Set(days)].sort();
    const expr: Expr = { kind: "weekday", days: set, zone, span: s };
    return negated ? { kind: "not", item: expr, span: s } : expr;
  }

  private regex(ast: Extract<ExprAst, { kind: "predicate" }>, path: Path, s: Span): Expr | undefined {
    const r = ast.regex!;
    if (r.source.length > MAX_WHEN_REGEX_LENGTH) return this.report(Diagnostics.whenRegex, `This regex is ${r.source.length} characters long; the limit is ${MAX_WHEN_REGEX_LENGTH}.`, r);
    const badFlag = [...r.flags].find((f) => WHEN_REGEX_FLAGS[f] === undefined);
    if (badFlag) return this.report(Diagnostics.whenRegex, `The regex flag \`${badFlag}\` is not supported; use i, m, s, x or a (Python's flags).`, r);
    const flags = [...new Set(r.flags)].reduce((acc, f) => acc | WHEN_REGEX_FLAGS[f], 0);
    const tr = compilePythonRegex(r.source, flags);
    if (!tr.ok) {
      // The caret goes under the offending character: the pattern starts one character after the opening slash.
      const at = tr.limit ? r : { start: r.start + 1 + tr.offset, end: r.start + 2 + tr.offset };
      return tr.limit
        ? this.report(Diagnostics.whenRegex, `aegisc cannot match this regex in linear time: ${tr.message}.`, at, "see the README's list of regex limits")
        : this.report(Diagnostics.whenRegex, `Invalid regex: ${tr.message}.`, at);
    }
    return { kind: "matches", path, regex: tr.regex, written: `/${r.source}/${r.flags}`, operand: "string", span: s };
  }
}

export const normalizeWhen: Pass = {
  name: "normalize-when",
  run(policy, { diagnostics }) {
    for (const rule of policy.rules) {
      if (!rule.whenSource) continue;
      const expr = lowerWhen(rule.whenSource, diagnostics, policy.timezone);
      if (!expr) continue;
      // A rule with both `conditions` and `when` needs both.
      rule.when = rule.when.kind === "const" && rule.when.value ? expr : { kind: "and", items: [rule.when, expr], span: rule.span };
    }
  },
};

function lowerWhen(source: WhenSource, bag: DiagnosticBag, zone: string): Expr | undefined {
  const lowering = new Lowering(source, bag, zone);
  const parsed = parseWhen(source.text);
  if (!parsed.ast) {
    for (const p of parsed.problems) lowering.report(Diagnostics.whenSyntax, p.message, p);
    return undefined;
  }
  const expr = lowering.expr(parsed.ast);
  return lowering.ok ? expr : undefined;
}
