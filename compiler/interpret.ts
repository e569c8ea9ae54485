// The reference interpreter: decides a call straight from the IR. It is the oracle that generated modules are tested against.

import type { Approval, Expr, Path, Policy, RaisingLeaf, Risk, Rule, Value } from "./ir/types.ts";
import { APPROVAL_RANK, RISK_RANK } from "./ir/types.ts";
import { ruleFailure } from "./semantics/fail-closed.ts";
import { compileGlob } from "./semantics/glob.ts";
import {
  compareOperand,
  containsFails,
  containsOperand,
  existsValue,
  inValues,
  lengthOf,
  minuteInWindow,
  orderingFails,
  ownValue,
  pyCompare,
  pyContains,
  semanticMatch,
  semanticTokens,
  pyreMatchesOperand,
  pyreStringMatches,
  stringMatches,
  textTest,
  zonedClock,
} from "./semantics/support.ts";

export interface ToolCall {
  server: string;
  tool: string;
  args?: Record<string, unknown>;
  agent?: string;
  time?: Date | number;
}

export interface Decision {
  readonly approval: Approval;
  readonly risk: Risk;
  readonly rule: string;
  readonly index: number;
  /** Present when the rule's conditions cannot be evaluated on the call (Aegis raises): the rule blocks it, fail-closed. */
  readonly failClosed?: true;
}

/** A call that is not a ToolCall (no string tool or server, non-object args) is blocked, never thrown on. */
export const INVALID_CALL_DECISION: Decision = Object.freeze({ approval: "block", risk: "critical", rule: "<invalid-call>", index: -1 });

export interface RuleTrace {
  readonly name: string;
  readonly index: number;
  readonly matched: boolean;
  /** Why the rule matched, which test was false, or which condition cannot be evaluated, in one sentence. */
  readonly why: string;
  /** Whether the rule decided the call (the winner under the combine mode). */
  readonly decided: boolean;
  /** Present when the rule's conditions cannot be evaluated on the call (Aegis raises): where it is reached, it blocks. */
  readonly failed?: true;
}

export interface Explanation {
  readonly decision: Decision;
  readonly rules: readonly RuleTrace[];
}

/** Rule indices in the order in which the first match decides: file order, or strictest first. */
export function precedenceOrder(policy: Policy): number[] {
  const order = policy.rules.map((r) => r.index);
  if (policy.combine === "first-match") return order;
  const rules = policy.rules;
  return order.sort(
    (a, b) =>
      APPROVAL_RANK[rules[b].approval] - APPROVAL_RANK[rules[a].approval] ||
      RISK_RANK[rules[b].risk] - RISK_RANK[rules[a].risk] ||
      a - b,
  );
}

/**
 * What is tested, in order: each rule at its place (it decides when it matches, and blocks when
 * its conditions fail), and in strictest, for every non-block rule that can fail, a test of its
 * failure alone at the place of a block rule of its risk (`failOnly`), which comes first.
 */
interface Slot {
  readonly rule: number;
  readonly failOnly: boolean;
}

const slotCache = new WeakMap<Policy, readonly Slot[] | null>();

/** The slots in precedence order, or null when no slot tests a failure alone (then the rule order is all). */
function failOnlySlots(policy: Policy): readonly Slot[] | null {
  let slots = slotCache.get(policy);
  if (slots !== undefined) return slots;
  slots = null;
  if (policy.combine !== "first-match" && policy.rules.some((r) => r.approval !== "block" && ruleFailure(r))) {
    const rules = policy.rules;
    const all: Slot[] = [];
    for (const r of rules) {
      all.push({ rule: r.index, failOnly: false });
      if (r.approval !== "block" && ruleFailure(r)) all.push({ rule: r.index, failOnly: true });
    }
    const approval = (s: Slot) => APPROVAL_RANK[s.failOnly ? "block" : rules[s.rule].approval];
    all.sort((a, b) => approval(b) - approval(a) || RISK_RANK[rules[b.rule].risk] - RISK_RANK[rules[a.rule].risk] || a.rule - b.rule);
    slots = all;
  }
  slotCache.set(policy, slots);
  return slots;
}

interface Env {
  readonly tool: string;
  readonly server: string;
  readonly agent: string;
  readonly args: Record<string, unknown>;
  readonly time: unknown;
  tokens?: Set<string>;
}

const globCache = new Map<string, RegExp>();

function cachedGlob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) globCache.set(pattern, (re = compileGlob(pattern)));
  return re;
}

function globMatches(pattern: string, text: string): boolean {
  return cachedGlob(pattern).test(text);
}

/** Aegis's agent rule: `*` skips the check; an empty agent id is matched as the literal string `*`. */
function agentMatches(pattern: string, agent: string): boolean {
  return pattern === "*" || globMatches(pattern, agent === "" ? "*" : agent);
}

function toEnv(call: unknown): Env | undefined {
  if (call === null || typeof call !== "object") return undefined;
  const c = call as Record<string, unknown>;
  const args = c.args;
  if (typeof c.tool !== "string" || typeof c.server !== "string") return undefined;
  if (args !== undefined && args !== null && (typeof args !== "object" || Array.isArray(args))) return undefined;
  if (c.agent !== undefined && c.agent !== null && typeof c.agent !== "string") return undefined;
  return {
    tool: c.tool,
    server: c.server,
    agent: typeof c.agent === "string" ? c.agent : "",
    args: (args ?? {}) as Record<string, unknown>,
    time: c.time,
  };
}

function resolvePath(path: Path, env: Env): unknown {
  let v: unknown = path.root === "args" ? env.args : env[path.root];
  for (const k of path.keys) v = ownValue(v, k);
  return v;
}

export function evalExpr(expr: Expr, env: Env): boolean {
  switch (expr.kind) {
    case "const":
      return expr.value;
    case "and":
      return expr.items.every((e) => evalExpr(e, env));
    case "or":
      return expr.items.some((e) => evalExpr(e, env));
    case "not":
      return !evalExpr(expr.item, env);
    case "compare":
      return compareOperand(expr.op, resolvePath(expr.path, env), expr.value);
    case "contains":
      return containsOperand(resolvePath(expr.path, env), expr.value);
    case "matches": {
      // The compiled program decides, as in generated modules; literal fast paths there must agree with it (tested).
      const actual = resolvePath(expr.path, env);
      return expr.operand === "string" ? pyreStringMatches(expr.regex.program, actual) : pyreMatchesOperand(expr.regex.program, actual);
    }
    case "clock": {
      const minute = zonedClock(env.time, expr.zone).minute;
      return expr.op === ">=" ? minute >= expr.minute : minute < expr.minute;
    }
    case "window":
      return minuteInWindow(zonedClock(env.time, expr.zone).minute, expr.from, expr.to);
    case "weekday":
      return expr.days.includes(zonedClock(env.time, expr.zone).weekday);
    case "in":
      return inValues(resolvePath(expr.path, env), expr.values, expr.negated);
    case "text":
      return textTest(expr.op, resolvePath(expr.path, env), expr.value);
    case "glob":
      return stringMatches(cachedGlob(expr.pattern), resolvePath(expr.path, env));
    case "exists":
      return existsValue(resolvePath(expr.path, env));
    case "length":
      return compareOperand(expr.op, lengthOf(resolvePath(expr.path, env)), expr.value);
    case "semantic":
      env.tokens ??= semanticTokens(env.tool, env.server, env.args);
      return semanticMatch(expr.keywords, env.tokens);
    case "fails":
      return leafFails(expr.item, env);
  }
}

function leafFails(leaf: RaisingLeaf, env: Env): boolean {
  const actual = resolvePath(leaf.path, env);
  if (leaf.kind === "contains") return containsFails(actual, leaf.value);
  return leaf.op !== "==" && leaf.op !== "!=" && orderingFails(actual, leaf.value);
}

/** A rule's conditions cannot be evaluated (Aegis raises). */
const FAILS = "fails";
type Outcome = boolean | typeof FAILS;

/** An expression evaluated the Aegis way: conjunctions left to right, stopping at the first false item or the first leaf that raises. */
function evalAegis(expr: Expr, env: Env): Outcome {
  if (expr.kind === "and") {
    for (const item of expr.items) {
      const r = evalAegis(item, env);
      if (r !== true) return r;
    }
    return true;
  }
  if ((expr.kind === "compare" || expr.kind === "contains") && expr.raises && leafFails(expr, env)) return FAILS;
  return evalExpr(expr, env);
}

/** Whether a rule matches a call, does not, or cannot tell because its conditions fail. */
function ruleOutcome(rule: Rule, env: Env): Outcome {
  if (!globMatches(rule.tool.source, env.tool) || !globMatches(rule.server.source, env.server) || !agentMatches(rule.agent.source, env.agent)) return false;
  return evalAegis(rule.when, env);
}

/** Whether a rule's globs and conditions match a call (ignoring precedence); false for malformed calls and where its conditions fail. */
export function ruleMatchesCall(rule: Rule, call: ToolCall): boolean {
  try {
    const env = toEnv(call);
    return env !== undefined && ruleOutcome(rule, env) === true;
  } catch {
    return false;
  }
}

/** Whether a rule's globs match a call and its conditions cannot be evaluated on it (Aegis raises), so that the rule blocks it where it is reached. */
export function ruleFailsOnCall(rule: Rule, call: ToolCall): boolean {
  try {
    const env = toEnv(call);
    return env !== undefined && ruleOutcome(rule, env) === FAILS;
  } catch {
    return false;
  }
}

/**
 * The decision a rule gives when it matches: its own, or for a fail-closed entry its rule's block.
 * An entry keeps its own index: only the analysis decides over entries (failClosedPolicy), and it
 * tells rules apart by index; it names the entry's rule when it reports.
 */
function decisionOf(rule: Rule): Decision {
  if (rule.failureOf !== undefined) return failDecision(rule);
  return { approval: rule.approval, risk: rule.risk, rule: rule.name, index: rule.index };
}

/** The block a rule gives where its conditions cannot be evaluated: its name, index and risk. */
function failDecision(rule: Rule): Decision {
  return { approval: "block", risk: rule.risk, rule: rule.name, index: rule.index, failClosed: true };
}

const orderCache = new WeakMap<Policy, number[]>();

/** A call whose evaluation failed unexpectedly (e.g. a throwing getter in its arguments) is blocked. */
export const ERROR_DECISION: Decision = Object.freeze({ approval: "block", risk: "critical", rule: "<error>", index: -1 });

export function decide(policy: Policy, call: ToolCall): Decision {
  return decideWithout(policy, call, -1);
}

/** What the policy would decide on a call if rule `skip` were removed (-1: none; the analysis's test of redundancy). */
export function decideWithout(policy: Policy, call: ToolCall, skip: number): Decision {
  try {
    const env = toEnv(call);
    return env ? firstMatch(policy, env, skip) : INVALID_CALL_DECISION;
  } catch {
    return ERROR_DECISION;
  }
}

/**
 * What the policy decides on a call when only the given rules (in precedence order) can match
 * it, skipping `skip`: the analysis checks its witnesses this way, since a call of a rule's
 * region can match only the rules whose tool and server patterns meet that rule's.
 */
export function decideAmong(policy: Policy, call: ToolCall, order: readonly number[], skip = -1): Decision {
  try {
    const env = toEnv(call);
    return env ? firstMatch(policy, env, skip, order) : INVALID_CALL_DECISION;
  } catch {
    return ERROR_DECISION;
  }
}

/** The first rule in precedence order (of all rules, or of those given), other than `skip`, that matches or fails; else the defaults. */
function firstMatch(policy: Policy, env: Env, skip: number, among?: readonly number[]): Decision {
  const slots = failOnlySlots(policy);
  if (slots) {
    const allowed = among && new Set(among);
    for (const slot of slots) {
      if (slot.rule === skip || (allowed && !allowed.has(slot.rule))) continue;
      const rule = policy.rules[slot.rule];
      const r = ruleOutcome(rule, env);
      if (r === FAILS) return failDecision(rule);
      if (r && !slot.failOnly) return decisionOf(rule);
    }
  } else {
    let order = among ?? orderCache.get(policy);
    if (!order) orderCache.set(policy, (order = precedenceOrder(policy)));
    for (const i of order) {
      if (i === skip) continue;
      const rule = policy.rules[i];
      const r = ruleOutcome(rule, env);
      if (r === FAILS) return failDecision(rule);
      if (r) return decisionOf(rule);
    }
  }
  return { approval: policy.defaults.approval, risk: policy.defaults.risk, rule: "<default>", index: -1 };
}

/** Decides a call and says, for every rule in file order, whether it matched and why. */
export function explain(policy: Policy, call: ToolCall): Explanation {
  const decision = decide(policy, call);
  const env = toEnv(call);
  const rules = policy.rules.map((rule): RuleTrace => {
    const problem = env ? whyNot(rule, env) : { why: "the call is malformed", fails: false };
    const trace = { name: rule.name, index: rule.index, decided: decision.index === rule.index };
    if (!problem) return { ...trace, matched: true, why: matchedReason(rule, policy, decision) };
    return problem.fails ? { ...trace, matched: false, failed: true, why: failedReason(rule, policy, decision, problem.why) } : { ...trace, matched: false, why: problem.why };
  });
  return { decision, rules };
}

/** Why a rule does not match: a test that is false, or (`fails`) a condition that cannot be evaluated. */
function whyNot(rule: Rule, env: Env): { why: string; fails: boolean } | undefined {
  const no = (why: string) => ({ why, fails: false });
  if (!globMatches(rule.tool.source, env.tool)) return no(`tool ${JSON.stringify(env.tool)} does not match ${JSON.stringify(rule.tool.source)}`);
  if (!globMatches(rule.server.source, env.server)) return no(`server ${JSON.stringify(env.server)} does not match ${JSON.stringify(rule.server.source)}`);
  if (!agentMatches(rule.agent.source, env.agent))
    return no(`agent ${JSON.stringify(env.agent === "" ? "*" : env.agent)}${env.agent === "" ? " (no agent)" : ""} does not match ${JSON.stringify(rule.agent.source)}`);
  return firstFailing(rule.when, env);
}

function firstFailing(expr: Expr, env: Env): { why: string; fails: boolean } | undefined {
  if (expr.kind === "and") {
    for (const item of expr.items) {
      const f = firstFailing(item, env);
      if (f) return f;
    }
    return undefined;
  }
  const r = evalAegis(expr, env);
  if (r === FAILS) return { why: `condition ${describeExpr(expr)} cannot be evaluated: ${raiseReason(expr as RaisingLeaf, resolvePath((expr as RaisingLeaf).path, env))}`, fails: true };
  return r ? undefined : { why: `condition ${describeExpr(expr)} is false`, fails: false };
}

/** Python's name for the type of a JSON-like value, as its TypeError messages say it. */
function pythonType(v: unknown): string {
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? "int" : "float";
  if (Array.isArray(v)) return "list";
  if (v === null) return "NoneType";
  return typeof v === "object" ? "dict" : typeof v;
}

/** Why Python raises on a leaf, in the words of its TypeError. */
function raiseReason(leaf: RaisingLeaf, actual: unknown): string {
  if (leaf.kind === "compare") {
    const inner = (a: unknown, b: unknown): [unknown, unknown] => {
      // A list comparison raises on the first pair of items that differ.
      if (Array.isArray(a) && Array.isArray(b)) for (let i = 0; i < Math.min(a.length, b.length); i++) if (pyCompare(a[i], b[i]) !== 0) return inner(a[i], b[i]);
      return [a, b];
    };
    const [a, b] = inner(actual, leaf.value as Value);
    return `Python cannot order ${pythonType(a)} against ${pythonType(b)} (Aegis raises TypeError)`;
  }
  const item = leaf.value;
  if (typeof actual === "string") return `Python's \`in\` on a str needs a str, not ${pythonType(item)} (Aegis raises TypeError)`;
  if (pyContains(actual, item) === undefined && actual !== null && typeof actual === "object") return `a ${pythonType(item)} cannot be a dict key (Aegis raises TypeError: unhashable type)`;
  return `Python's \`in\` needs a container, not ${pythonType(actual)} (Aegis raises TypeError)`;
}

function failedReason(rule: Rule, policy: Policy, decision: Decision, why: string): string {
  if (decision.index === rule.index) return `${why}; fail-closed, so the rule blocks the call`;
  const winner = policy.rules[decision.index];
  if (!winner) return `${why}; the rule would block the call`;
  return `${why}; the rule would block the call, but ${winner.name} ${policy.combine === "first-match" ? "comes first" : "is stricter or earlier"}`;
}

export const WEEKDAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export function describeExpr(expr: Expr): string {
  const path = (p: Path) => [p.root, ...p.keys.map((k) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`))].join("").replace(/\.\[/g, "[");
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  switch (expr.kind) {
    case "const":
      return String(expr.value);
    case "and":
    case "or":
      return expr.items.map(describeExpr).join(` ${expr.kind} `);
    case "not":
      return `not (${describeExpr(expr.item)})`;
    case "compare":
      return `${path(expr.path)} ${expr.op} ${JSON.stringify(expr.value)}`;
    case "contains":
      return `${path(expr.path)} contains ${JSON.stringify(expr.value)}`;
    case "matches":
      return `${path(expr.path)} matches ${JSON.stringify(expr.written)}`;
    case "clock":
      return `${expr.zone} time ${expr.op} ${hhmm(expr.minute)}`;
    case "window":
      return `${expr.zone} time between ${hhmm(expr.from)} and ${hhmm(expr.to)}`;
    case "weekday":
      return `weekday in [${expr.days.map((d) => WEEKDAY_NAMES[d - 1]).join(", ")}]${expr.zone === "UTC" ? "" : ` (${expr.zone})`}`;
    case "in":
      return `${path(expr.path)} ${expr.negated ? "not in" : "in"} ${JSON.stringify(expr.values)}`;
    case "text":
      return `${path(expr.path)} ${expr.op} ${JSON.stringify(expr.value)}`;
    case "glob":
      return `${path(expr.path)} glob ${JSON.stringify(expr.pattern)}`;
    case "exists":
      return `exists(${path(expr.path)})`;
    case "length":
      return `len(${path(expr.path)}) ${expr.op} ${expr.value}`;
    case "semantic":
      return `semantic ${JSON.stringify(expr.text)}`;
    case "fails":
      return `(${describeExpr(expr.item)} cannot be evaluated)`;
  }
}

function matchedReason(rule: Rule, policy: Policy, decision: Decision): string {
  const what = `matches (${rule.approval}, ${rule.risk})`;
  if (decision.index === rule.index) return policy.combine === "first-match" ? `${what}; first matching rule, decides` : `${what}; strictest matching rule, decides`;
  const winner = policy.rules[decision.index];
  if (!winner) return what;
  return policy.combine === "first-match" ? `${what}, but ${winner.name} comes first` : `${what}, but ${winner.name} is stricter or earlier`;
}
