// Counts for the end of a report: how many errors, warnings and notes, over how many files and rules.

import type { Diagnostic } from "./diagnostic.ts";

export interface ReportSummary {
  readonly files: number;
  /** Rules in the merged policy; null when errors kept the policy from being built. */
  readonly rules: number | null;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
}

export function summarize(diagnostics: readonly Diagnostic[], files: number, rules: number | null): ReportSummary {
  const count = (s: Diagnostic["severity"]) => diagnostics.filter((d) => d.severity === s).length;
  return { files, rules, errors: count("error"), warnings: count("warning"), infos: count("info") };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "2 errors, 1 warning in 1 file" or "No problems in 1 file (5 rules)." */
export function summaryLine(s: ReportSummary): string {
  const parts = [
    s.errors ? plural(s.errors, "error") : "",
    s.warnings ? plural(s.warnings, "warning") : "",
    s.infos ? plural(s.infos, "note") : "",
  ].filter(Boolean);
  const where = `${plural(s.files, "file")}${s.rules !== null && s.errors === 0 ? ` (${plural(s.rules, "rule")})` : ""}`;
  return parts.length === 0 ? `No problems in ${where}.` : `${parts.join(", ")} in ${s.errors === 0 ? where : plural(s.files, "file")}`;
}
