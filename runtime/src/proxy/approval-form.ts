// The MCP elicitation form that asks a human to approve one tool call, and how its answer is read.
import { shownName, shownText } from "../display.ts";
import { ruleDescription } from "../runtime.ts";
import type { ApprovalRequest } from "../types.ts";

const MAX_VALUE_CHARS = 300;
const MAX_ARGS_SHOWN = 20;
const MAX_DESCRIPTION_CHARS = 500;

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
 * Every name and value the client chose is shown escaped and bounded (see shownName), so the
 * message's lines are the form's own; `call.args` is what the human is shown (redacted by the
 * caller where `--redact` says so).
 */
export function approvalForm(request: ApprovalRequest): ApprovalForm {
  const { call, decision, policy } = request;
  const description = ruleDescription(decision, policy);
  const tool = shownName(call.tool);
  const server = shownName(call.server);
  const lines = [
    `Allow the tool call ${tool} on the MCP server ${server}?`,
    "",
    `Policy rule ${shownName(decision.rule)} (risk ${decision.risk}) asks for a human's approval${description ? `: ${shownText(description, MAX_DESCRIPTION_CHARS)}` : "."}`,
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
          description: `Approve or deny ${tool} on ${server}`,
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

/** One line per top-level argument, keys as shownName shows them, values as JSON with unsafe characters escaped, long ones cut. */
export function argumentSummary(args: Record<string, unknown>): string[] {
  const keys = Object.keys(args);
  if (keys.length === 0) return ["Arguments: none"];
  const lines = ["Arguments:"];
  for (const key of keys.slice(0, MAX_ARGS_SHOWN)) lines.push(`  ${shownName(key)}: ${shortJson(args[key])}`);
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
  // JSON escapes C0 controls but not C1 controls, bidi or line separators: shownText does.
  if (text.length <= MAX_VALUE_CHARS) return shownText(text, MAX_VALUE_CHARS);
  return `${shownText(text.slice(0, MAX_VALUE_CHARS), MAX_VALUE_CHARS)}… (${text.length - MAX_VALUE_CHARS} more characters${typeof value === "string" ? `, ${value.length} in all` : ""})`;
}

export type FormAnswer = "approve" | "deny" | "decline" | "cancel";

/** Only an accepted form whose choice is "approve" approves; anything else (deny, decline, dismiss, junk) denies. */
export function readApprovalAnswer(result: { action: string; content?: Record<string, unknown> }): FormAnswer {
  if (result.action === "accept") return result.content?.[DECISION_FIELD] === "approve" ? "approve" : "deny";
  return result.action === "decline" ? "decline" : "cancel";
}
