// Faults: the audit directory on a disk that fills up, or turns read-only. No call reaches the server unless its intent record is on disk; the file stays whole.
import { readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verifyAuditLog } from "../../../runtime/src/audit-chain.ts";
import { closeAllProxies, fakeServer, fixtures, readAuditLines, resultText, spawnProxy, tempDir } from "../helpers.ts";
import { smallDisk } from "./disk.ts";

const policy = join(fixtures, "fault-policy.yaml");
const disk = smallDisk(96 * 1024);
const outside = tempDir();

test.after(async () => {
  await closeAllProxies();
  disk.release();
  rmSync(disk.dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

test(`a full disk (${disk.kind}): every call the server ran has its intent record on disk, refused calls say why, and the file verifies`, async () => {
  const auditDir = join(disk.dir, "audit");
  // Room to free later, so that the proxy can be seen to go on once the disk has space again.
  const filler = join(disk.dir, "filler");
  writeFileSync(filler, Buffer.alloc(16 * 1024));
  const marks = join(outside, "ran.txt");
  const proxy = await spawnProxy(["--policy", policy, "--server-name", "dev-fake", "--audit-dir", auditDir, "--", process.execPath, fakeServer, "dev-fake"], { env: disk.env, execArgv: disk.execArgv });
  const pad = "p".repeat(1500);
  const answers: { tag: string; refused?: string; error?: string; ok?: boolean }[] = [];
  for (let batch = 0; batch < 12; batch++) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const tag = `call-${batch * 10 + i}`;
        try {
          const result = await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag, pad } });
          answers.push(result.isError ? { tag, refused: resultText(result) } : { tag, ok: true });
        } catch (error) {
          answers.push({ tag, error: String((error as Error).message) });
        }
      }),
    );
  }
  const ran = new Set(existsSync(marks) ? readFileSync(marks, "utf8").split("\n").filter(Boolean) : []);
  const file = join(auditDir, "dev-fake.jsonl");
  // Tolerant of a torn line, so that a writer which leaves one fails on what matters below, not here.
  const lines = readFileSync(file, "utf8").split("\n").flatMap((line) => {
    try {
      return [JSON.parse(line) as { status: string; args: unknown }];
    } catch {
      return [];
    }
  });
  const recorded = new Set(lines.filter((r) => r.args !== undefined).map((r) => (r.args as { tag: string }).tag));
  const unrecorded = [...ran].filter((tag) => !recorded.has(tag));
  assert.equal(unrecorded, [], "every call that ran has a record");
  assert.ok(lines.filter((r) => r.args !== undefined).every((r) => r.status === "forwarded"), "and it is the intent, written before the call ran");
  const refused = answers.filter((a) => a.refused !== undefined);
  assert.ok(refused.length > 0, "the disk did fill up");
  assert.ok(answers.filter((a) => a.ok).length > 0, "calls ran before it did");
  for (const a of refused) {
    assert.match(String(a.refused), /Audit write failed: ENOSPC.*The call to mark on dev-fake was not forwarded/);
    assert.not.ok(ran.has(a.tag), `${a.tag} was refused and did not run`);
  }
  // A call that ran but whose outcome could not be written gets an error, never its result.
  for (const a of answers.filter((x) => x.error !== undefined)) assert.match(String(a.error), /Audit write failed: ENOSPC/);
  const before = verifyAuditLog(readFileSync(file, "utf8"));
  assert.equal(before.problems, [], "no half-written record: a short write is cut off again");

  rmSync(filler);
  const after = await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag: "after", pad } });
  assert.not.ok(after.isError, resultText(after));
  await proxy.close();
  const verified = verifyAuditLog(readFileSync(file, "utf8"));
  assert.ok(verified.ok, JSON.stringify(verified.problems));
  const last = readAuditLines(file).slice(-2);
  assert.equal(last.map((r) => [r.status, r.phase ?? null]), [["forwarded", null], ["success", "outcome"]]);
  // Calls whose outcome could not be written are told apart: forwarded, with no outcome.
  assert.is(verified.open?.length ?? 0, answers.filter((a) => a.error !== undefined).length);
});

test(`the audit disk turned read-only under a running proxy (${disk.kind}): calls are refused before anything runs, and go on once it is writable again`, async () => {
  const auditDir = join(disk.dir, "audit-ro");
  const marks = join(outside, "ro.txt");
  const proxy = await spawnProxy(["--policy", policy, "--server-name", "dev-fake", "--audit-dir", auditDir, "--", process.execPath, fakeServer, "dev-fake"], { env: disk.env, execArgv: disk.execArgv });
  assert.is(resultText(await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag: "before" } })), "marked before");
  if (!disk.readOnly(true)) {
    // Root without a tmpfs: permissions bind no one, so there is nothing to see.
    await proxy.close();
    return;
  }
  try {
    const refused = await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag: "while-read-only" } });
    assert.is(refused.isError, true);
    assert.match(resultText(refused), /Refused: Audit log unavailable: (EROFS|EACCES).*was not forwarded/);
  } finally {
    disk.readOnly(false);
  }
  assert.is(resultText(await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag: "after" } })), "marked after");
  await proxy.close();
  assert.equal(readFileSync(marks, "utf8").split("\n").filter(Boolean), ["before", "after"]);
  const verified = verifyAuditLog(readFileSync(join(auditDir, "dev-fake.jsonl"), "utf8"));
  assert.ok(verified.ok, JSON.stringify(verified.problems));
});

test.run();
