// `aegisc audit verify`: checks the chain of JSONL audit files, names the first bad line of each, and tells tampering from a torn tail.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { expandPattern } from "../load/expand-pattern.ts";
import { verifyAuditLog, type AuditProblem, type AuditVerifyOptions } from "@aegisc/runtime";

export interface AuditFileReport {
  file: string;
  ok: boolean;
  /** Lines in the file (records, valid or not). */
  lines: number;
  /** Lines whose seal and link hold. */
  valid: number;
  /** The first bad line; everything before it verifies. */
  firstProblem?: AuditProblem;
  problems: number;
  /** Every problem is a torn line (a write cut short by a crash), nothing else: `audit repair` moves a torn last line aside. */
  tornOnly?: boolean;
  /** Forwarded calls whose outcome record is missing (the proxy stopped, or the disk filled, before they finished). */
  open?: { line: number; id: string }[];
  /** The last line's hash: write it down elsewhere to detect a later truncation, which a chain alone cannot. */
  head?: string;
  /** The file's length in bytes, with `head` the anchor `--head` checks. */
  bytes?: number;
  /** Set when the file could not be read. */
  readError?: string;
}

export async function verifyAuditFiles(patterns: readonly string[], cwd: string, options: AuditVerifyOptions = {}): Promise<AuditFileReport[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const matched = await expandPattern(pattern, cwd);
    files.push(...(matched.length > 0 ? matched : [pattern]));
  }
  return Promise.all(files.map((file) => verifyAuditFile(file, cwd, options)));
}

async function verifyAuditFile(file: string, cwd: string, options: AuditVerifyOptions): Promise<AuditFileReport> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const readError = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    return { file, ok: false, lines: 0, valid: 0, problems: 0, readError };
  }
  const result = verifyAuditLog(text, options);
  const report: AuditFileReport = { file, ok: result.ok, lines: result.lines, valid: result.valid, problems: result.problems.length };
  const first = result.problems[0];
  if (first) report.firstProblem = first;
  if (result.problems.length > 0 && result.problems.every((p) => p.kind === "torn")) report.tornOnly = true;
  if (result.open) report.open = result.open;
  if (result.head) {
    report.head = result.head.hash;
    report.bytes = result.head.bytes;
  }
  return report;
}

/** 0 every file intact; 1 any tampered with (or cut short of its head); 2 one could not be read; 3 nothing worse than torn lines. */
export function auditExitCode(reports: readonly AuditFileReport[]): number {
  if (reports.some((r) => !r.ok && !r.readError && !r.tornOnly)) return 1;
  if (reports.some((r) => r.readError)) return 2;
  return reports.some((r) => r.tornOnly) ? 3 : 0;
}

export function renderAuditReports(reports: readonly AuditFileReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const open = r.open?.length
      ? `; ${r.open.length} forwarded call${r.open.length === 1 ? " has" : "s have"} no outcome record (line${r.open.length === 1 ? "" : "s"} ${r.open
          .slice(0, 5)
          .map((o) => o.line)
          .join(", ")}${r.open.length > 5 ? ", …" : ""}): the proxy stopped, or the disk filled, before ${r.open.length === 1 ? "it" : "they"} finished`
      : "";
    if (r.readError) out.push(`error ${r.file}: cannot read it: ${r.readError}`);
    else if (r.ok) out.push(`ok    ${r.file}: ${r.lines} record${r.lines === 1 ? "" : "s"}, hash chain intact${r.head ? ` (head ${r.head})` : ""}${open}`);
    else {
      const p = r.firstProblem as AuditProblem;
      const more = r.problems > 1 ? ` (${r.problems - 1} more problem${r.problems === 2 ? "" : "s"} after it)` : "";
      const label = r.tornOnly ? "TORN " : "FAIL ";
      out.push(`${label} ${r.file}:${p.line}: ${p.message}${more}${p.line > 1 ? `; lines 1-${p.line - 1} verify` : ""}${open}`);
    }
  }
  const bad = reports.filter((r) => !r.ok && !r.readError && !r.tornOnly).length;
  const torn = reports.filter((r) => r.tornOnly).length;
  const unreadable = reports.filter((r) => r.readError).length;
  const parts: string[] = [];
  if (bad) parts.push(`${bad} file${bad === 1 ? "" : "s"} failed verification`);
  if (torn) parts.push(`${torn} file${torn === 1 ? " ends" : "s end"} in a torn line, a write cut short by a crash (nothing else wrong; \`aegisc audit repair\` moves a torn last line aside)`);
  if (unreadable) parts.push(`${unreadable} could not be read`);
  out.push(parts.length === 0 ? `${reports.length} file${reports.length === 1 ? "" : "s"} verified.` : `${parts.join(", ")}.`);
  return out.join("\n") + "\n";
}
