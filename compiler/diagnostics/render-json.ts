// Renders diagnostics and analysis findings as the stable JSON of `aegisc check --format json`.

import type { Span } from "../ir/span.ts";
import type { Diagnostic, Witness } from "./diagnostic.ts";
import { positionAt, type SourceText } from "./source.ts";
import type { ReportSummary } from "./summary.ts";

/** A place in a file; line and column are 1-based, the end is exclusive; null when the file could not be read. */
export interface JsonLocation {
  readonly file: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly endLine: number | null;
  readonly endColumn: number | null;
}

export interface JsonNote extends JsonLocation {
  readonly message: string;
}

export interface JsonFinding extends JsonLocation {
  readonly kind: string;
  readonly severity: Diagnostic["severity"];
  readonly code: string;
  readonly rule?: string;
  readonly others?: readonly string[];
  readonly witness?: Witness;
  readonly certainty?: "proven" | "possible";
  readonly message: string;
  readonly hint?: string;
  readonly notes?: readonly JsonNote[];
}

export interface JsonReport {
  readonly findings: readonly JsonFinding[];
  readonly summary: ReportSummary;
}

export function locate(span: Span, sources: ReadonlyMap<string, SourceText>): JsonLocation {
  const source = sources.get(span.file);
  if (!source) return { file: span.file, line: null, column: null, endLine: null, endColumn: null };
  const start = positionAt(source, span.start);
  const end = positionAt(source, span.end);
  return { file: span.file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/** Keys in a fixed order, optional keys only when present, so that output diffs cleanly. */
export function toJsonFinding(d: Diagnostic, sources: ReadonlyMap<string, SourceText>): JsonFinding {
  return {
    kind: d.kind,
    severity: d.severity,
    code: d.code,
    ...(d.rule !== undefined ? { rule: d.rule } : {}),
    ...(d.others ? { others: d.others } : {}),
    ...(d.witness ? { witness: d.witness } : {}),
    ...(d.certainty ? { certainty: d.certainty } : {}),
    ...locate(d.span, sources),
    message: d.message,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
    ...(d.notes ? { notes: d.notes.map((n) => ({ ...locate(n.span, sources), message: n.message })) } : {}),
  };
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceText>, summary: ReportSummary): JsonReport {
  return { findings: diagnostics.map((d) => toJsonFinding(d, sources)), summary };
}

export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceText>, summary: ReportSummary): string {
  return JSON.stringify(diagnosticsToJson(diagnostics, sources, summary), null, 2) + "\n";
}
