// `aegisc explain`: decide one call with the reference interpreter and say, for every rule, whether it matched and why.

import { compileFiles } from "../compile-files.ts";
import { location } from "../diagnostics/render-text.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { explain, type ToolCall } from "../interpret.ts";
import type { Combine, Policy } from "../ir/types.ts";
import { EXIT, reportToStderr, UsageError, type CliIo } from "./io.ts";

export interface ExplainOptions {
  tool: string;
  server: string;
  args?: string;
  agent?: string;
  at?: string;
  format: "text" | "json";
  combine?: Combine;
}

export async function runExplain(globs: readonly string[], opts: ExplainOptions, io: CliIo, color: boolean): Promise<number> {
  const call = callFromOptions(opts);
  const result = await compileFiles(globs, { cwd: io.cwd, ...(opts.combine ? { combine: opts.combine } : {}) });
  await reportToStderr(io, result.diagnostics, result.sources, color);
  if (result.ioError) return EXIT.usage;
  if (!result.policy) return EXIT.errors;
  const policy = result.policy;
  const explanation = explain(policy, call);
  if (opts.format === "json") {
    const { approval, risk, rule, index, failClosed } = explanation.decision;
    const json = {
      decision: { approval, risk, rule, index, ...(failClosed ? { failClosed } : {}) },
      rules: explanation.rules.map((r) => ({ name: r.name, matched: r.matched, ...(r.failed ? { failed: true } : {}), why: r.why })),
    };
    io.stdout.write(JSON.stringify(json, null, 2) + "\n");
    return EXIT.ok;
  }
  io.stdout.write(explainText(policy, call, explanation, result.sources));
  return EXIT.ok;
}

function callFromOptions(opts: ExplainOptions): ToolCall & { time: Date } {
  let args: Record<string, unknown> = {};
  if (opts.args !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(opts.args);
    } catch (e) {
      throw new UsageError(`--args is not valid JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new UsageError(`--args must be a JSON object such as '{"path": "/tmp/x"}', not ${Array.isArray(parsed) ? "an array" : JSON.stringify(parsed)}`);
    }
    args = parsed as Record<string, unknown>;
  }
  let time = new Date();
  if (opts.at !== undefined) {
    const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
    time = new Date(opts.at);
    if (!iso.test(opts.at.trim()) || Number.isNaN(time.getTime())) {
      throw new UsageError(`--at expects an ISO 8601 time such as 2025-01-06T18:30:00Z, not ${JSON.stringify(opts.at)}`);
    }
  }
  return { tool: opts.tool, server: opts.server, args, ...(opts.agent !== undefined ? { agent: opts.agent } : {}), time };
}

/** The decision first, then one line per rule in file order with why it matched or not. */
function explainText(policy: Policy, call: ToolCall & { time: Date }, explanation: ReturnType<typeof explain>, sources: ReadonlyMap<string, SourceText>): string {
  const d = explanation.decision;
  const decider = d.index >= 0 ? policy.rules[d.index] : undefined;
  const out: string[] = [];
  out.push(
    decider
      ? `Decision: ${d.approval} (risk ${d.risk}) by rule ${d.rule} at ${location(decider.span, sources)}${d.failClosed ? ", fail-closed: its conditions cannot be evaluated on this call" : ""}`
      : `Decision: ${d.approval} (risk ${d.risk}) from the defaults: no rule matches`,
  );
  const agent = call.agent === undefined || call.agent === "" ? "no agent" : `agent ${JSON.stringify(call.agent)}`;
  out.push(`  call:    tool ${JSON.stringify(call.tool)} on server ${JSON.stringify(call.server)}, ${agent}, args ${JSON.stringify(call.args ?? {})}, at ${call.time.toISOString()}`);
  out.push(
    `  combine: ${policy.combine} (${policy.combine === "first-match" ? "the first matching rule in file order decides" : "the strictest matching rule decides; ties go to the higher risk, then the earlier rule"})`,
  );
  out.push("");
  if (explanation.rules.length === 0) out.push("No rules.");
  const width = Math.max(0, ...explanation.rules.map((r) => r.name.length));
  for (const r of explanation.rules) {
    // ✓ matches, ✗ does not, ! cannot be evaluated (blocks where it is reached).
    out.push(`  ${r.decided ? "→" : " "} ${r.matched ? "✓" : r.failed ? "!" : "✗"} ${r.name.padEnd(width)}  ${r.why}`);
  }
  return out.join("\n") + "\n";
}
