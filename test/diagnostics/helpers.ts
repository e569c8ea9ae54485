// Shared helpers for diagnostics tests: compile inline YAML and look at what a diagnostic underlines.
import * as assert from "uvu/assert";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { positionAt } from "../../compiler/diagnostics/source.ts";
import { compileSources, type CompileOptions, type CompileResult } from "../../compiler/pipeline.ts";

export function compile(text: string, path = "policy.yaml", options: CompileOptions = {}): CompileResult {
  return compileSources([{ path, text }], options);
}

export function compileMany(files: Record<string, string>, options: CompileOptions = {}): CompileResult {
  return compileSources(Object.entries(files).map(([path, text]) => ({ path, text })), options);
}

/** The source text a diagnostic's span covers. */
export function underlined(result: CompileResult, d: { span: Diagnostic["span"] }): string {
  const source = result.sources.get(d.span.file);
  assert.ok(source, `no source ${d.span.file}`);
  return source.text.slice(d.span.start, d.span.end);
}

export function position(result: CompileResult, d: { span: Diagnostic["span"] }): string {
  const p = positionAt(result.sources.get(d.span.file)!, d.span.start);
  return `${p.line}:${p.column}`;
}

/** Asserts that exactly one diagnostic has `code` and returns it. */
export function one(result: CompileResult, code: string): Diagnostic {
  const found = result.diagnostics.filter((d) => d.code === code);
  assert.is(found.length, 1, `expected one ${code}, got ${JSON.stringify(result.diagnostics.map((d) => `${d.code} ${d.message}`))}`);
  return found[0];
}

/** Asserts that the only diagnostic is `code`, underlining `text` at `line:column`, and returns it. */
export function only(result: CompileResult, code: string, text: string, lineColumn?: string): Diagnostic {
  assert.is(result.diagnostics.length, 1, `expected only ${code}, got ${JSON.stringify(result.diagnostics.map((d) => `${d.code} ${d.message}`))}`);
  const d = one(result, code);
  assert.is(underlined(result, d), text);
  if (lineColumn) assert.is(position(result, d), lineColumn);
  assert.is(result.policy, d.severity === "error" ? undefined : result.policy);
  return d;
}

export function codes(result: CompileResult): string[] {
  return result.diagnostics.map((d) => d.code);
}
