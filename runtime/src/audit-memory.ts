// An in-memory audit sink, for tests and for hosts that ship records elsewhere themselves.
import type { AuditRecord, AuditSink } from "./types.ts";

export interface MemoryAuditSink extends AuditSink {
  readonly records: AuditRecord[];
}

export function memoryAudit(): MemoryAuditSink {
  const records: AuditRecord[] = [];
  return {
    records,
    write(record) {
      // Outcome records go only to sinks that ask for intents, which this one does not.
      records.push(record as AuditRecord);
    },
  };
}
