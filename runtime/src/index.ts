// Public API of @aegisc/runtime: the host-independent core plus the Node-only terminal approver and JSONL audit.
export * from "./core.ts";
export { terminalApprover, type TerminalApprover, type TerminalApproverOptions } from "./terminal-approver.ts";
export { jsonlAudit, auditFileName, parseAuditHead, type JsonlAuditOptions, type JsonlAuditSink } from "./audit-jsonl.ts";
export {
  verifyAuditLog,
  sealAuditLine,
  GENESIS_HASH,
  type AuditHead,
  type AuditKey,
  type AuditProblem,
  type AuditProblemKind,
  type AuditVerification,
  type AuditVerifyOptions,
} from "./audit-chain.ts";
