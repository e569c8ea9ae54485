// End to end: the SDK Client → `aegisc proxy` (spawned through bin/aegisc.js) → the real @modelcontextprotocol/server-filesystem.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { run } from "../cli/helpers.ts";
import { filesystemServer, fixtures, readAudit, resultText, spawnProxy, tempDir, writeFiles, type ProxyConnection } from "./helpers.ts";

const root = tempDir();
const workspace = join(root, "workspace");
const auditDir = join(root, "audit");
const fallbackAuditDir = join(root, "audit-fallback");
writeFiles(workspace, { "notes.md": "# Notes\nGoverned by aegisc.\n", "secret-keys.txt": "do not read\n" });
const policy = join(fixtures, "filesystem-policy.yaml");
const serverCommand = ["--", process.execPath, filesystemServer, workspace];

/** The human behind the elicitation form: approves writes of files named approved*.md, declines the rest. */
const asked: ElicitRequest["params"][] = [];
const human = (request: ElicitRequest) => {
  asked.push(request.params);
  const path = String((request.params._meta?.["aegisc/call"] as { arguments?: { path?: string } } | undefined)?.arguments?.path ?? "");
  return /approved[^/]*\.md$/.test(path) ? { action: "accept" as const, content: { decision: "approve" } } : { action: "decline" as const };
};

let governed: ProxyConnection;
let noElicitation: ProxyConnection;

test.before(async () => {
  [governed, noElicitation] = await Promise.all([
    spawnProxy(["--policy", policy, "--server-name", "dev-filesystem", "--audit-dir", auditDir, "--hide-blocked", "--remember-approvals", "3600", "--redact", "content", ...serverCommand], { elicit: human }),
    spawnProxy(["--policy", policy, "--server-name", "dev-filesystem", "--audit-dir", fallbackAuditDir, ...serverCommand]),
  ]);
});

test.after(async () => {
  await Promise.all([governed?.close(), noElicitation?.close()]);
  rmSync(root, { recursive: true, force: true });
});

const call = (connection: ProxyConnection, name: string, args: Record<string, unknown>) => connection.client.callTool({ name, arguments: args });

test("--hide-blocked: tools the policy blocks whatever the arguments are not listed; the others are", async () => {
  const hidden = (await governed.client.listTools()).tools.map((t) => t.name);
  const all = (await noElicitation.client.listTools()).tools.map((t) => t.name);
  assert.ok(all.includes("move_file") && all.includes("edit_file"), "without --hide-blocked every tool is listed");
  for (const blocked of ["move_file", "edit_file", "create_directory"]) assert.not.ok(hidden.includes(blocked), `${blocked} is hidden`);
  for (const shown of ["read_text_file", "write_file", "list_directory"]) assert.ok(hidden.includes(shown), `${shown} is listed`);
});

test("an allowed call is forwarded and its result passed back", async () => {
  const result = await call(governed, "read_text_file", { path: join(workspace, "notes.md") });
  assert.not.ok(result.isError);
  assert.match(resultText(result), /Governed by aegisc/);
});

test("a blocked call is an isError result naming rule, risk and description, and never reaches the server", async () => {
  const moved = await call(governed, "move_file", { source: join(workspace, "notes.md"), destination: join(workspace, "moved.md") });
  assert.is(moved.isError, true);
  assert.match(resultText(moved), /Blocked by policy rule no_moves \(risk: high\): Moving files breaks links in the workspace\. The call to move_file on dev-filesystem was not forwarded\./);
  assert.ok(existsSync(join(workspace, "notes.md")) && !existsSync(join(workspace, "moved.md")));
  const secret = await call(governed, "read_text_file", { path: join(workspace, "secret-keys.txt") });
  assert.is(secret.isError, true);
  assert.match(resultText(secret), /no_secret_reads \(risk: critical\)/);
  assert.not.match(resultText(secret), /do not read/);
});

test("an approve decision asks the human through elicitation: approved writes happen, declined writes do not touch the disk", async () => {
  const before = asked.length;
  const approved = await call(governed, "write_file", { path: join(workspace, "approved.md"), content: "# Approved\n" });
  assert.not.ok(approved.isError, resultText(approved));
  assert.is(readFileSync(join(workspace, "approved.md"), "utf8"), "# Approved\n");
  const form = asked[before];
  assert.match(form.message, /write_file on the MCP server dev-filesystem/);
  assert.match(form.message, /writes_need_review \(risk medium\).*A human confirms every write/);
  assert.match(form.message, /path: ".*approved\.md"/);
  // --redact content masks the form as it masks the record: the form passes through the client, its logs and its screen.
  assert.match(form.message, /content: "\[REDACTED\]"/);
  assert.not.match(JSON.stringify(form), /# Approved/);
  assert.equal(Object.keys((form as { requestedSchema: { properties: object } }).requestedSchema.properties), ["decision"]);

  const declined = await call(governed, "write_file", { path: join(workspace, "notes.md"), content: "overwritten" });
  assert.is(declined.isError, true);
  assert.match(resultText(declined), /Denied by the human operator\. The call to write_file on dev-filesystem was not forwarded/);
  assert.is(readFileSync(join(workspace, "notes.md"), "utf8"), "# Notes\nGoverned by aegisc.\n");
  const fresh = await call(governed, "write_file", { path: join(workspace, "new.md"), content: "x" });
  assert.is(fresh.isError, true);
  assert.not.ok(existsSync(join(workspace, "new.md")), "a declined write creates no file");
});

test("--remember-approvals reuses an approval for the identical call only", async () => {
  const args = { path: join(workspace, "approved-twice.md"), content: "same" };
  const before = asked.length;
  assert.not.ok((await call(governed, "write_file", args)).isError);
  assert.is(asked.length, before + 1, "the first call asks");
  assert.not.ok((await call(governed, "write_file", { content: "same", path: args.path })).isError);
  assert.is(asked.length, before + 1, "the identical call (keys in another order) does not ask again");
  assert.not.ok((await call(governed, "write_file", { ...args, content: "different" })).isError);
  assert.is(asked.length, before + 2, "different arguments ask again");
});

test("without the elicitation capability the fallback (deny) refuses approve calls, and the write never happens", async () => {
  const result = await call(noElicitation, "write_file", { path: join(workspace, "approved-fallback.md"), content: "x" });
  assert.is(result.isError, true);
  assert.match(resultText(result), /does not support elicitation.*--approval fallback is deny/);
  assert.not.ok(existsSync(join(workspace, "approved-fallback.md")));
  const read = await call(noElicitation, "read_text_file", { path: join(workspace, "notes.md") });
  assert.not.ok(read.isError, "auto calls still work without elicitation");
});

test("every governed call is audited (a forwarded one as intent and outcome) with redaction, approval channel and duration; the file verifies", async () => {
  const file = join(auditDir, "dev-filesystem.jsonl");
  const records = readAudit(file);
  const summary = records.map((r) => [r.tool, r.rule, r.approval, r.human, r.via ?? null, r.answer ?? null, r.status]);
  assert.equal(summary, [
    ["read_text_file", "reads_are_fine", "auto", null, null, null, "success"],
    ["move_file", "no_moves", "block", null, null, null, "blocked"],
    ["read_text_file", "no_secret_reads", "block", null, null, null, "blocked"],
    ["write_file", "writes_need_review", "approve", "approved", "elicitation", "approve", "success"],
    ["write_file", "writes_need_review", "approve", "denied", "elicitation", "decline", "denied"],
    ["write_file", "writes_need_review", "approve", "denied", "elicitation", "decline", "denied"],
    ["write_file", "writes_need_review", "approve", "approved", "elicitation", "approve", "success"],
    ["write_file", "writes_need_review", "approve", "approved", "remembered", "approve", "success"],
    ["write_file", "writes_need_review", "approve", "approved", "elicitation", "approve", "success"],
  ]);
  assert.is(new Set(records.map((r) => r.id)).size, records.length, "call ids are unique");
  for (const r of records) {
    assert.is(r.server, "dev-filesystem");
    assert.type(r.durationMs, "number");
    assert.ok(r.durationMs >= 0);
    assert.type(r.time, "string");
    if ("content" in r.args) {
      assert.is(r.args.content, "[REDACTED]", "--redact content masks the written text");
      assert.equal(r.redacted, ["content"]);
    }
  }
  assert.match(String(records[4].error), /Denied by the human operator/);
  const verified = await run(["audit", "verify", file]);
  assert.is(verified.code, 0, verified.stdout + verified.stderr);
  // Five forwarded calls have two records each (intent, outcome); the four refused ones one.
  assert.match(verified.stdout, /ok +.*dev-filesystem\.jsonl: 14 records, hash chain intact/);

  const fallback = readAudit(join(fallbackAuditDir, "dev-filesystem.jsonl"));
  assert.equal(
    fallback.map((r) => [r.tool, r.human, r.via, r.answer, r.status]),
    [
      ["write_file", "denied", "fallback", "unavailable", "denied"],
      ["read_text_file", null, undefined, undefined, "success"],
    ],
  );
});

test.run();
