// The proxy's audit records (the runtime's record plus call id, duration, redaction and how a human answered) and the per-file writer lock.
import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AuditOutcomeRecord, AuditRecord } from "../types.ts";
import type { ApprovalOutcome } from "./approval-desk.ts";
import { redactArgs, type RedactPath } from "./redact.ts";

/**
 * One line of a proxy's audit file (before the chain adds `prev` and `hash`): a refused call's
 * whole record, or a forwarded call's intent (`status: "forwarded"`), whose ProxyOutcomeRecord
 * follows once the server answers.
 */
export interface ProxyAuditRecord extends AuditRecord {
  /** Unique per governed call. */
  id: string;
  /** The JSON-RPC id of the client's tools/call request, to find the call in client logs. */
  requestId?: string | number;
  /** The `--redact` paths that masked a value in `args`. */
  redacted?: string[];
  /** How a human's answer was obtained, for `approve` decisions. */
  via?: ApprovalOutcome["via"];
  /** What that answer was (approve, deny, decline, cancel, timeout, aborted, error, unavailable). */
  answer?: ApprovalOutcome["answer"];
  /** From receiving the call to writing this record, in milliseconds (not in intent records). */
  durationMs?: number;
}

/** How a forwarded call ended, the second of its two records. */
export interface ProxyOutcomeRecord extends AuditOutcomeRecord {
  durationMs: number;
}

export interface CallAuditContext {
  id: string;
  requestId?: string | number;
  /** `performance.now()` when the call arrived. */
  startedAt: number;
  redact: readonly RedactPath[];
  approval?: ApprovalOutcome;
}

/** A refused call's whole record: the runtime's record with the call's own facts added, and the arguments redacted (the policy saw them whole). */
export function proxyAuditRecord(record: AuditRecord, context: CallAuditContext, now: number): ProxyAuditRecord {
  return addProxyAuditOutcome(proxyAuditHead(record, context), record, context, now);
}

/** A forwarded call's intent record: everything known before the server sees the call. */
export function proxyIntentRecord(record: AuditRecord, context: CallAuditContext): ProxyAuditRecord {
  const out = proxyAuditHead(record, context);
  out.status = "forwarded";
  if (record.policy !== undefined) out.policy = record.policy;
  return out;
}

/** A forwarded call's outcome record. */
export function proxyOutcomeRecord(
  intent: { server: string; tool: string },
  outcome: { status: "success" | "failed"; error?: string; policy?: string },
  context: CallAuditContext,
  time: string,
  now: number,
): ProxyOutcomeRecord {
  const record: ProxyOutcomeRecord = { time, id: context.id, phase: "outcome", server: intent.server, tool: intent.tool, status: outcome.status, durationMs: 0 };
  if (outcome.error !== undefined) record.error = outcome.error;
  record.durationMs = Math.round((now - context.startedAt) * 1000) / 1000;
  if (outcome.policy !== undefined) record.policy = outcome.policy;
  return record;
}

/**
 * The leading fields of a call's record, everything up to the outcome (`status` onwards).
 * Only `record`'s fields before `status` are read.
 */
export function proxyAuditHead(record: AuditRecord, context: CallAuditContext): ProxyAuditRecord {
  const { args, redacted } = context.redact.length > 0 ? redactArgs(record.args, context.redact) : { args: record.args, redacted: undefined };
  const { approval } = context;
  // Filled in the order of the audit format's fields (they are serialized in this order), one
  // key at a time: spreading optional parts in cost a copy of the record each.
  const out = { time: record.time, id: context.id } as ProxyAuditRecord;
  if (context.requestId !== undefined) out.requestId = context.requestId;
  out.server = record.server;
  out.tool = record.tool;
  if (record.agent !== undefined) out.agent = record.agent;
  out.args = args;
  if (redacted !== undefined && redacted.length > 0) out.redacted = redacted;
  out.rule = record.rule;
  out.risk = record.risk;
  out.approval = record.approval;
  out.human = record.human;
  if (approval) {
    out.via = approval.via;
    out.answer = approval.answer;
  }
  return out;
}

/** Adds the outcome fields of a whole record (`status` onwards) to `out`, after the head's. */
export function addProxyAuditOutcome<T extends object>(out: T, outcome: Pick<AuditRecord, "status" | "error" | "policy">, context: CallAuditContext, now: number): T & ProxyAuditRecord {
  const record = out as T & ProxyAuditRecord;
  const { approval } = context;
  // A denial's reason says who or what denied it, more precisely than the runtime's generic text.
  const error = outcome.status === "denied" && approval?.reason ? approval.reason : outcome.error;
  record.status = outcome.status;
  if (error !== undefined) record.error = error;
  record.durationMs = Math.round((now - context.startedAt) * 1000) / 1000;
  if (outcome.policy !== undefined) record.policy = outcome.policy;
  return record;
}

/**
 * Claims `<file>.lock` for this process. Two proxies appending to one file would fork its hash
 * chain, which `audit verify` could not tell from tampering; a lock left by a dead process
 * (kill -9) is taken over. Resolves to the release function.
 */
export async function lockAuditFile(file: string, pid: number = process.pid): Promise<() => Promise<void>> {
  const lockPath = `${file}.lock`;
  await mkdir(dirname(lockPath), { recursive: true });
  const claim = () => writeFile(lockPath, `${pid}\n`, { encoding: "utf8", flag: "wx" });
  try {
    await claim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== pid && isAlive(holder)) {
      throw new Error(`${file} is being written by another aegisc proxy (pid ${holder}); give each proxy its own --audit-dir or server name`);
    }
    await unlink(lockPath).catch(() => undefined);
    await claim();
  }
  return async () => {
    const holder = await readFile(lockPath, "utf8").catch(() => "");
    if (holder.trim() === String(pid)) await unlink(lockPath).catch(() => undefined);
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means the file is taken.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
