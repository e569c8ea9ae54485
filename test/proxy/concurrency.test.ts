// Load and crash safety: 1,000 concurrent calls each audited exactly once; a kill -9 mid-write leaves a verifiable audit file.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verifyAuditLog } from "../../runtime/src/audit-chain.ts";
import { closeAllProxies, deferred, filesystemServer, fixtures, readAudit, resultText, spawnProxy, tempDir, writeFiles, type ProxyConnection } from "./helpers.ts";

const CALLS = 1000;
const root = tempDir();
const workspace = join(root, "workspace");
const lines = Array.from({ length: CALLS }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
writeFiles(workspace, { "lines.txt": lines });
const file = join(workspace, "lines.txt");
const args = (auditDir: string) => ["--policy", join(fixtures, "filesystem-policy.yaml"), "--server-name", "dev-filesystem", "--audit-dir", auditDir, "--", process.execPath, filesystemServer, workspace];
const load = join(root, "audit-load");
const killed = join(root, "audit-killed");
let loadProxy: ProxyConnection;
let killedProxy: ProxyConnection;

test.before(async () => {
  [loadProxy, killedProxy] = await Promise.all([spawnProxy(args(load)), spawnProxy(args(killed))]);
});

test.after(async () => {
  await closeAllProxies();
  rmSync(root, { recursive: true, force: true });
});

test(`${CALLS} concurrent calls: every one answered correctly and audited exactly once, in one intact chain`, async () => {
  const results = await Promise.all(Array.from({ length: CALLS }, (_, i) => loadProxy.client.callTool({ name: "read_text_file", arguments: { path: file, head: i + 1 } })));
  results.forEach((result, i) => {
    assert.not.ok(result.isError, resultText(result));
    assert.is(resultText(result).split("\n").filter(Boolean).length, i + 1, `call ${i + 1} got its own answer`);
  });
  // A SIGTERM is a graceful stop: exit 0, the writer lock released.
  loadProxy.child?.kill("SIGTERM");
  assert.equal(await loadProxy.exited, { code: 0, signal: null });
  assert.not.ok(existsSync(join(load, "dev-filesystem.jsonl.lock")));
  // The proxy queues its writes; the server's own SDK may still warn about its stdout, under its own pid.
  assert.not.match(loadProxy.stderr(), new RegExp(`\\(node:${loadProxy.child?.pid}\\) MaxListenersExceeded`), loadProxy.stderr());
  const auditFile = join(load, "dev-filesystem.jsonl");
  const records = readAudit(auditFile);
  assert.is(records.length, CALLS);
  assert.equal(readFileSync(auditFile, "utf8").split("\n").length - 1, 2 * CALLS, "an intent and an outcome per call");
  const heads = records.map((r) => r.args.head as number).sort((a, b) => a - b);
  assert.equal(heads, Array.from({ length: CALLS }, (_, i) => i + 1), "each call has exactly one record");
  assert.is(new Set(records.map((r) => r.id)).size, CALLS);
  assert.ok(records.every((r) => r.status === "success" && r.rule === "reads_are_fine"));
  const verified = verifyAuditLog(readFileSync(auditFile, "utf8"));
  assert.ok(verified.ok, JSON.stringify(verified.problems.slice(0, 3)));
});

test("kill -9 of the proxy in the middle of writing leaves a verifiable file, and a restarted proxy continues the chain", async () => {
  const answered = deferred();
  let count = 0;
  const calls = Array.from({ length: CALLS }, (_, i) =>
    killedProxy.client.callTool({ name: "read_text_file", arguments: { path: file, head: i + 1 } }).then(
      () => {
        if (++count === 100) answered.resolve();
      },
      () => undefined,
    ),
  );
  await answered.promise;
  killedProxy.child?.kill("SIGKILL");
  const exit = await killedProxy.exited;
  assert.is(exit.signal, "SIGKILL");
  await Promise.all(calls);
  const auditFile = join(killed, "dev-filesystem.jsonl");
  const text = readFileSync(auditFile, "utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  const prefix = verifyAuditLog(complete);
  assert.ok(prefix.ok, JSON.stringify(prefix.problems.slice(0, 3)));
  const records = complete.split("\n").slice(0, -1).map((line) => JSON.parse(line) as { status: string; phase?: string });
  const outcomes = records.filter((r) => r.phase === "outcome").length;
  assert.ok(outcomes >= 100, `every answered call was audited before its answer (${outcomes} outcomes)`);
  assert.ok(outcomes < CALLS, "the kill did interrupt the run");

  // The dead proxy's lock is stale: a new proxy takes it over and appends to the same chain.
  const restarted = await spawnProxy(args(killed));
  assert.not.ok((await restarted.client.callTool({ name: "read_text_file", arguments: { path: file, head: 1 } })).isError);
  await restarted.close();
  const after = readFileSync(auditFile, "utf8");
  const whole = verifyAuditLog(after);
  if (complete === text) assert.ok(whole.ok, JSON.stringify(whole.problems));
  // A torn last line (a write cut by the kill) is the only thing verification may report.
  else assert.equal(whole.problems.map((p) => p.line), [prefix.lines + 1]);
  assert.is(whole.lines, prefix.lines + (complete === text ? 2 : 3), "the restarted proxy's call: an intent and an outcome");
});

test.run();
