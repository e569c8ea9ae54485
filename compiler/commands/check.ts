// `aegisc check`: compile and analyse policy files, then report every diagnostic and finding as text, JSON or SARIF.

import type { Combine } from "../ir/types.ts";
import { compileFiles } from "../compile-files.ts";
import { renderDiagnosticsJson } from "../diagnostics/render-json.ts";
import { renderDiagnosticsSarif } from "../diagnostics/render-sarif.ts";
import { renderDiagnosticsText } from "../diagnostics/render-text.ts";
import { summarize, summaryLine } from "../diagnostics/summary.ts";
import { COMPILER_VERSION } from "../version.ts";
import { EXIT, useColor, type CliIo } from "./io.ts";

export interface CheckOptions {
  format: "text" | "json" | "sarif";
  combine?: Combine;
  maxWarnings?: number;
  analysisLimit?: number;
}

export async function runCheck(globs: readonly string[], opts: CheckOptions, io: CliIo, color: boolean): Promise<number> {
  const analysisLimit = opts.analysisLimit === undefined ? {} : { analysisLimit: opts.analysisLimit === 0 ? Infinity : opts.analysisLimit };
  const result = await compileFiles(globs, { cwd: io.cwd, analyze: true, ...analysisLimit, ...(opts.combine ? { combine: opts.combine } : {}) });
  const summary = summarize(result.diagnostics, result.files.length, result.policy ? result.policy.rules.length : null);
  const tooManyWarnings = opts.maxWarnings !== undefined && summary.warnings > opts.maxWarnings;
  const warningLimit = `Too many warnings (${summary.warnings}, maximum ${opts.maxWarnings}).`;
  if (opts.format === "json") {
    io.stdout.write(renderDiagnosticsJson(result.diagnostics, result.sources, summary));
    if (tooManyWarnings) io.stderr.write(`aegisc: ${warningLimit}\n`);
  } else if (opts.format === "sarif") {
    io.stdout.write(renderDiagnosticsSarif(result.diagnostics, result.sources, { toolVersion: COMPILER_VERSION, cwd: io.cwd }));
    if (tooManyWarnings) io.stderr.write(`aegisc: ${warningLimit}\n`);
  } else {
    const text = renderDiagnosticsText(result.diagnostics, result.sources, { color: useColor(io, io.stdout, color), policyFiles: result.files });
    io.stdout.write(`${text}${text ? "\n" : ""}${summaryLine(summary)}\n${tooManyWarnings ? warningLimit + "\n" : ""}`);
  }
  if (result.ioError) return EXIT.usage;
  if (summary.errors > 0 || tooManyWarnings) return EXIT.errors;
  return EXIT.ok;
}
