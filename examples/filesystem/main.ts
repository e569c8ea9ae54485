// Governs the official MCP filesystem server through the SDK's Client wrapped by wrapClient: allow, approve, deny, block, audit.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { compileFiles, emitGuardFiles, renderDiagnosticsText } from "aegisc";
import { auditCalls, auditFileName, callbackApprover, createGuard, jsonlAudit, wrapClient, type AuditRecord, type GuardModule } from "@aegisc/runtime";

const here = fileURLToPath(new URL(".", import.meta.url));
export const SERVER_NAME = "dev-filesystem";

export interface FilesystemExampleResult {
  readonly workspace: string;
  readonly auditFile: string;
  readonly outcomes: { label: string; tool: string; isError: boolean; text: string }[];
  readonly tools: string[];
}

/** Runs the scenario and returns what happened; `log` receives the narration. */
export async function runFilesystemExample(log: (line: string) => void = console.log, root = mkdtempSync(join(tmpdir(), "aegisc-fs-"))): Promise<FilesystemExampleResult> {
  // Compile the policy into a guard module, as `aegisc build` would, and load it.
  const compiled = await compileFiles(["policy.yaml"], { cwd: here });
  if (!compiled.policy) throw new Error(renderDiagnosticsText(compiled.diagnostics, compiled.sources));
  const outDir = join(root, "guard");
  mkdirSync(outDir, { recursive: true });
  const [file] = emitGuardFiles(compiled.policy, "policy", "ts");
  writeFileSync(join(outDir, file.fileName), file.text);
  const guard = (await import(pathToFileURL(join(outDir, file.fileName)).href)) as GuardModule;

  const workspace = join(root, "workspace");
  const auditDir = join(root, "audit");
  mkdirSync(workspace);
  writeFileSync(join(workspace, "notes.md"), "# Notes\nThe filesystem server is governed by aegisc.\n");
  writeFileSync(join(workspace, "secret-keys.txt"), "do not read\n");

  // A callback approver stands in for the human: it approves writes of Markdown reports only.
  const approver = callbackApprover(({ call }) => {
    const path = String(call.args?.path ?? "");
    const ok = path.endsWith("report.md");
    log(`  approver: ${call.tool} ${path} -> ${ok ? "approved" : "denied"}`);
    return ok;
  });
  const runtime = createGuard({ ...guard, approver, audit: jsonlAudit({ dir: auditDir }), agent: "example-agent" });

  const serverEntry = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
  const transport = new StdioClientTransport({ command: process.execPath, args: [serverEntry, workspace], stderr: "pipe" });
  const client = wrapClient(new Client({ name: "aegisc-filesystem-example", version: "0.1.0" }), runtime, { server: SERVER_NAME });
  await client.connect(transport);
  const outcomes: FilesystemExampleResult["outcomes"] = [];
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    log(`Connected to the filesystem server (${tools.length} tools) as ${SERVER_NAME}; workspace ${workspace}\n`);
    const call = async (label: string, name: string, args: Record<string, unknown>) => {
      const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content?: { type: string; text?: string }[] };
      const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
      outcomes.push({ label, tool: name, isError: result.isError === true, text });
      log(`${label.padEnd(9)} ${name} ${JSON.stringify(args)}\n          ${text.split("\n")[0]}`);
    };
    await call("allowed", "read_text_file", { path: join(workspace, "notes.md") });
    await call("approved", "write_file", { path: join(workspace, "report.md"), content: "# Report\nAll good.\n" });
    await call("denied", "write_file", { path: join(workspace, "notes.md"), content: "overwritten" });
    await call("blocked", "move_file", { source: join(workspace, "notes.md"), destination: join(workspace, "moved.md") });
    await call("blocked", "read_text_file", { path: join(workspace, "secret-keys.txt") });
    const auditFile = join(auditDir, auditFileName(SERVER_NAME));
    log(`\nAudit trail ${auditFile}:`);
    // A call that ran has two lines (its intent, written before it ran, and its outcome); auditCalls folds them.
    const lines = readFileSync(auditFile, "utf8").trim().split("\n").map((line) => JSON.parse(line) as AuditRecord);
    for (const r of auditCalls(lines)) {
      log(`  ${r.tool.padEnd(15)} ${r.rule.padEnd(19)} ${r.approval.padEnd(8)} human=${String(r.human).padEnd(8)} ${r.status}`);
    }
    return { workspace, auditFile, outcomes, tools };
  } finally {
    await client.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = mkdtempSync(join(tmpdir(), "aegisc-fs-"));
  try {
    const result = await runFilesystemExample(console.log, root);
    console.log(`\nnotes.md untouched by the denied write: ${readFileSync(join(result.workspace, "notes.md"), "utf8").startsWith("# Notes")}`);
    console.log(`moved.md does not exist (move blocked): ${!existsSync(join(result.workspace, "moved.md"))}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
