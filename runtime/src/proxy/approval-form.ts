// The MCP elicitation form that asks a human to approve one tool call, and how its answer is read.
import { ruleDescription } from "../runtime.ts";
import type { ApprovalRequest } from "../types.ts";

const MAX_VALUE_CHARS = 300;
const MAX_ARGS_SHOWN = 20;

/** The choice field of the form; only "approve" lets the call through. */
export const DECISION_FIELD = "decision";

export interface ApprovalForm {
  mode: "form";
  message: string;
  requestedSchema: {
    type: "object";
    properties: Record<string, { type: "string"; title: string; description: string; enum: string[]; enumNames: string[] }>;
    required: string[];
  };
  _meta: Record<string, unknown>;
}

/**
 * A form with one required choice. The call itself is in the message, readable without
 * expanding anything; `_meta["aegisc/call"]` carries it structured for clients that render more.
 * Legacy `enum` + `enumNames` because every client that supports form elicitation accepts it.
 */
export function approvalForm(request: ApprovalRequest): ApprovalForm {
  const { call, decision, policy } = request;
  const description = ruleDescription(decision, policy);
  const lines = [
    `Allow the tool call ${call.tool} on the MCP server ${call.server}?`,
    "",
    `Policy rule ${decision.rule} (risk ${decision.risk}) asks for a human's approval${description ? `: ${description}` : "."}`,
    "",
    ...argumentSummary(call.args ?? {}),
  ];
  return {
    mode: "form",
    message: lines.join("\n"),
    requestedSchema: {
      type: "object",
      properties: {
        [DECISION_FIELD]: {
          type: "string",
          title: "Decision",
          description: `Approve or deny ${call.tool} on ${call.server}`,
          enum: ["approve", "deny"],
          enumNames: ["Approve this call", "Deny it"],
        },
      },
      required: [DECISION_FIELD],
    },
    _meta: {
      "aegisc/call": { server: call.server, tool: call.tool, arguments: call.args ?? {}, rule: decision.rule, risk: decision.risk, ...(policy ? { policy: policy.hash } : {}) },
    },
  };
}

/** One line per top-level argument, values as JSON (so control characters stay escaped), long ones cut. */
export function argumentSummary(args: Record<string, unknown>): string[] {
  const keys = Object.keys(args);
  if (keys.length === 0) return ["Arguments: none"];
  const lines = ["Arguments:"];
  for (const key of keys.slice(0, MAX_ARGS_SHOWN)) lines.push(`  ${key}: ${shortJson(args[key])}`);
  if (keys.length > MAX_ARGS_SHOWN) lines.push(`  … and ${keys.length - MAX_ARGS_SHOWN} more arguments`);
  return lines;
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
  } catch {
    text = "[unserializable]";
  }
  if (text.length <= MAX_VALUE_CHARS) return text;
  const cut = text.slice(0, MAX_VALUE_CHARS);
  return `${cut}… (${text.length - MAX_VALUE_CHARS} more characters${typeof value === "string" ? `, ${value.length} in all` : ""})`;
}

export type FormAnswer = "approve" | "deny" | "decline" | "cancel";

/** Only an accepted form whose choice is "approve" approves; anything else (deny, decline, dismiss, junk) denies. */
export function readApprovalAnswer(result: { action: string; content?: Record<string, unknown> }): FormAnswer {
  if (result.action === "accept") return result.content?.[DECISION_FIELD] === "approve" ? "approve" : "deny";
  return result.action === "decline" ? "decline" : "cancel";
}
