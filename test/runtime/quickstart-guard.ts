// A hand-written stand-in for the guard aegisc generates from the seed's quickstart policy (combine: strictest).
import type { Decision, PolicyInfo, ToolCall } from "../../runtime/src/index.ts";

export const POLICY: PolicyInfo = Object.freeze({
  hash: "sha256:quickstart-test",
  combine: "strictest",
  rules: Object.freeze([
    { name: "mcp_read", risk: "low", approval: "auto" },
    { name: "mcp_list", risk: "low", approval: "auto" },
    { name: "mcp_write", risk: "medium", approval: "approve", description: "Writes need a human." },
    { name: "mcp_delete", risk: "critical", approval: "block", description: "Deleting files is irreversible." },
    { name: "prod_fs_block", risk: "critical", approval: "block" },
  ]),
});

const rule = (index: number): Decision =>
  Object.freeze({ approval: POLICY.rules[index].approval, risk: POLICY.rules[index].risk, rule: POLICY.rules[index].name, index }) as Decision;
const DEFAULT: Decision = Object.freeze({ approval: "approve", risk: "medium", rule: "<default>", index: -1 });

export function decide(call: ToolCall): Decision {
  // Both block rules are critical; the tie goes to the earlier rule.
  if (call.tool === "delete_file") return rule(3);
  if (call.server === "prod-filesystem") return rule(4);
  if (call.tool === "write_file") return rule(2);
  if (call.tool === "read_file") return rule(0);
  if (call.tool.startsWith("list_")) return rule(1);
  return DEFAULT;
}
