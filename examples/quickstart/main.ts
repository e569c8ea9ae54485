// The seed quickstart ("Govern MCP Tool Calls in 5 Minutes") in TypeScript: compile policy.yaml, then govern three calls.

import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileFiles, emitGuardFiles, renderDiagnosticsText } from "aegisc";
import { createGuard, governMcpToolCall, McpToolFilter, type CheckResult, type GuardModule, type RunResult, type ToolCall } from "@aegisc/runtime";

const here = fileURLToPath(new URL(".", import.meta.url));
const outDir = `${here}out`;

// Step 1: compile the policy into a dependency-free guard module (what `aegisc build` does).
const compiled = await compileFiles(["policy.yaml"], { cwd: here });
if (!compiled.policy) {
  process.stderr.write(renderDiagnosticsText(compiled.diagnostics, compiled.sources));
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const [module] = emitGuardFiles(compiled.policy, "policy", "ts");
writeFileSync(`${outDir}/${module.fileName}`, module.text);
const guard = (await import(pathToFileURL(`${outDir}/${module.fileName}`).href)) as GuardModule;
console.log(`Compiled policy.yaml (${compiled.policy.rules.length} rules, combine: ${guard.POLICY.combine}) into out/${module.fileName}`);
console.log(`Policy hash ${guard.POLICY.hash}\n`);

// Step 2: govern MCP tool calls. The executor stands in for the real MCP call, as in the seed.
const runtime = createGuard({
  ...guard,
  executor: (call: ToolCall) => {
    console.log(`  MCP: ${call.tool} on ${call.server}`);
    return { ok: true };
  },
});

// Option 1: govern individual tool calls.
const read = await governMcpToolCall(runtime, { toolName: "read_file", arguments: { path: "/data/report.csv" }, serverName: "dev-filesystem" });
console.log(`  read_file: ${read.ok ? "ALLOWED" : "BLOCKED"}`);
const del = await governMcpToolCall(runtime, { toolName: "delete_file", arguments: { path: "/data/report.csv" }, serverName: "dev-filesystem" });
console.log(`  delete_file: ${del.ok ? "ALLOWED" : "BLOCKED"}`);

// Option 2: filter-based pre-check before the actual MCP call.
const filter = new McpToolFilter(runtime);
const prodWrite = await filter.check({ server: "prod-filesystem", tool: "write_file" });
console.log(`  prod write_file: ${prodWrite.ok ? "ALLOWED" : "BLOCKED"}\n`);

// What happens: the seed's table, read off the decisions.
const rows: [string, string, RunResult | CheckResult][] = [
  ["read_file", "dev-filesystem", read],
  ["delete_file", "dev-filesystem", del],
  ["write_file", "prod-filesystem", prodWrite],
];
const result = (r: RunResult | CheckResult) =>
  r.decision.approval === "block" ? "BLOCKED" : r.decision.approval === "auto" ? "AUTO-APPROVED" : r.ok ? "APPROVED" : "NEEDS APPROVAL";
const table = [
  ["tool call", "server", "result", "deciding rule", "risk"],
  ...rows.map(([tool, server, r]) => [tool, server, result(r), r.decision.rule, r.decision.risk]),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(" | ")} |`;
console.log(line(table[0]));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table.slice(1)) console.log(line(row));
