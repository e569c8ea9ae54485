// The reference interpreter: decides a call straight from the IR. It is the oracle that generated modules are tested against.

import type { Approval, Expr, Path, Policy, Risk, Rule } from "./ir/types.ts";
import { APPROVAL_RANK, RISK_RANK } from "./ir/types.ts";
import { compileGlob } from "./semantics/glob.ts";
import {
  compareOperand,
  containsOperand,
  existsValue,
  inValues,
  lengthOf,
  minuteInWindow,
  ownValue,
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
}

/** A call that is not a ToolCall (no string tool or server, non-object args) is blocked, never thrown on. */
export const INVALID_CALL_DECISION: Decision = Object.freeze({ approval: "block", risk: "critical", rule: "<invalid-call>", index: -1 });

export interface RuleTrace {
  readonly name: string;
  readonly index: number;
  readonly matched: boolean;
  /** Why the rule matched or which test failed, in one sentence. */
  readonly why: string;
  /** Whether the rule decided the call (the winner under the combine mode). */
  readonly decided: boolean;
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
  }
}

function ruleMatches(rule: Rule, env: Env): boolean {
  return (
    globMatches(rule.tool.source, env.tool) &&
    globMatches(rule.server.source, env.server) &&
    agentMatches(rule.agent.source, env.agent) &&
    evalExpr(rule.when, env)
  );
}

/** Whether a rule's globs and conditions match a call (ignoring precedence); false for malformed calls. */
export function ruleMatchesCall(rule: Rule, call: ToolCall): boolean {
  try {
    const env = toEnv(call);
    return env !== undefined && ruleMatches(rule, env);
  } catch {
    return false;
  }
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

/** The first rule in precedence order (of all rules, or of those given), other than `skip`, that matches; else the defaults. */
function firstMatch(policy: Policy, env: Env, skip: number, among?: readonly number[]): Decision {
  let order = among ?? orderCache.get(policy);
  if (!order) orderCache.set(policy, (order = precedenceOrder(policy)));
  for (const i of order) {
    const rule = policy.rules[i];
    if (i !== skip && ruleMatches(rule, env)) return { approval: rule.approval, risk: rule.risk, rule: rule.name, index: rule.index };
  }
  return { approval: policy.defaults.approval, risk: policy.defaults.risk, rule: "<default>", index: -1 };
}

/** Decides a call and says, for every rule in file order, whether it matched and why. */
export function explain(policy: Policy, call: ToolCall): Explanation {
  const decision = decide(policy, call);
  const env = toEnv(call);
  const rules = policy.rules.map((rule): RuleTrace => {
    const why = env ? whyNot(rule, env) : "the call is malformed";
    const matched = env !== undefined && why === undefined;
    return {
      name: rule.name,
      index: rule.index,
      matched,
      decided: decision.index === rule.index,
      why: matched ? matchedReason(rule, policy, decision) : why!,
    };
  });
  return { decision, rules };
}

function whyNot(rule: Rule, env: Env): string | undefined {
  if (!globMatches(rule.tool.source, env.tool)) return `tool ${JSON.stringify(env.tool)} does not match ${JSON.stringify(rule.tool.source)}`;
  if (!globMatches(rule.server.source, env.server)) return `server ${JSON.stringify(env.server)} does not match ${JSON.stringify(rule.server.source)}`;
  if (!agentMatches(rule.agent.source, env.agent))
    return `agent ${JSON.stringify(env.agent === "" ? "*" : env.agent)}${env.agent === "" ? " (no agent)" : ""} does not match ${JSON.stringify(rule.agent.source)}`;
  const failed = firstFailing(rule.when, env);
  return failed ? `condition ${failed} is false` : undefined;
}

function firstFailing(expr: Expr, env: Env): string | undefined {
  if (expr.kind === "and") {
    for (const item of expr.items) {
      const f = firstFailing(item, env);
      if (f) return f;
    }
    return undefined;
  }
  return evalExpr(expr, env) ? undefined : describeExpr(expr);
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
  }
}

function matchedReason(rule: Rule, policy: Policy, decision: Decision): string {
  const what = `matches (${rule.approval}, ${rule.risk})`;
  if (decision.index === rule.index) return policy.combine === "first-match" ? `${what}; first matching rule, decides` : `${what}; strictest matching rule, decides`;
  const winner = policy.rules[decision.index];
  if (!winner) return what;
  return policy.combine === "first-match" ? `${what}, but ${winner.name} comes first` : `${what}, but ${winner.name} is stricter or earlier`;
}
