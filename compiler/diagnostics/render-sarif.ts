// Renders diagnostics as SARIF 2.1.0 for code-scanning UIs (GitHub, VS Code SARIF viewer).

import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { allDiagnosticDefs, type Severity } from "./catalog.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { locate } from "./render-json.ts";
import type { SourceText } from "./source.ts";
import type { Span } from "../ir/span.ts";

export interface SarifOptions {
  readonly toolVersion: string;
  /** Directory that relative paths are relative to; becomes the SRCROOT base. */
  readonly cwd: string;
}

const LEVEL: Readonly<Record<Severity, string>> = { error: "error", warning: "warning", info: "note" };

export function renderDiagnosticsSarif(diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceText>, options: SarifOptions): string {
  // Every code of the catalog, sorted, so rule indices do not depend on what a run found.
  const rules = allDiagnosticDefs().sort((a, b) => a.code.localeCompare(b.code));
  const ruleIndex = new Map(rules.map((r, i) => [r.code, i]));
  const location = (span: Span) => {
    const loc = locate(span, sources);
    const artifactLocation = isAbsolute(span.file)
      ? { uri: pathToFileURL(span.file).href }
      : { uri: span.file.split(/[\\/]/).map(encodeURIComponent).join("/"), uriBaseId: "SRCROOT" };
    return {
      physicalLocation: {
        artifactLocation,
        ...(loc.line !== null
          ? { region: { startLine: loc.line, startColumn: loc.column, endLine: loc.endLine, endColumn: loc.endColumn } }
          : {}),
      },
    };
  };
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "aegisc",
            version: options.toolVersion,
            informationUri: "https://www.npmjs.com/package/aegisc",
            rules: rules.map((r) => ({
              id: r.code,
              name: r.kind,
              shortDescription: { text: r.summary },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(options.cwd.endsWith("/") ? options.cwd : options.cwd + "/").href } },
        columnKind: "utf16CodeUnits",
        results: diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: ruleIndex.get(d.code) ?? -1,
          level: LEVEL[d.severity],
          message: { text: d.hint ? `${d.message} (${d.hint})` : d.message },
          locations: [location(d.span)],
          ...(d.notes ? { relatedLocations: d.notes.map((n, i) => ({ id: i + 1, ...location(n.span), message: { text: n.message } })) } : {}),
          properties: {
            kind: d.kind,
            ...(d.rule !== undefined ? { rule: d.rule } : {}),
            ...(d.others ? { others: d.others } : {}),
            ...(d.witness ? { witness: d.witness } : {}),
          },
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}
