// infer-policy-hash: a sha256 of the canonical policy, so generated modules and audit records name what they enforce.

import { createHash } from "node:crypto";
import type { Expr, Policy } from "../ir/types.ts";
import type { Pass } from "./pass.ts";

export const inferPolicyHash: Pass = {
  name: "infer-policy-hash",
  run(policy) {
    policy.hash = "sha256:" + createHash("sha256").update(canonicalPolicyJson(policy)).digest("hex");
  },
};

/** Everything that can change a decision or a report, without spans or file names. */
export function canonicalPolicyJson(policy: Policy): string {
  return JSON.stringify({
    combine: policy.combine,
    defaults: { risk: policy.defaults.risk, approval: policy.defaults.approval },
    rules: policy.rules.map((r) => ({
      name: r.name,
      description: r.description ?? null,
      tool: r.tool.source,
      server: r.server.source,
      agent: r.agent.source,
      when: stripSpans(r.when),
      risk: r.risk,
      approval: r.approval,
    })),
  });
}

function stripSpans(expr: Expr): unknown {
  return JSON.parse(JSON.stringify(expr, (key, value) => (key === "span" ? undefined : value)));
}
