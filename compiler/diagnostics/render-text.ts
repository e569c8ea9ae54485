// Renders diagnostics like tsc/esbuild: `file:line:col - error AEG####: message`, then a code frame.

import type { Diagnostic, Witness } from "./diagnostic.ts";
import { lineText, positionAt, type SourceText } from "./source.ts";
import type { Span } from "../ir/span.ts";

export interface TextRenderOptions {
  color?: boolean;
  /** The files of the compiled policy, for the pasteable `aegisc explain` line of a witness; default the finding's file. */
  policyFiles?: readonly string[];
}

/**
 * Notes (each with its code frame) and names on the "rules involved" line shown per diagnostic:
 * a rule that a thousand-rule policy leaves without calls can be covered by hundreds of rules,
 * which would bury every other finding. Past these, the first few and how many more; the JSON
 * and SARIF output keep every one.
 */
export const MAX_NOTES_SHOWN = 6;
export const MAX_RULES_NAMED = 10;

const paint = (on: boolean, code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function renderDiagnosticsText(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, SourceText>,
  options: TextRenderOptions = {},
): string {
  return diagnostics.map((d) => renderOne(d, sources, options)).join("\n");
}

function renderOne(d: Diagnostic, sources: ReadonlyMap<string, SourceText>, options: TextRenderOptions): string {
  const color = options.color === true;
  const red = paint(color, "31");
  const yellow = paint(color, "33");
  const cyan = paint(color, "36");
  const gray = paint(color, "90");
  const sev = d.severity === "error" ? red("error") : d.severity === "warning" ? yellow("warning") : cyan("info");
  const out: string[] = [];
  out.push(`${location(d.span, sources)} - ${sev} ${gray(d.code)}: ${d.message}`);
  const frame = codeFrame(d.span, sources, d.severity === "error" ? red : yellow);
  if (frame) out.push(frame);
  if (d.others && d.others.length > 0) out.push(`  ${cyan("rules involved")}: ${shortList([...(d.rule !== undefined ? [d.rule] : []), ...d.others], MAX_RULES_NAMED)}`);
  if (d.witness) out.push(`  ${cyan("example call")}: aegisc explain ${(options.policyFiles ?? [d.span.file]).map(quoteShell).join(" ")} ${witnessArguments(d.witness)}`);
  if (d.hint) out.push(`  ${cyan("hint")}: ${d.hint}`);
  const notes = d.notes ?? [];
  const shown = notes.length > MAX_NOTES_SHOWN ? MAX_NOTES_SHOWN - 1 : notes.length;
  for (const note of notes.slice(0, shown)) {
    out.push(`  ${location(note.span, sources)} - note: ${note.message}`);
    const noteFrame = codeFrame(note.span, sources, cyan);
    if (noteFrame) out.push(noteFrame);
  }
  if (shown < notes.length) out.push(`  … and ${notes.length - shown} more notes (--format json lists every one)`);
  return out.join("\n") + "\n";
}

/** The first names and how many more, when there are more than `max`. */
function shortList(names: readonly string[], max: number): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max - 1).join(", ")} and ${names.length - (max - 1)} more`;
}

export function location(span: Span, sources: ReadonlyMap<string, SourceText>): string {
  const source = sources.get(span.file);
  if (!source) return span.file;
  const pos = positionAt(source, span.start);
  return `${span.file}:${pos.line}:${pos.column}`;
}

/** A one-line code frame with the span underlined; multi-line spans are underlined to the end of the first line. */
export function codeFrame(span: Span, sources: ReadonlyMap<string, SourceText>, mark: (s: string) => string = (s) => s): string | undefined {
  const source = sources.get(span.file);
  if (!source || source.text.length === 0) return undefined;
  const start = positionAt(source, span.start);
  const end = positionAt(source, span.end);
  const lines: string[] = [];
  const width = String(start.line).length;
  const gutter = (n: number | "") => `${String(n).padStart(width)} | `;
  const text = lineText(source, start.line);
  lines.push(`  ${gutter(start.line)}${expandTabs(text)}`);
  const underlineEnd = end.line === start.line ? end.column : text.length + 1;
  const caretStart = expandTabs(text.slice(0, start.column - 1)).length;
  const caretLen = Math.max(1, expandTabs(text.slice(0, underlineEnd - 1)).length - caretStart);
  lines.push(`  ${gutter("")}${" ".repeat(caretStart)}${mark("~".repeat(caretLen))}`);
  return lines.join("\n");
}

function expandTabs(s: string): string {
  return s.replace(/\t/g, "  ");
}

/** The witness as `aegisc explain` options, quoted for a POSIX shell so it can be pasted. */
export function witnessArguments(w: Witness): string {
  const parts = ["--tool", quoteShell(w.tool), "--server", quoteShell(w.server)];
  if (w.agent !== undefined) parts.push("--agent", quoteShell(w.agent));
  if (w.args !== undefined && Object.keys(w.args).length > 0) parts.push("--args", quoteShell(JSON.stringify(w.args)));
  if (w.time !== undefined) parts.push("--at", quoteShell(w.time));
  return parts.join(" ");
}

export function quoteShell(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
