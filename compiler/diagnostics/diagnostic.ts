// Diagnostics as values: passes collect them in a bag and never throw.

import type { Span } from "../ir/span.ts";
import type { DiagnosticDef, Severity } from "./catalog.ts";

export interface RelatedNote {
  readonly message: string;
  readonly span: Span;
}

/** An example call that lands where an analysis finding says (pasteable into `aegisc explain`). */
export interface Witness {
  readonly server: string;
  readonly tool: string;
  readonly agent?: string;
  readonly args?: Readonly<Record<string, unknown>>;
  /** ISO 8601 time of the call, when the finding depends on the clock. */
  readonly time?: string;
}

/** Optional facts a diagnostic can carry; analysis findings fill `others` and `witness`. */
export interface DiagnosticExtra {
  hint?: string;
  notes?: RelatedNote[];
  /** The rule the diagnostic is about (its reported name). */
  rule?: string;
  /** Other rules involved, e.g. the rules that shadow `rule`. */
  others?: string[];
  witness?: Witness;
  /** Overrides the catalog's severity (an analysis finding can be milder than its kind's usual one). */
  severity?: Severity;
  /** For analysis findings: "possible" when the finding rests on predicates the analysis cannot decide. */
  certainty?: "proven" | "possible";
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
  readonly rule?: string;
  readonly others?: readonly string[];
  readonly witness?: Witness;
  readonly certainty?: "proven" | "possible";
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(def: DiagnosticDef, message: string, span: Span, extra: DiagnosticExtra = {}): void {
    this.items.push({
      code: def.code,
      kind: def.kind,
      severity: extra.severity ?? def.severity,
      message,
      span,
      ...(extra.hint !== undefined ? { hint: extra.hint } : {}),
      ...(extra.notes && extra.notes.length > 0 ? { notes: extra.notes } : {}),
      ...(extra.rule !== undefined ? { rule: extra.rule } : {}),
      ...(extra.others && extra.others.length > 0 ? { others: extra.others } : {}),
      ...(extra.witness ? { witness: extra.witness } : {}),
      ...(extra.certainty ? { certainty: extra.certainty } : {}),
    });
  }

  /** Number of diagnostics so far; with `attachRule`, tags what a rule's loading reported once its name is known. */
  get size(): number {
    return this.items.length;
  }

  attachRule(fromIndex: number, rule: string): void {
    for (let i = fromIndex; i < this.items.length; i++) {
      if (this.items[i].rule === undefined) this.items[i] = { ...this.items[i], rule };
    }
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
      // Codes are ASCII (AEG####): a plain comparison, not localeCompare, whose first call loads ICU.
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
