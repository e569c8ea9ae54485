// @aegisc/runtime/proxy: the governing stdio MCP proxy. Needs @modelcontextprotocol/sdk (an optional peer of the runtime).
export { startProxy, type ProxyOptions, type ProxyExit, type RunningProxy } from "./proxy.ts";
export type { DownstreamSpec } from "./downstream.ts";
export { LineTransport, type LineOutput, type LineTransportOptions } from "./line-transport.ts";
export { ApprovalDesk, openControllingTerminal, type ApprovalFallback, type ApprovalOutcome, type ApprovalVia, type ApprovalAnswer, type TerminalStreams } from "./approval-desk.ts";
export { approvalForm, argumentSummary, readApprovalAnswer, DECISION_FIELD, type ApprovalForm } from "./approval-form.ts";
export { canonicalJson, approvalKey, RememberedApprovals } from "./approval-binding.ts";
export { proxyAuditRecord, proxyIntentRecord, proxyOutcomeRecord, lockAuditFile, type ProxyAuditRecord, type ProxyOutcomeRecord, type CallAuditContext } from "./proxy-audit.ts";
export { parseRedactPath, redactArgs, REDACTED, type RedactPath, type Redaction } from "./redact.ts";
export { NameRouter, NAME_SEPARATOR, PREFIXABLE_SERVER_NAME } from "./tool-routing.ts";
