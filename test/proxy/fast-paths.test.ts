// The proxy's shortcuts (answers passed on as text, results checked by hand, records sealed in two parts, lines split by hand) against the general way they stand in for.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { AuditLineText, jsonMembers, sealAuditLine, toJson, verifyAuditLog } from "../../runtime/src/audit-chain.ts";
import { isPlainCallResult } from "../../runtime/src/proxy/downstream.ts";
import { LineSplitter } from "../../runtime/src/proxy/line-transport.ts";
import { addProxyAuditOutcome, proxyAuditHead, proxyAuditRecord, type CallAuditContext } from "../../runtime/src/proxy/proxy-audit.ts";
import { parseRedactPath } from "../../runtime/src/proxy/redact.ts";
import type { AuditRecord } from "../../runtime/src/types.ts";
import { closeAllProxies, fakeServer, fixtures, inProcessProxy, readAudit, resultText, tempDir, type ProxyConnection } from "./helpers.ts";

const roots: string[] = [];
const fresh = () => {
  const dir = tempDir();
  roots.push(dir);
  return dir;
};
const start = (auditDir: string) =>
  inProcessProxy(["--policy", join(fixtures, "fake-policy.yaml"), "--server-name", "dev-fake", "--audit-dir", auditDir, "--", process.execPath, fakeServer, "dev-fake"]);

test.after(async () => {
  await closeAllProxies();
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** Sends a raw tools/call of the fake server's `raw` tool and waits for the proxy's answer line with that id. */
async function rawCall(proxy: ProxyConnection, id: string | number, lines: string[], meta?: Record<string, unknown>): Promise<string> {
  const request = { jsonrpc: "2.0", id, method: "tools/call", params: { name: "raw", arguments: { lines }, ...(meta ? { _meta: meta } : {}) } };
  proxy.writeRaw(JSON.stringify(request) + "\n");
  return waitForLine(proxy, (line) => (JSON.parse(line) as { id?: unknown }).id === id && !line.includes('"method"'));
}

function waitForLine(proxy: ProxyConnection, matches: (line: string) => boolean): Promise<string> {
  return proxy.waitForLine((line) => line.startsWith("{") && matches(line));
}

const RESULT = '{"content":[{"type":"text","text":"caf\\u00e9 \\"1.50\\""}],"structuredContent":{"n":1.50,"e":1e2,"s":"\\/"}}';

test("an answer in the SDK's shape reaches the client as the server wrote its result, under the client's id (numbers, strings, escapes)", async () => {
  const auditDir = fresh();
  const proxy = await start(auditDir);
  const resultFirst = `{"result":${RESULT},"jsonrpc":"2.0","id":@ID@}`;
  const idFirst = `{"jsonrpc":"2.0","id":@ID@,"result":${RESULT}}`;
  for (const [id, line] of [
    [41, resultFirst],
    ["s-1", resultFirst],
    ['q"\\1', idFirst],
    [42, idFirst],
  ] as const) {
    const answer = await rawCall(proxy, id, [line]);
    // Only text passed on unchanged keeps 1.50, 1e2, \u00e9 and \/ as they were written.
    assert.is(answer, `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${RESULT}}`);
    assert.equal(JSON.parse(answer).result, JSON.parse(RESULT));
  }
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "after" } })), "dev-fake: after");
  await proxy.close();
  const file = join(auditDir, "dev-fake.jsonl");
  assert.equal(
    readAudit(file).map((r) => [r.requestId, r.tool, r.status]),
    [
      [41, "raw", "success"],
      ["s-1", "raw", "success"],
      ['q"\\1', "raw", "success"],
      [42, "raw", "success"],
      [readAudit(file)[4].requestId, "echo", "success"],
    ],
  );
  assert.ok(verifyAuditLog(readFileSync(file, "utf8")).ok);
});

test("answers in any other shape take the general way: spaces, a repeated member, annotations, isError, extra members, bad errors, unknown ids", async () => {
  const auditDir = fresh();
  const proxy = await start(auditDir);
  const parsed = (line: string) => JSON.parse(line) as { result?: { content: { text: string; annotations?: unknown }[]; isError?: boolean }; error?: { code: number; message: string } };

  const spaced = parsed(await rawCall(proxy, 1, ['{ "result": {"content":[{"type":"text","text":"spaced"}]}, "jsonrpc": "2.0", "id": @ID@ }']));
  assert.is(spaced.result?.content[0].text, "spaced");

  // JSON.parse keeps the last of repeated members; the client must get that one, and only it.
  const repeated = await rawCall(proxy, 2, ['{"result":{"content":[{"type":"text","text":"first"}]},"result":{"content":[{"type":"text","text":"second"}]},"jsonrpc":"2.0","id":@ID@}']);
  assert.is(parsed(repeated).result?.content[0].text, "second");
  assert.not.match(repeated, /first/);

  const annotated = parsed(await rawCall(proxy, 3, ['{"result":{"content":[{"type":"text","text":"a","annotations":{"priority":1}}]},"jsonrpc":"2.0","id":@ID@}']));
  assert.equal(annotated.result?.content[0].annotations, { priority: 1 }, "the schema's way keeps what it knows");

  const toolError = parsed(await rawCall(proxy, 4, ['{"result":{"isError":true,"content":[{"type":"text","text":"nope"}]},"jsonrpc":"2.0","id":@ID@}']));
  assert.is(toolError.result?.isError, true);

  const extra = parsed(await rawCall(proxy, 5, ['{"result":{"content":[]},"jsonrpc":"2.0","id":@ID@,"extra":1}']));
  assert.match(String(extra.error?.message), /not a valid JSON-RPC response/, "an invalid envelope fails the call instead of leaving it unanswered");

  const badError = parsed(await rawCall(proxy, 6, ['{"error":{"code":1.5,"message":"m"},"jsonrpc":"2.0","id":@ID@}']));
  assert.match(String(badError.error?.message), /not a valid JSON-RPC response/);

  const unknownFirst = parsed(await rawCall(proxy, 7, ['{"result":{"content":[{"type":"text","text":"stray"}]},"jsonrpc":"2.0","id":"aegisc-999999"}', '{"result":{"content":[{"type":"text","text":"mine"}]},"jsonrpc":"2.0","id":@ID@}']));
  assert.is(unknownFirst.result?.content[0].text, "mine", "an answer to no request of the proxy's is not taken for another");

  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "still here" } })), "dev-fake: still here");
  await proxy.close();
  assert.equal(
    readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.requestId, r.status]),
    [
      [1, "success"],
      [2, "success"],
      [3, "success"],
      [4, "failed"],
      [5, "failed"],
      [6, "failed"],
      [7, "success"],
      [readAudit(join(auditDir, "dev-fake.jsonl"))[7].requestId, "success"],
    ],
  );
});

test("the server's progress for a forwarded call reaches the client under the client's token; malformed progress does not", async () => {
  const proxy = await start(fresh());
  const progress = [
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":@TOKEN@,"progress":3,"total":10,"message":"three"}}',
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":@TOKEN@,"progress":"four"}}',
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"someone-else","progress":5}}',
    '{"result":{"content":[{"type":"text","text":"done"}]},"jsonrpc":"2.0","id":@ID@}',
  ];
  // (An SDK client drops progress that arrives in the same read as the answer, so the lines the proxy wrote are checked.)
  for (const token of ["client-token", 17]) {
    const answer = await rawCall(proxy, `p-${token}`, progress, { progressToken: token });
    assert.is(JSON.parse(answer).result.content[0].text, "done");
    const notes = proxy.stdoutLines.filter((line) => line.includes('"notifications/progress"') && line.includes(`"progressToken":${JSON.stringify(token)}`));
    assert.equal(
      notes.map((line) => JSON.parse(line) as unknown),
      [{ jsonrpc: "2.0", method: "notifications/progress", params: { progress: 3, total: 10, message: "three", progressToken: token } }],
    );
  }
  assert.not.ok(proxy.stdoutLines.some((line) => line.includes("someone-else") || line.includes('"four"')));
  await proxy.close();
});

test("notifications, a cancellation of no call, a batch and a tools/call the SDK server handles never take the shortcut wrongly", async () => {
  const auditDir = fresh();
  const proxy = await start(auditDir);
  proxy.writeRaw('{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}\n');
  proxy.writeRaw('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"no-such-call"}}\n');
  proxy.writeRaw('[{"jsonrpc":"2.0","id":90,"method":"tools/call","params":{"name":"echo","arguments":{"text":"batched"}}}]\n');
  const batch = await waitForLine(proxy, (line) => /"error":\{"code":-32600/.test(line));
  assert.is(JSON.parse(batch).id, null, "a batch is an invalid request (MCP has no batches), not a call");
  // With a related task in _meta, the call goes to the SDK server's handler: governed the same way.
  const viaSdk = await proxy.client.callTool({ name: "echo", arguments: { text: "via the SDK" }, _meta: { "io.modelcontextprotocol/related-task": { taskId: "t-1" } } });
  assert.is(resultText(viaSdk), "dev-fake: via the SDK");
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "plain" } })), "dev-fake: plain");
  await proxy.close();
  assert.equal(
    readAudit(join(auditDir, "dev-fake.jsonl")).map((r) => [r.tool, r.args.text, r.status]),
    [
      ["echo", "via the SDK", "success"],
      ["echo", "plain", "success"],
    ],
    "the batched call was never forwarded, and each call has exactly one record",
  );
});

test("the hand check of a tools/call result accepts only what the SDK's schema returns unchanged", () => {
  const results: unknown[] = [
    { content: [] },
    { content: [{ type: "text", text: "a" }] },
    { content: [{ type: "text", text: "a" }, { type: "text", text: "" }], isError: false, structuredContent: { a: [1, { b: null }] } },
    { content: [{ type: "text", text: "a" }], isError: true, extra: { kept: true } },
    { content: [{ type: "text", text: "a", annotations: { priority: 1 } }] },
    { content: [{ type: "text", text: "a", unknown: 1 }] },
    { content: [{ type: "image", data: "AA==", mimeType: "image/png" }] },
    { content: [{ type: "text", text: 5 }] },
    { content: "text" },
    { content: [null] },
    { content: [[]] },
    {},
    { content: [], _meta: { a: 1 } },
    { content: [], isError: "yes" },
    { content: [], structuredContent: [1] },
    { content: [], structuredContent: null },
    JSON.parse('{"content":[{"type":"text","text":"a","__proto__":{"x":1}}]}'),
    [],
    null,
    "result",
  ];
  let accepted = 0;
  for (const result of results) {
    if (!isPlainCallResult(result)) continue;
    accepted++;
    const parsed = CallToolResultSchema.safeParse(result);
    assert.ok(parsed.success, JSON.stringify(result));
    assert.equal(parsed.data, result, `unchanged by the schema: ${JSON.stringify(result)}`);
    assert.is(toJson(parsed.data).length, toJson(result).length);
  }
  assert.is(accepted, 4);
});

test("a record given as text seals the very line sealAuditLine seals; the seal is always the line's last two members", () => {
  const prev = "ab".repeat(32);
  const heads: object[] = [{}, { a: 1 }, { time: "t", args: { s: "é\u2028\"", n: [1, 2.5, null] } }];
  const tails: object[] = [{}, { status: "success" }, { status: "failed", error: "x\ny", durationMs: 1.25 }];
  for (const head of heads) {
    for (const tail of tails) {
      const expected = sealAuditLine({ ...head, ...tail }, prev);
      const members = [jsonMembers(head), jsonMembers(tail)].filter((m) => m !== "").join(",");
      assert.equal(new AuditLineText(`{${members}`).seal(prev), expected, JSON.stringify([head, tail]));
      assert.ok(verifyAuditLog(`${expected.line}\n`).problems.every((p) => !/edited|reformatted/.test(p.message)));
    }
  }
  // A record with a prev or hash of its own (only a tampered line has one): they are dropped, the seal goes last.
  assert.match(sealAuditLine({ a: 1, prev: "x", hash: "y", b: 2 }, prev).line, new RegExp(`^\\{"a":1,"b":2,"prev":"${prev}","hash":"[0-9a-f]{64}"\\}$`));

  const record: AuditRecord = { time: "2026-01-01T00:00:00.000Z", server: "s", tool: "t", agent: "ag", args: { content: "secret", path: "/p" }, rule: "r", risk: "low", approval: "approve", human: "denied", status: "denied", error: "generic", policy: "sha256:1" };
  const contexts: CallAuditContext[] = [
    { id: "i", requestId: "q", startedAt: 0, redact: [parseRedactPath("content")], approval: { via: "elicitation", answer: "decline", reason: "The human declined" } },
    { id: "i", startedAt: 0, redact: [] },
  ];
  for (const context of contexts) {
    const whole = proxyAuditRecord(record, context, 2.5);
    const split = addProxyAuditOutcome(proxyAuditHead(record, context), record, context, 2.5);
    assert.is(toJson(split), toJson(whole));
    assert.equal(Object.keys(whole).slice(-4).filter((k) => k !== "error"), ["status", "durationMs", "policy"]);
  }
  assert.is(proxyAuditRecord(record, contexts[0], 2.5).error, "The human declined");
  assert.equal(proxyAuditRecord(record, contexts[0], 2.5).args, { content: "[REDACTED]", path: "/p" });
});

test("the line splitter: CRLF, characters split between chunks, many lines per chunk, over-long lines skipped whole", () => {
  const lines: string[] = [];
  let overLong = 0;
  const splitter = new LineSplitter(16, (line) => lines.push(line), () => overLong++);
  const euro = Buffer.from("€", "utf8");
  splitter.push(Buffer.concat([Buffer.from('{"a":"'), euro.subarray(0, 1)]));
  splitter.push(Buffer.concat([euro.subarray(1), Buffer.from('"}\r\n{"b":1}\n\n{"c"')]));
  splitter.push(':2}\n');
  splitter.push("x".repeat(10));
  splitter.push(`${"y".repeat(10)}\n{"d":4}\n`);
  splitter.push(`${"z".repeat(40)}\n{"e":5}\n`);
  assert.equal(lines, ['{"a":"€"}', '{"b":1}', "", '{"c":2}', '{"d":4}', '{"e":5}']);
  assert.is(overLong, 2);
  splitter.stop();
  splitter.push('{"f":6}\n');
  assert.is(lines.length, 6, "nothing after stop()");
});

test("the line transport still answers what it cannot parse after a shortcut line", async () => {
  const { LineTransport } = await import("../../runtime/src/proxy/line-transport.ts");
  const input = new PassThrough();
  const out: string[] = [];
  const transport = new LineTransport(input, { write: (s: string) => out.push(s) });
  const messages: unknown[] = [];
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = () => undefined;
  await transport.start();
  input.write('{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"t"}}\n \t\n{oops}\n');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(messages, [{ jsonrpc: "2.0", id: "x", method: "tools/call", params: { name: "t" } }]);
  assert.equal(out.map((line) => (JSON.parse(line) as { error: { code: number } }).error.code), [-32700], "a blank line is skipped, junk answered");
  assert.ok(transport.writeText('{"jsonrpc":"2.0","id":1,"result":{}}'));
  assert.is(out.at(-1), '{"jsonrpc":"2.0","id":1,"result":{}}\n');
  await transport.close();
  assert.not.ok(transport.writeText("{}"), "nothing is written once closed");
});

test.run();
