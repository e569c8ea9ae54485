// The proxy's audit records (the runtime's record plus call id, duration, redaction and how a human answered) and the per-file writer lock.
import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AuditRecord, AuditSink } from "../types.ts";
import type { ApprovalOutcome } from "./approval-desk.ts";
import { redactArgs, type RedactPath } from "./redact.ts";

/** One line of a proxy's audit file (before the chain adds `prev` and `hash`). */
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
  /** From receiving the call to writing this record, in milliseconds. */
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

/**
 * An audit sink for one call: it passes the runtime's record on to the shared sink with the
 * call's own facts added, and with the arguments redacted (the policy saw them whole).
 */
export function callAuditSink(shared: AuditSink, context: CallAuditContext, now: () => number = () => performance.now()): AuditSink {
  const sink: AuditSink = {
    write: (record) => shared.write(proxyAuditRecord(record, context, now())),
  };
  if (shared.prepare) sink.prepare = (server) => shared.prepare?.(server);
  return sink;
}

export function proxyAuditRecord(record: AuditRecord, context: CallAuditContext, now: number): ProxyAuditRecord {
  return addProxyAuditOutcome(proxyAuditHead(record, context), record, context, now);
}

/**
 * The leading fields of proxyAuditRecord's record, everything up to the outcome (`status`
 * onwards), which the proxy knows once a call is forwarded: it serializes them then, while the
 * server works (see PresealedRecord). Only `record`'s fields before `status` are read.
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

/** Adds the outcome fields of proxyAuditRecord's record (`status` onwards) to `out`, after the head's. */
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
