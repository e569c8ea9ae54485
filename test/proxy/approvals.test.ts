// Approval paths beyond approve/decline: the terminal fallback, timeouts, dismissals, waiting with progress, and a shutdown while a human decides.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { loadGuard } from "../../compiler/proxy/load-guard.ts";
import { jsonlAudit } from "../../runtime/src/audit-jsonl.ts";
import { LineTransport } from "../../runtime/src/proxy/line-transport.ts";
import { startProxy } from "../../runtime/src/proxy/proxy.ts";
import { closeAllProxies, deferred, fakeServer, fixtures, inProcessProxy, readAudit, resultText, tempDir } from "./helpers.ts";

const policy = join(fixtures, "fake-policy.yaml");
const root = tempDir();
let dirs = 0;
const args = (...extra: string[]) => {
  const auditDir = join(root, `audit-${++dirs}`);
  return { auditDir, argv: ["--policy", policy, "--server-name", "dev-fake", "--audit-dir", auditDir, ...extra, "--", process.execPath, fakeServer, "dev-fake"] };
};
const touchTarget = (name: string) => join(root, name);

test.after(async () => {
  await closeAllProxies();
  rmSync(root, { recursive: true, force: true });
});

/** A fake terminal: the answers typed in advance, and everything the proxy printed. */
function fakeTerminal(typed: string) {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let printed = "";
  output.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  input.write(typed);
  return { streams: { input, output, close: () => input.destroy() }, printed: () => printed };
}

test("--approval prompt asks on the controlling terminal when the client cannot elicit: y approves, n denies", async () => {
  const terminal = fakeTerminal("y\nn\n");
  const { auditDir, argv } = args("--approval", "prompt");
  const proxy = await inProcessProxy(argv, { openTerminal: () => terminal.streams });
  const yes = await proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("yes.txt") } });
  assert.not.ok(yes.isError, resultText(yes));
  assert.ok(existsSync(touchTarget("yes.txt")));
  const no = await proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("no.txt") } });
  assert.is(no.isError, true);
  assert.match(resultText(no), /Denied at the terminal by the human operator/);
  assert.not.ok(existsSync(touchTarget("no.txt")));
  assert.match(terminal.printed(), /touch on dev-fake .*needs approval \(rule touch_needs_review, risk medium\)[\s\S]*Allow touch on dev-fake\? \[y\/N\]/);
  await proxy.close();
  assert.equal(
    readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.human, r.via, r.answer, r.status]),
    [
      ["approved", "terminal", "approve", "success"],
      ["denied", "terminal", "deny", "denied"],
    ],
  );
});

test("--approval prompt without a controlling terminal denies, and says why", async () => {
  const proxy = await inProcessProxy(args("--approval", "prompt").argv, { openTerminal: () => undefined });
  const result = await proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("no-tty.txt") } });
  assert.is(result.isError, true);
  assert.match(resultText(result), /no controlling terminal to ask on/);
  assert.not.ok(existsSync(touchTarget("no-tty.txt")));
  assert.match(proxy.stderr(), /--approval prompt: there is no controlling terminal/);
  await proxy.close();
});

test("an elicitation nobody answers times out with a clear denial, and the client's form is withdrawn", async () => {
  const withdrawn = deferred<string>();
  const proxy = await inProcessProxy(args("--approval-timeout", "0.05").argv, {
    elicit: (_request, extra) =>
      new Promise((_resolve, reject) => {
        extra.signal.addEventListener("abort", () => {
          withdrawn.resolve(String(extra.signal.reason));
          reject(new Error("withdrawn"));
        });
      }),
  });
  const result = await proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("late.txt") } });
  assert.is(result.isError, true);
  assert.match(resultText(result), /Nobody answered the approval request within 0\.1 s, so the call was denied/);
  assert.match(await withdrawn.promise, /timed out/i, "the proxy cancelled its elicitation request");
  assert.not.ok(existsSync(touchTarget("late.txt")));
  assert.match(proxy.stderr(), /no answer to the approval request for touch on dev-fake/);
  await proxy.close();
});

test("dismissing the form, or accepting it with deny, denies", async () => {
  const answers = [{ action: "cancel" as const }, { action: "accept" as const, content: { decision: "deny" } }];
  const { auditDir, argv } = args();
  const proxy = await inProcessProxy(argv, { elicit: () => answers.shift() ?? { action: "decline" } });
  const dismissed = await proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("d1.txt") } });
  assert.match(resultText(dismissed), /dismissed the approval request without answering/);
  const denied = await proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("d2.txt") } });
  assert.match(resultText(denied), /Denied by the human operator/);
  await proxy.close();
  assert.equal(
    readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.via, r.answer, r.status]),
    [
      ["elicitation", "cancel", "denied"],
      ["elicitation", "deny", "denied"],
    ],
  );
});

test("a call waiting for a human reports progress, so a client that resets its timeout on progress keeps waiting", async () => {
  const auditDir = join(root, "audit-keepalive");
  const { loaded } = await loadGuard([policy], { cwd: root });
  assert.ok(loaded);
  const toProxy = new PassThrough();
  const fromProxy = new PassThrough();
  const running = startProxy({
    guard: loaded.guard,
    servers: [{ name: "dev-fake", command: process.execPath, args: [fakeServer, "dev-fake"] }],
    audit: jsonlAudit({ dir: auditDir, sync: true }),
    input: toProxy,
    output: fromProxy,
    keepAliveMs: 5,
    log: () => undefined,
  });
  const client = new Client({ name: "keepalive", version: "1" }, { capabilities: { elicitation: {} } });
  const twoReports = deferred();
  const reports: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async () => {
    await twoReports.promise;
    return { action: "accept", content: { decision: "approve" } };
  });
  await client.connect(new LineTransport(fromProxy, toProxy));
  const result = await client.callTool({ name: "touch", arguments: { path: touchTarget("waited.txt") } }, undefined, {
    resetTimeoutOnProgress: true,
    onprogress: (p) => {
      reports.push(String(p.message));
      if (reports.length === 2) twoReports.resolve();
    },
  });
  assert.not.ok(result.isError, resultText(result));
  assert.ok(reports.length >= 2);
  assert.match(reports[0], /Waiting for a human to approve touch on dev-fake/);
  await client.close();
  toProxy.end();
  assert.equal(await running.done, { code: 0, reason: "the client disconnected" });
});

test("a server exiting while a human decides ends the wait: the call is denied and audited, the proxy exits", async () => {
  const asked = deferred();
  const { auditDir, argv } = args();
  const proxy = await inProcessProxy(argv, {
    elicit: (_request, extra) => {
      asked.resolve();
      return new Promise((_resolve, reject) => extra.signal.addEventListener("abort", () => reject(new Error("withdrawn"))));
    },
  });
  const waiting = proxy.client.callTool({ name: "touch", arguments: { path: touchTarget("never.txt") } });
  await asked.promise;
  // The fake server's own crash tool stands in for the server dying on its own.
  await proxy.client.callTool({ name: "crash", arguments: {} }).catch(() => undefined);
  const result = await waiting;
  assert.is(result.isError, true);
  assert.match(resultText(result), /The proxy shut down \(the server dev-fake exited\) before the call was approved/);
  assert.is((await proxy.exited).code, 1);
  const records = readAudit(join(auditDir, "dev-fake.jsonl"));
  assert.equal(
    records.map((r) => [r.tool, r.answer ?? null, r.status]).sort(),
    [
      ["crash", null, "failed"],
      ["touch", "aborted", "denied"],
    ],
  );
  assert.not.ok(existsSync(touchTarget("never.txt")));
  assert.ok(readFileSync(join(auditDir, "dev-fake.jsonl"), "utf8").endsWith("\n"));
});

test.run();
