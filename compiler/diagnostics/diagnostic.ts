// Diagnostics as values: passes collect them in a bag and never throw.

import type { Span } from "../ir/span.ts";
import type { DiagnosticDef, Severity } from "./catalog.ts";

export interface RelatedNote {
  readonly message: string;
  readonly span: Span;
}

export interface Diagnostic {
  readonly code: string;
  readonly kind: string;
  readonly severity: Severity;
  /** One short sentence. */
  readonly message: string;
  readonly span: Span;
  /** A suggestion shown under the code frame ("did you mean …?"). */
  readonly hint?: string;
  readonly notes?: readonly RelatedNote[];
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(def: DiagnosticDef, message: string, span: Span, extra: { hint?: string; notes?: RelatedNote[] } = {}): void {
    this.items.push({
      code: def.code,
      kind: def.kind,
      severity: def.severity,
      message,
      span,
      ...(extra.hint !== undefined ? { hint: extra.hint } : {}),
      ...(extra.notes && extra.notes.length > 0 ? { notes: extra.notes } : {}),
    });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }

  count(severity: Severity): number {
    return this.items.filter((d) => d.severity === severity).length;
  }
}

/** Stable order for output: by file, then position, then code. */
export function sortDiagnostics(list: readonly Diagnostic[], fileOrder: readonly string[]): Diagnostic[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  return [...list].sort(
    (a, b) =>
      (rank.get(a.span.file) ?? 1e9) - (rank.get(b.span.file) ?? 1e9) ||
      a.span.start - b.span.start ||
      a.code.localeCompare(b.code),
  );
}
