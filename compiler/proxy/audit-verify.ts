// `aegisc audit verify`: checks the hash chain of JSONL audit files and names the first bad line of each.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { expandPattern } from "../load/expand-pattern.ts";
import { verifyAuditLog, type AuditProblem } from "@aegisc/runtime";

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
  /** The last line's hash: write it down elsewhere to detect a later truncation, which a chain alone cannot. */
  head?: string;
  /** Set when the file could not be read. */
  readError?: string;
}

export async function verifyAuditFiles(patterns: readonly string[], cwd: string): Promise<AuditFileReport[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const matched = await expandPattern(pattern, cwd);
    files.push(...(matched.length > 0 ? matched : [pattern]));
  }
  return Promise.all(files.map((file) => verifyAuditFile(file, cwd)));
}

async function verifyAuditFile(file: string, cwd: string): Promise<AuditFileReport> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const readError = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    return { file, ok: false, lines: 0, valid: 0, problems: 0, readError };
  }
  const result = verifyAuditLog(text);
  const report: AuditFileReport = { file, ok: result.ok, lines: result.lines, valid: result.valid, problems: result.problems.length };
  const first = [...result.problems].sort((a, b) => a.line - b.line)[0];
  if (first) report.firstProblem = first;
  const head = lastHash(text);
  if (head) report.head = head;
  return report;
}

function lastHash(text: string): string | undefined {
  const last = text.trimEnd().split("\n").pop();
  if (!last) return undefined;
  try {
    const hash = (JSON.parse(last) as { hash?: unknown }).hash;
    return typeof hash === "string" ? hash : undefined;
  } catch {
    return undefined;
  }
}

export function renderAuditReports(reports: readonly AuditFileReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    if (r.readError) out.push(`error ${r.file}: cannot read it: ${r.readError}`);
    else if (r.ok) out.push(`ok    ${r.file}: ${r.lines} record${r.lines === 1 ? "" : "s"}, hash chain intact${r.head ? ` (head ${r.head})` : ""}`);
    else {
      const p = r.firstProblem as AuditProblem;
      const more = r.problems > 1 ? ` (${r.problems - 1} more problem${r.problems === 2 ? "" : "s"} after it)` : "";
      out.push(`FAIL  ${r.file}:${p.line}: ${p.message}${more}${p.line > 1 ? `; lines 1-${p.line - 1} verify` : ""}`);
    }
  }
  const bad = reports.filter((r) => !r.ok && !r.readError).length;
  const unreadable = reports.filter((r) => r.readError).length;
  out.push(bad + unreadable === 0 ? `${reports.length} file${reports.length === 1 ? "" : "s"} verified.` : `${bad} file${bad === 1 ? "" : "s"} failed verification${unreadable ? `, ${unreadable} could not be read` : ""}.`);
  return out.join("\n") + "\n";
}
