// Table-mode bodies for large policies: rule columns, pattern matchers and residual tests read by the indexed engine (table-runtime.ts).

import type CodeBlockWriter from "code-block-writer";
import { APPROVAL_RANK, RISK_RANK, type Policy } from "../ir/types.ts";
import { classifyGlob, compileGlob, globRegExpSource, GLOB_REGEXP_FLAGS, parseGlob } from "../semantics/glob.ts";
import { allLocalParameters, localArguments, localParameters, LOCALS, type ExprEmitter, type Hoisted, type Local } from "./expr-emitter.ts";
import { identifier, numberLiteral, stringLiteral } from "./literals.ts";
import type { ModuleBody } from "./module-body.ts";
import { tableRuntimeSource } from "./support-source.ts";

/** Distinct strings in first-seen order, so ids (and the module's bytes) depend only on the policy. */
class Interned {
  readonly items: string[] = [];
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.items.length;
      this.ids.set(s, id);
      this.items.push(s);
    }
    return id;
  }
}

/**
 * A pattern's matcher literal for the engine's index: `0` exact, `1` any, or [prefix, suffix,
 * full test]. Prefix and suffix are the pattern's leading and trailing literal text (fnmatch
 * literals are the characters as written); the full test is a hoisted RegExp unless the pattern
 * is exactly prefix*suffix.
 */
export function matcherLiteral(pattern: string, hoisted: Hoisted): string {
  const test = classifyGlob(pattern);
  if (test.kind === "exact") {
    // The engine keys exact patterns by their text, which must therefore be the one string they accept.
    if (test.text !== pattern) throw new Error(`exact glob ${JSON.stringify(pattern)} accepts ${JSON.stringify(test.text)}`);
    return "0";
  }
  if (test.kind === "any") return "1";
  const tokens = parseGlob(pattern);
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const prefix = first.t === "lit" ? first.s : "";
  const suffix = tokens.length > 1 && last.t === "lit" ? last.s : "";
  const pure = test.kind === "prefix" || test.kind === "suffix" || test.kind === "prefix-suffix";
  const full = pure ? "null" : hoisted.constant("GLOB_", "RegExp", `new RegExp(${stringLiteral(globRegExpSource(tokens))}, ${stringLiteral(GLOB_REGEXP_FLAGS)})`);
  return `[${stringLiteral(prefix)}, ${stringLiteral(suffix)}, ${full}]`;
}

/** `const name: type = [items];` with items wrapped at about 120 columns, so a 10,000-rule table stays readable in a diff. */
function writeArray(w: CodeBlockWriter, declaration: string, items: readonly string[]): void {
  if (items.length === 0) {
    w.writeLine(`${declaration} = [];`);
    return;
  }
  w.writeLine(`${declaration} = [`);
  let line = "";
  for (const item of items) {
    const next = line.length === 0 ? `${item},` : `${line} ${item},`;
    if (line.length > 0 && next.length > 116) {
      w.writeLine(`  ${line}`);
      line = `${item},`;
    } else line = next;
  }
  w.writeLine(`  ${line}`);
  w.writeLine("];");
}

/**
 * Residual tests per function: one `switch` is the fewest indirect jumps per test, but V8
 * optimizes nothing past 60 KB of bytecode. The usual operand types are tested inline (see
 * ExprEmitter), so a case rarely calls a helper, and 64 cases stay far below that.
 */
export const RESIDUAL_CHUNK = 64;

/** A residual test's code with what it needs from its function: how many temporaries, which locals. */
interface ResidualCode {
  readonly temps: number;
  readonly locals: ReadonlySet<Local>;
}

/** The agent tests and conditions of the rules (shared by rules whose code is identical), by id, as `residualTest(id, …)`. */
function writeResidualTests(w: CodeBlockWriter, codes: readonly string[], needs: ReadonlyMap<string, ResidualCode>): void {
  const localsOf = (from: number, to: number) => new Set(codes.slice(from, to).flatMap((code) => [...(needs.get(code)?.locals ?? [])]));
  const writeSwitch = (from: number, to: number) => {
    // The temporaries the inlined fast paths read operands into (see ExprEmitter).
    const count = Math.max(0, ...codes.slice(from, to).map((code) => needs.get(code)?.temps ?? 0));
    if (count > 0) w.writeLine(`let ${Array.from({ length: count }, (_, i) => `v${i}: unknown`).join(", ")};`);
    w.write("switch (id)").block(() => {
      for (let id = from; id < to; id++) w.writeLine(`case ${numberLiteral(id)}: return ${codes[id]};`);
    });
    w.writeLine("return false;");
  };
  // residualTest has the engine's ResidualTest signature; the locals none of its tests read are named `_local`.
  const entry = (locals: ReadonlySet<Local>) => `function residualTest(${["id: number", ...allLocalParameters(locals)].join(", ")}): boolean`;
  w.blankLine();
  w.writeLine("/** Agent tests and conditions once a rule's tool and server match, by id (shared by the rules whose code is identical). */");
  if (codes.length <= RESIDUAL_CHUNK) {
    w.write(entry(localsOf(0, codes.length))).block(() => writeSwitch(0, codes.length));
    return;
  }
  const chunks = Array.from({ length: Math.ceil(codes.length / RESIDUAL_CHUNK) }, (_, i) => {
    const from = i * RESIDUAL_CHUNK;
    const to = Math.min(codes.length, from + RESIDUAL_CHUNK);
    return { name: identifier(`residualTests${i}`), from, to, locals: localsOf(from, to) };
  });
  w.write(entry(localsOf(0, codes.length))).block(() => {
    w.write(`switch ((id / ${numberLiteral(RESIDUAL_CHUNK)}) | 0)`).block(() => {
      chunks.forEach((c, i) => w.writeLine(`case ${numberLiteral(i)}: return ${c.name}(${["id", ...localArguments(c.locals)].join(", ")});`));
    });
    w.writeLine("return false;");
  });
  for (const c of chunks) {
    w.blankLine();
    w.write(`function ${c.name}(${["id: number", ...localParameters(c.locals)].join(", ")}): boolean`).block(() => writeSwitch(c.from, c.to));
  }
}

/** `entries`: failClosedPolicy(policy) (semantics/fail-closed.ts); its rules are rows in file order, then its fail-closed entries. POLICY lists the rules. */
export function tablesBody(policy: Policy, entries: Policy, exprs: ExprEmitter, hoisted: Hoisted): ModuleBody {
  const tools = new Interned();
  const servers = new Interned();
  const agents = new Interned();
  const residualIds = new Interned();
  const needs = new Map<string, ResidualCode>();
  const residualId = (code: string) => {
    needs.set(code, { temps: exprs.temps, locals: exprs.locals });
    return residualIds.id(code);
  };
  const columns: number[] = [];
  const withoutAgent: number[] = [];
  const rows = [...entries.rules.filter((r) => r.failureOf === undefined), ...entries.rules.filter((r) => r.failureOf !== undefined)];
  for (const [row, rule] of rows.entries()) {
    const residual = exprs.residual(rule);
    columns.push(
      tools.id(rule.tool.source),
      servers.id(rule.server.source),
      agents.id(rule.agent.source),
      APPROVAL_RANK[rule.approval] * 4 + (RISK_RANK[rule.risk] - 1),
      residual === undefined ? -1 : residualId(residual),
    );
    if (rule.agent.source !== "*") {
      // A call without an agent id is matched as the agent `*` (see interpret.ts), which the pattern settles here.
      const conditions = exprs.conditions(rule);
      withoutAgent.push(row, !compileGlob(rule.agent.source).test("*") ? -2 : conditions === undefined ? -1 : residualId(conditions));
    }
  }
  const toolMatchers = tools.items.map((p) => matcherLiteral(p, hoisted));
  const serverMatchers = servers.items.map((p) => matcherLiteral(p, hoisted));
  const failRules = rows.slice(policy.rules.length).map((r) => r.failureOf!);
  const descriptions = policy.rules.filter((r) => r.description !== undefined).map((r) => `[${numberLiteral(r.index)}, ${stringLiteral(r.description!)}]`);
  // Classified names and the outcomes of tool class × server class pairs are remembered; the bounds keep hostile
  // streams of new names from growing memory. Eight outcomes per name leave room for every class meeting several others.
  const memoLimit = 4096 + 2 * (tools.items.length + servers.items.length);
  const outcomeLimit = 8 * memoLimit;

  return {
    description: "indexed tables",
    // The engine takes every local and hands them to residualTest.
    locals: new Set(LOCALS),
    usesDefault: true,
    writePolicy: (w) => {
      w.writeLine(`const APPROVAL_NAMES: readonly Approval[] = ["auto", "approve", "block"];`);
      w.writeLine(`const RISK_NAMES: readonly Risk[] = ["low", "medium", "high", "critical"];`);
      writeArray(w, "const TOOL_PATTERNS: readonly string[]", tools.items.map(stringLiteral));
      writeArray(w, "const SERVER_PATTERNS: readonly string[]", servers.items.map(stringLiteral));
      writeArray(w, "const AGENT_PATTERNS: readonly string[]", agents.items.map(stringLiteral));
      writeArray(w, "const RULE_NAMES: readonly string[]", policy.rules.map((r) => stringLiteral(r.name)));
      w.writeLine("/** Per rule, in file order, then per fail-closed entry: tool, server and agent pattern, outcome (approval rank × 4 + risk rank), residual test or -1. */");
      writeArray(w, "const RULE_COLUMNS: readonly number[]", columns.map(numberLiteral));
      w.writeLine("/** The rule of each fail-closed entry (the rows after the rules): it blocks where that rule's conditions cannot be evaluated (Aegis raises). */");
      writeArray(w, "const FAIL_RULES: readonly number[]", failRules.map(numberLiteral));
      w.writeLine("/** For the rules with an agent pattern: the rule, then its residual test for calls without an agent id (-1 none, -2 never matches). */");
      writeArray(w, "const WITHOUT_AGENT: readonly number[]", withoutAgent.map(numberLiteral));
      if (descriptions.length > 0) {
        w.writeLine(`const RULE_DESCRIPTIONS: ReadonlyMap<number, string> = new Map<number, string>([`);
        for (const d of descriptions) w.writeLine(`  ${d},`);
        w.writeLine("]);");
      }
      w.blankLine();
      w.writeLine("export const POLICY: PolicyInfo = Object.freeze({");
      w.writeLine(`  hash: ${stringLiteral(policy.hash)},`);
      w.writeLine(`  combine: ${stringLiteral(policy.combine)},`);
      w.writeLine(`  defaults: Object.freeze({ risk: ${stringLiteral(policy.defaults.risk)}, approval: ${stringLiteral(policy.defaults.approval)} }),`);
      w.writeLine("  rules: Object.freeze(");
      w.writeLine("    RULE_NAMES.map((name, index): RuleInfo => {");
      w.writeLine("      // Five columns per rule, each a valid index into its list (the compiler wrote them both), hence `!`.");
      w.writeLine("      const base = index * 5;");
      w.writeLine("      const match = Object.freeze({ type: TOOL_PATTERNS[RULE_COLUMNS[base]!]!, target: SERVER_PATTERNS[RULE_COLUMNS[base + 1]!]!, agent: AGENT_PATTERNS[RULE_COLUMNS[base + 2]!]! });");
      w.writeLine("      const outcome = RULE_COLUMNS[base + 3]!;");
      w.writeLine("      const risk = RISK_NAMES[outcome & 3]!;");
      w.writeLine("      const approval = APPROVAL_NAMES[outcome >> 2]!;");
      if (descriptions.length > 0) {
        w.writeLine("      const description = RULE_DESCRIPTIONS.get(index);");
        w.writeLine("      return Object.freeze(description === undefined ? { name, risk, approval, match } : { name, description, risk, approval, match });");
      } else {
        w.writeLine("      return Object.freeze({ name, risk, approval, match });");
      }
      w.writeLine("    }),");
      w.writeLine("  ),");
      w.writeLine("});");
      w.blankLine();
    },
    writeDecisions: (w) => {
      w.writeLine("const DECISIONS: readonly Decision[] = Object.freeze([");
      w.writeLine("  ...POLICY.rules.map((rule, index): Decision => Object.freeze({ approval: rule.approval, risk: rule.risk, rule: rule.name, index })),");
      w.writeLine("  ...FAIL_RULES.map((index): Decision => Object.freeze({ approval: \"block\", risk: POLICY.rules[index]!.risk, rule: POLICY.rules[index]!.name, index, failClosed: true })),");
      w.writeLine("]);");
    },
    writeData: (w) => {
      writeArray(w, "const TOOL_MATCHERS: readonly GlobMatcher[]", toolMatchers);
      writeArray(w, "const SERVER_MATCHERS: readonly GlobMatcher[]", serverMatchers);
      w.writeLine("const TABLES: DecisionTables<Decision, ToolCall> = buildDecisionTables({");
      w.writeLine("  toolPatterns: TOOL_PATTERNS,");
      w.writeLine("  toolMatchers: TOOL_MATCHERS,");
      w.writeLine("  serverPatterns: SERVER_PATTERNS,");
      w.writeLine("  serverMatchers: SERVER_MATCHERS,");
      w.writeLine("  columns: RULE_COLUMNS,");
      w.writeLine("  withoutAgent: WITHOUT_AGENT,");
      w.writeLine("  failRules: FAIL_RULES,");
      w.writeLine("  residualTest,");
      w.writeLine("  decisions: DECISIONS,");
      w.writeLine("  fallback: DEFAULT_DECISION,");
      w.writeLine(`  firstMatch: ${policy.combine === "first-match" ? "true" : "false"},`);
      w.writeLine(`  memoLimit: ${numberLiteral(memoLimit)},`);
      w.writeLine(`  outcomeLimit: ${numberLiteral(outcomeLimit)},`);
      w.writeLine("});");
    },
    writeDispatch: (w) => {
      w.writeLine("return decideIndexed(TABLES, tool, server, agent, args, call);");
    },
    writeFunctions: (w) => {
      writeResidualTests(w, residualIds.items, needs);
      w.blankLine();
      w.writeLine("// The indexed decision engine, copied from aegisc's codegen/table-runtime.ts so that the module has no imports.");
      w.blankLine();
      w.write(tableRuntimeSource()).newLine();
    },
  };
}
