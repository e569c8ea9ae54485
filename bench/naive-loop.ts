// The baseline a guard is measured against: a first-match loop over the rules with one RegExp per glob.

import { evalExpr, precedenceOrder, type Decision, type ToolCall } from "../compiler/interpret.ts";
import type { Expr, Policy } from "../compiler/ir/types.ts";
import { compileGlob } from "../compiler/semantics/glob.ts";

interface NaiveRule {
  readonly tool: RegExp;
  readonly server: RegExp;
  /** Null for `*`, which Aegis does not test. */
  readonly agent: RegExp | null;
  readonly when: Expr | null;
  readonly decision: Decision;
}

/**
 * What a straightforward engine does: walk the rules in precedence order (file order, or
 * strictest first), test each glob with its RegExp and the conditions with the interpreter's
 * evaluator, return the first match. Decides well-formed calls exactly as the interpreter does.
 */
export function naiveLoop(policy: Policy): (call: ToolCall) => Decision {
  const rules: NaiveRule[] = precedenceOrder(policy).map((i) => {
    const r = policy.rules[i];
    return {
      tool: compileGlob(r.tool.source),
      server: compileGlob(r.server.source),
      agent: r.agent.source === "*" ? null : compileGlob(r.agent.source),
      when: r.when.kind === "const" && r.when.value ? null : r.when,
      decision: Object.freeze({ approval: r.approval, risk: r.risk, rule: r.name, index: r.index }),
    };
  });
  const fallback: Decision = Object.freeze({ approval: policy.defaults.approval, risk: policy.defaults.risk, rule: "<default>", index: -1 });
  return (call) => {
    const agent = call.agent ?? "";
    for (const rule of rules) {
      if (!rule.tool.test(call.tool) || !rule.server.test(call.server)) continue;
      if (rule.agent !== null && !rule.agent.test(agent === "" ? "*" : agent)) continue;
      if (rule.when !== null && !evalExpr(rule.when, { tool: call.tool, server: call.server, agent, args: call.args ?? {}, time: call.time })) continue;
      return rule.decision;
    }
    return fallback;
  };
}
