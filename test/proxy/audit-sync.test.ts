// The proxy's audit mode (jsonlAudit with sync, files kept open, optional fsync): the same chain guarantees as the default mode.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGuard, jsonlAudit, verifyAuditLog, type JsonlAuditOptions } from "../../runtime/src/index.ts";
import * as guard from "../runtime/quickstart-guard.ts";

let dir = "";

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "aegisc-audit-sync-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string): string[] => readFileSync(file, "utf8").split("\n").slice(0, -1);
/** What verification says of a file, without the head (its bytes and last seal). */
const verify = (file: string) => {
  const { ok, valid, lines: count, problems } = verifyAuditLog(readFileSync(file, "utf8"));
  return { ok, valid, lines: count, problems: problems.map(({ line }) => line) };
};

for (const mode of [{ sync: true }, { sync: true, fsync: true }, { fsync: true }] satisfies Omit<JsonlAuditOptions, "dir">[]) {
  const name = JSON.stringify(mode);

  test(`${name}: 200 concurrent runs write 200 whole lines in one intact chain per file`, async () => {
    const audit = jsonlAudit({ dir, ...mode });
    const runtime = createGuard({ ...guard, audit, executor: (call) => call.args?.n });
    const big = "x".repeat(20_000);
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => runtime.run({ server: n % 2 ? "odd" : "even", tool: "read_file", args: { n, big } })));
    assert.ok(results.every((r) => r.status === "success"));
    for (const server of ["odd", "even"]) assert.equal(verify(audit.fileFor(server)), { ok: true, valid: 200, lines: 200, problems: [] });
    await audit.close();
  });

  test(`${name}: a torn last line gets the next record on a fresh line; a second sink continues the chain`, async () => {
    writeFileSync(join(dir, "s.jsonl"), '{"torn":');
    const first = jsonlAudit({ dir, ...mode });
    await createGuard({ ...guard, audit: first, executor: () => "ok" }).run({ server: "s", tool: "read_file" });
    await first.close();
    const second = jsonlAudit({ dir, ...mode });
    await createGuard({ ...guard, audit: second, executor: () => "ok" }).run({ server: "s", tool: "read_file" });
    await second.close();
    const all = lines(join(dir, "s.jsonl"));
    assert.is(all.length, 5);
    assert.is(all[0], '{"torn":');
    // Only the torn line is reported, as torn: the first record is anchored on it, the others on the one before.
    const verification = verifyAuditLog(readFileSync(join(dir, "s.jsonl"), "utf8"));
    assert.is(verification.valid, 4);
    assert.equal(verification.problems.map((p) => [p.line, p.kind]), [[1, "torn"]]);
  });

  test(`${name}: a file rotated away or deleted between calls starts a new chain in a new file`, async () => {
    const audit = jsonlAudit({ dir, ...mode });
    const runtime = createGuard({ ...guard, audit, executor: () => "ok" });
    await runtime.run({ server: "s", tool: "read_file" });
    renameSync(audit.fileFor("s"), join(dir, "s.jsonl.1"));
    await runtime.run({ server: "s", tool: "read_file" });
    await runtime.run({ server: "s", tool: "read_file" });
    assert.equal(verify(audit.fileFor("s")), { ok: true, valid: 4, lines: 4, problems: [] });
    assert.equal(verify(join(dir, "s.jsonl.1")), { ok: true, valid: 2, lines: 2, problems: [] }, "nothing more went to the rotated file");
    rmSync(audit.fileFor("s"));
    await runtime.run({ server: "s", tool: "read_file" });
    assert.equal(verify(audit.fileFor("s")), { ok: true, valid: 2, lines: 2, problems: [] });
    await audit.close();
  });

  test(`${name}: a file replaced by a directory blocks the call before it executes`, async () => {
    const audit = jsonlAudit({ dir, ...mode });
    let executions = 0;
    const runtime = createGuard({ ...guard, audit, executor: () => executions++ });
    await runtime.run({ server: "s", tool: "read_file" });
    rmSync(audit.fileFor("s"));
    mkdirSync(audit.fileFor("s"));
    const result = await runtime.run({ server: "s", tool: "read_file" });
    assert.is(result.status, "blocked");
    assert.match(result.error ?? "", /Audit log unavailable/);
    assert.is(executions, 1);
    await audit.close();
  });

  test(`${name}: after close, the sink opens its files again on the next call`, async () => {
    const audit = jsonlAudit({ dir, ...mode });
    const runtime = createGuard({ ...guard, audit, executor: () => "ok" });
    await runtime.run({ server: "s", tool: "read_file" });
    await audit.close();
    await audit.close();
    await runtime.run({ server: "s", tool: "read_file", args: { big: 10n ** 20n } });
    assert.equal(verify(audit.fileFor("s")), { ok: true, valid: 4, lines: 4, problems: [] });
    assert.equal(JSON.parse(lines(audit.fileFor("s"))[2]).args, { big: "100000000000000000000" });
    await audit.close();
  });
}

test.run();
