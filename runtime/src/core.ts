// The part of the runtime that needs no host APIs at all (no node:*), for browsers, workers and edge runtimes.
export { Runtime, createGuard, ERROR_DECISION, DENIED_BY_HUMAN, blockMessage, ruleDescription } from "./runtime.ts";
export { denyApprover, callbackApprover } from "./approvers.ts";
export { memoryAudit, type MemoryAuditSink } from "./audit-memory.ts";
export { auditCalls, type AuditCall } from "./audit-calls.ts";
export {
  governMcpToolCall,
  McpToolFilter,
  wrapClient,
  mcpResultError,
  type GovernMcpToolCallParams,
  type McpToolFilterParams,
  type McpClientLike,
  type WrapClientOptions,
  type McpRefusal,
} from "./mcp.ts";
export type * from "./types.ts";
