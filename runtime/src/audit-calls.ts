// Reads an audit trail's records as calls: a forwarded call's intent and outcome records folded into one.
import type { AuditOutcomeRecord, AuditRecord } from "./types.ts";

/** An audit record as a call: for a forwarded call, its intent with the outcome's status, error and time of the end. */
export type AuditCall<R extends AuditRecord = AuditRecord> = R & {
  /** When the outcome was recorded, for a forwarded call whose outcome record was found. */
  endedAt?: string;
};

/**
 * One entry per call, in the order the calls were recorded. A forwarded call whose outcome
 * record is missing (the proxy stopped, or the disk filled, before it finished) keeps status
 * "forwarded". Outcomes without an intent before them are left out (`audit verify` reports them).
 * The records are not changed; what is folded is copied.
 */
export function auditCalls<R extends AuditRecord>(records: readonly (R | AuditOutcomeRecord)[]): AuditCall<R>[] {
  const calls: AuditCall<R>[] = [];
  const forwarded = new Map<string, AuditCall<R>>();
  for (const record of records) {
    if ((record as AuditOutcomeRecord).phase === "outcome") {
      const outcome = record as AuditOutcomeRecord;
      const intent = forwarded.get(outcome.id);
      if (!intent) continue;
      forwarded.delete(outcome.id);
      intent.status = outcome.status;
      if (outcome.error !== undefined) intent.error = outcome.error;
      if (outcome.durationMs !== undefined) (intent as { durationMs?: number }).durationMs = outcome.durationMs;
      intent.endedAt = outcome.time;
      continue;
    }
    const call = { ...(record as R) } as AuditCall<R>;
    if (call.status === "forwarded" && typeof call.id === "string") forwarded.set(call.id, call);
    calls.push(call);
  }
  return calls;
}
