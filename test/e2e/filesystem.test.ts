// End to end: the real @modelcontextprotocol/server-filesystem over stdio, governed through wrapClient with a compiled guard.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runFilesystemExample } from "../../examples/filesystem/main.ts";
import { auditCalls, verifyAuditLog } from "../../runtime/src/index.ts";

test("allowed, approved, denied and blocked calls against the real filesystem server, with a per-server audit file", async () => {
  const root = mkdtempSync(join(tmpdir(), "aegisc-e2e-"));
  try {
    const lines: string[] = [];
    const result = await runFilesystemExample((l) => lines.push(l), root);
    assert.ok(result.tools.includes("read_text_file") && result.tools.includes("move_file"), "the server exposes its real tools");
    const byLabel = result.outcomes.map((o) => [o.label, o.tool, o.isError]);
    assert.equal(byLabel, [
      ["allowed", "read_text_file", false],
      ["approved", "write_file", false],
      ["denied", "write_file", true],
      ["blocked", "move_file", true],
      ["blocked", "read_text_file", true],
    ]);
    assert.match(result.outcomes[0].text, /The filesystem server is governed by aegisc/);
    assert.match(result.outcomes[2].text, /Denied by human operator.*writes_need_review/);
    assert.match(result.outcomes[3].text, /no_moves.*risk: high/);
    // The approved write reached the disk; the denied write and the blocked move did not.
    assert.is(readFileSync(join(result.workspace, "report.md"), "utf8"), "# Report\nAll good.\n");
    assert.match(readFileSync(join(result.workspace, "notes.md"), "utf8"), /^# Notes/);
    assert.not.ok(existsSync(join(result.workspace, "moved.md")));

    const auditText = readFileSync(result.auditFile, "utf8");
    assert.ok(result.auditFile.endsWith("dev-filesystem.jsonl"));
    const auditLines = auditText.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(auditLines.map((r) => r.status).slice(0, 4), ["forwarded", "success", "forwarded", "success"], "a call that runs: its intent, then its outcome");
    const records = auditCalls(auditLines);
    assert.equal(
      records.map((r) => [r.server, r.tool, r.rule, r.approval, r.human, r.status]),
      [
        ["dev-filesystem", "read_text_file", "read_anything", "auto", null, "success"],
        ["dev-filesystem", "write_file", "writes_need_review", "approve", "approved", "success"],
        ["dev-filesystem", "write_file", "writes_need_review", "approve", "denied", "denied"],
        ["dev-filesystem", "move_file", "no_moves", "block", null, "blocked"],
        ["dev-filesystem", "read_text_file", "no_secret_reads", "block", null, "blocked"],
      ],
    );
    for (const r of records) {
      assert.type(r.time, "string");
      assert.type(r.args, "object");
      assert.is(r.agent, "example-agent");
    }
    assert.ok(verifyAuditLog(auditText).ok, "the audit file verifies");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
