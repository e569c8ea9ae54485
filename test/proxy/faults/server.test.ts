// Faults: a server that crashes mid-call, hangs, writes garbage, broken, over-long or invalid UTF-8 lines, answers unknown ids; bad client input; the client going away; an unwritable audit file.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { verifyAuditLog } from "../../../runtime/src/audit-chain.ts";
import { closeAllProxies, deferred, fakeServer, fixtures, inProcessProxy, readAudit, resultText, spawnProxy, tempDir } from "../helpers.ts";

const policy = join(fixtures, "fake-policy.yaml");
const roots: string[] = [];
const fresh = () => {
  const dir = tempDir();
  roots.push(dir);
  return dir;
};
const proxyArgs = (auditDir: string, name = "dev-fake") => ["--policy", policy, "--server-name", name, "--audit-dir", auditDir, "--", process.execPath, fakeServer, name];

test.after(async () => {
  await closeAllProxies();
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

test("a server that crashes mid-call: the call gets an MCP error, is audited as failed, and the proxy exits cleanly", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "before" } })), "dev-fake: before");
  const crashed = await proxy.client.callTool({ name: "crash", arguments: {} }).then(
    () => undefined,
    (error: Error) => error,
  );
  assert.instance(crashed, Error);
  assert.match(String(crashed?.message), /The server dev-fake exited before answering the call/);
  const exit = await proxy.exited;
  assert.equal(exit, { code: 1, signal: null });
  assert.match(proxy.stderr(), /exiting: the server dev-fake exited/);
  await proxy.client.close();
  const file = join(auditDir, "dev-fake.jsonl");
  assert.equal(
    readAudit(file).map((r) => [r.tool, r.status, r.error ?? null]),
    [
      ["echo", "success", null],
      ["crash", "failed", "The server dev-fake exited before answering the call"],
    ],
  );
  assert.ok(verifyAuditLog(readFileSync(file, "utf8")).ok);
  assert.not.ok(existsSync(`${file}.lock`), "the writer lock is released on exit");
});

test("a hanging call: progress and the client's cancellation pass through, the call is audited, the proxy keeps serving", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const cancelledDownstream = deferred<string>();
  proxy.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    if (String(n.params.data).startsWith("cancelled")) cancelledDownstream.resolve(String(n.params.data));
  });
  const controller = new AbortController();
  const progress = deferred<string | undefined>();
  const hung = proxy.client.callTool({ name: "hang", arguments: {} }, undefined, {
    signal: controller.signal,
    onprogress: (p) => progress.resolve(p.message),
  });
  assert.is(await progress.promise, "started", "the server's progress reaches the client");
  controller.abort("the user pressed stop");
  await hung.then(
    () => assert.unreachable("a cancelled call does not resolve"),
    () => undefined,
  );
  assert.match(await cancelledDownstream.promise, /^cancelled /, "the server received notifications/cancelled");
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "still here" } })), "dev-fake: still here");
  await proxy.close();
  const records = readAudit(join(auditDir, "dev-fake.jsonl"));
  assert.equal(
    records.map((r) => [r.tool, r.status]),
    [
      ["hang", "failed"],
      ["echo", "success"],
    ],
  );
  assert.match(String(records[0].error), /The client cancelled the call: the user pressed stop/);
});

test("garbage from the server, JSON-RPC errors and tool errors become MCP errors or results; the proxy survives", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const garbage = await proxy.client.callTool({ name: "garbage", arguments: {} }).then(
    () => undefined,
    (error: Error) => error,
  );
  assert.instance(garbage, Error, "an invalid result is an MCP error");
  const failed = await proxy.client.callTool({ name: "fail", arguments: {} }).then(
    () => undefined,
    (error: Error & { code?: number }) => error,
  );
  assert.is(failed?.code, -32602, "the server's error code reaches the client");
  assert.match(String(failed?.message), /fail was asked to fail/);
  const toolError = await proxy.client.callTool({ name: "tool_error", arguments: {} });
  assert.is(toolError.isError, true);
  assert.is(resultText(toolError), "the tool failed on purpose");
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "ok" } })), "dev-fake: ok");
  const exit = await proxy.close();
  assert.is(exit.code, 0);
  assert.equal(
    readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.tool, r.status]),
    [
      ["garbage", "failed"],
      ["fail", "failed"],
      ["tool_error", "failed"],
      ["echo", "success"],
    ],
  );
});

test("--call-timeout: a server that never answers gets a timeout error, audited, and the proxy keeps serving", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(["--call-timeout", "0.05", ...proxyArgs(auditDir)]);
  const timedOut = await proxy.client.callTool({ name: "hang", arguments: {} }).then(
    () => undefined,
    (error: Error & { code?: number }) => error,
  );
  assert.is(timedOut?.code, -32001);
  assert.match(String(timedOut?.message), /The server dev-fake did not answer within 0\.05 s \(the proxy's call timeout\)/);
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "next" } })), "dev-fake: next");
  await proxy.close();
  assert.equal(
    readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.tool, r.status]),
    [
      ["hang", "failed"],
      ["echo", "success"],
    ],
  );
});

test("requests from the server to the client (roots/list) are relayed when the client declared the capability", async () => {
  const proxy = await inProcessProxy(proxyArgs(fresh()), { roots: [{ uri: "file:///home/me/projects", name: "projects" }] });
  const answer = JSON.parse(resultText(await proxy.client.callTool({ name: "roots", arguments: {} }))) as { roots: unknown[] };
  assert.equal(answer.roots, [{ uri: "file:///home/me/projects", name: "projects" }]);
  await proxy.close();
  const withoutRoots = await inProcessProxy(proxyArgs(fresh()));
  const refused = JSON.parse(resultText(await withoutRoots.client.callTool({ name: "roots", arguments: {} }))) as { error?: { code: number } };
  assert.is(refused.error?.code, -32601, "a client without roots never sees the request");
  await withoutRoots.close();
});

test("bad input from the client is answered with JSON-RPC errors, never a crash", async () => {
  const proxy = await inProcessProxy(proxyArgs(fresh()));
  const answered = (pattern: RegExp) => proxy.stdoutLines.some((line) => pattern.test(line));
  const before = proxy.stdoutLines.length;
  proxy.writeRaw("this is not json\n");
  proxy.writeRaw('{"jsonrpc":"2.0","id":77,"method":42}\n');
  proxy.writeRaw("[1,2,3]\n");
  proxy.writeRaw('{"jsonrpc":"2.0","id":78,"method":"tools/call","params":{"arguments":{}}}\n');
  proxy.writeRaw('{"jsonrpc":"2.0","id":79,"method":"no/such/method","params":{}}\n');
  // The echo is answered after the bad lines, so by then every bad line has been answered too.
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "after" } })), "dev-fake: after");
  assert.ok(proxy.stdoutLines.length > before);
  assert.ok(answered(/"id":null,"error":\{"code":-32700/), "a parse error is answered");
  assert.ok(answered(/"id":77,"error":\{"code":-32600/), "an invalid request is answered with its id");
  assert.ok(answered(/"id":78,"error":\{"code":-32602,"message":".*Invalid tools\/call request.*name/), "a tools/call without a name is invalid params");
  assert.ok(answered(/"id":79,"error":\{"code":-32601/), "an unknown method is method-not-found");
  const exit = await proxy.close();
  assert.is(exit.code, 0);
});

test("the client disconnecting mid-call: the proxy cancels the call, audits it, stops the server and exits 0", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const pid = Number(resultText(await proxy.client.callTool({ name: "pid", arguments: {} })));
  const progress = deferred();
  void proxy.client.callTool({ name: "hang", arguments: {} }, undefined, { onprogress: () => progress.resolve() }).catch(() => undefined);
  await progress.promise;
  proxy.endInput();
  const exit = await proxy.exited;
  assert.equal(exit, { code: 0, signal: null });
  assert.not.ok(isRunning(pid), "the server process is gone");
  const records = readAudit(join(auditDir, "dev-fake.jsonl"));
  assert.equal(records.map((r) => [r.tool, r.status]), [["pid", "success"], ["hang", "failed"]]);
  assert.match(String(records[1].error), /disconnected/);
  await proxy.client.close();
});

test("if the audit record cannot be written, the call is refused and never forwarded", async () => {
  const auditDir = fresh();
  const target = join(fresh(), "touched.txt");
  mkdirSync(join(auditDir, "dev-fake.jsonl"), { recursive: true });
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const result = await proxy.client.callTool({ name: "echo", arguments: { text: "x" } });
  assert.is(result.isError, true);
  assert.match(resultText(result), /Refused: Audit log unavailable: EISDIR.*The call to echo on dev-fake was not forwarded/);
  const touch = await proxy.client.callTool({ name: "touch", arguments: { path: target } });
  assert.is(touch.isError, true);
  assert.not.ok(existsSync(target), "the tool never ran");
  await proxy.close();
});

test("two proxies cannot write the same audit file: the second one says which process holds it", async () => {
  const auditDir = fresh();
  const first = await inProcessProxy(proxyArgs(auditDir));
  const second = await spawnProxy(proxyArgs(auditDir)).then(
    () => undefined,
    (error: Error) => error,
  );
  assert.instance(second, Error, "the second proxy does not initialize");
  assert.match(String(second?.message), /being written by another aegisc proxy \(pid \d+\)/);
  await first.close();
});

test("a server command that cannot start, or a server that exits at once: the client's initialize is answered with an error", async () => {
  for (const command of [["/no/such/command"], [process.execPath, "-e", "process.exit(3)"]]) {
    const failed = await inProcessProxy(["--policy", policy, "--server-name", "dev-fake", "--audit-dir", fresh(), "--", ...command]).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.instance(failed, Error, command.join(" "));
    assert.match(String(failed?.message), /no server could be started/);
  }
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Calls the fake server's `bytes` tool: it writes these bytes as they are (@ID@ replaced by the request's id), then nothing. */
const writeBytes = (proxy: Awaited<ReturnType<typeof inProcessProxy>>, ...chunks: Buffer[]) =>
  proxy.client.callTool({ name: "bytes", arguments: { base64: chunks.map((c) => c.toString("base64")) } }).then(
    (result) => ({ result, error: undefined }),
    (error: Error & { code?: number }) => ({ result: undefined, error }),
  );

test("a broken answer line (cut JSON), answer-shaped, fails its call at once instead of leaving it waiting; the proxy goes on", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const idFirst = await writeBytes(proxy, Buffer.from('{"jsonrpc":"2.0","id":@ID@,"result":{"content":[{"type":"text","text":"cut he\n'));
  assert.match(String(idFirst.error?.message), /The server's answer was not valid JSON/);
  const idLast = await writeBytes(proxy, Buffer.from('{"result":{"content":[{"type":"text","text":"cut"}],,"jsonrpc":"2.0","id":@ID@}\n'));
  assert.match(String(idLast.error?.message), /The server's answer was not valid JSON/);
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "next" } })), "dev-fake: next");
  await proxy.close();
  assert.equal(readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.tool, r.status]), [["bytes", "failed"], ["bytes", "failed"], ["echo", "success"]]);
});

test("an answer longer than the line limit (64 MiB) fails its call with an error; the proxy keeps only the line's edges and goes on", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const big = await proxy.client.callTool({ name: "big", arguments: { size: 65 * 1024 * 1024 } }).then(
    () => undefined,
    (error: Error) => error,
  );
  assert.match(String(big?.message), /The server's answer was longer than 67108864 bytes, so it was not passed on/);
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "after" } })), "dev-fake: after");
  await proxy.close();
  assert.equal(readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.tool, r.status]), [["big", "failed"], ["echo", "success"]]);
});

test("invalid UTF-8 in an answer becomes U+FFFD and the answer goes through; answers to ids nobody asked are ignored", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const invalid = await writeBytes(
    proxy,
    Buffer.from('{"jsonrpc":"2.0","id":"aegisc-999999","result":{"content":[]}}\n{"jsonrpc":"2.0","id":424242,"result":{}}\n{"jsonrpc":"2.0","id":"nobody","error":{"code":1,"message":"x"}}\n'),
    Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":@ID@,"result":{"content":[{"type":"text","text":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('b"}]}}\n')]),
  );
  assert.is(invalid.error, undefined, String(invalid.error));
  assert.is(resultText(invalid.result), "a\ufffd\ufffd\ufffdb");
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "still" } })), "dev-fake: still");
  await proxy.close();
  assert.ok(verifyAuditLog(readFileSync(join(auditDir, "dev-fake.jsonl"), "utf8")).ok);
});

test.run();
