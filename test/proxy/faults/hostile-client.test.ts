// Faults: what a hostile or broken client sends. Arguments nested to any depth, numbers JSON.parse cannot keep, repeated keys, tools/call without an id, reused ids: every call decided, answered and recorded, or never forwarded.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verifyAuditLog } from "../../../runtime/src/audit-chain.ts";
import { closeAllProxies, fakeServer, fixtures, inProcessProxy, readAudit, readAuditLines, resultText, spawnProxy, tempDir, type ProxyConnection } from "../helpers.ts";

const policy = join(fixtures, "fault-policy.yaml");
const roots: string[] = [];
const fresh = () => {
  const dir = tempDir();
  roots.push(dir);
  return dir;
};
const proxyArgs = (auditDir: string) => ["--policy", policy, "--server-name", "dev-fake", "--audit-dir", auditDir, "--", process.execPath, fakeServer, "dev-fake"];

test.after(async () => {
  await closeAllProxies();
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** Writes one raw line to the proxy and resolves with its answer to `id`. */
function rawCall(proxy: ProxyConnection, id: number | string, line: string): Promise<{ result?: { isError?: boolean; content: { text: string }[] }; error?: { code: number; message: string } }> {
  proxy.writeRaw(line + "\n");
  return proxy.waitForLine((l) => l.startsWith(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},`)).then((l) => JSON.parse(l));
}

const request = (id: number, name: string, argumentsText: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argumentsText}}}`;

test("arguments nested 5,000 to 100,000 levels: every call answered and recorded (run, blocked or denied), the server gets the client's bytes, and the proxy exits when the client does", async () => {
  const auditDir = fresh();
  const marks = join(fresh(), "marks.txt");
  const proxy = await spawnProxy(proxyArgs(auditDir));
  const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
  const cases: [string, string][] = [];
  for (const depth of [5_000, 20_000, 100_000]) {
    cases.push(["mark", `{"path":${JSON.stringify(marks)},"tag":"array-${depth}","deep":${deepArray(depth)}}`]);
    cases.push(["mark", `{"path":${JSON.stringify(marks)},"tag":"object-${depth}","deep":${deepObject(depth)}}`]);
    cases.push(["blocked_mark", `{"path":${JSON.stringify(marks)},"tag":"blocked-${depth}","deep":${deepObject(depth)}}`]);
    cases.push(["touch", `{"path":${JSON.stringify(marks)},"deep":${deepArray(depth)}}`]);
  }
  let id = 100;
  const answers: Awaited<ReturnType<typeof rawCall>>[] = [];
  for (const [name, args] of cases) answers.push(await rawCall(proxy, ++id, request(id, name, args)));
  cases.forEach(([name], i) => {
    const answer = answers[i];
    if (name === "mark") assert.match(answer.result?.content[0].text ?? "", /^marked (array|object)-\d+$/, JSON.stringify(answer).slice(0, 300));
    else assert.is(answer.result?.isError, true, `${name} is refused`);
  });
  const ran = readFileSync(marks, "utf8").split("\n").filter(Boolean);
  assert.equal(ran, ["array-5000", "object-5000", "array-20000", "object-20000", "array-100000", "object-100000"]);

  // The client goes away: the proxy and its server exit.
  proxy.endInput();
  assert.equal(await proxy.exited, { code: 0, signal: null });
  const file = join(auditDir, "dev-fake.jsonl");
  const calls = readAudit(file);
  assert.equal(
    calls.map((c) => [c.tool, c.status]),
    cases.map(([name]) => [name, name === "mark" ? "success" : name === "touch" ? "denied" : "blocked"]),
  );
  // Recorded as sent: the deep value is the client's own text.
  const lines = readFileSync(file, "utf8").split("\n");
  assert.ok(lines[0].includes(`"deep":${deepArray(5_000)}}`), "the arguments are recorded byte for byte");
  const verified = verifyAuditLog(readFileSync(file, "utf8"));
  assert.ok(verified.ok, JSON.stringify(verified.problems));
});

test("numbers JSON.parse cannot keep reach the server as the client wrote them; the policy decides on the parsed value; the record has the client's text", async () => {
  const auditDir = fresh();
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const args = '{"big":9007199254740993,"huge":1e400,"tiny":5e-400,"exact":1.50,"neg":-0,"s":"\\u00e9\\ud800"}';
  const answer = await rawCall(proxy, 7, request(7, "args", args));
  assert.is(answer.result?.content[0].text, args, "the server received the client's bytes");
  await proxy.close();
  const [intent] = readAuditLines(join(auditDir, "dev-fake.jsonl"));
  const raw = readFileSync(join(auditDir, "dev-fake.jsonl"), "utf8").split("\n")[0];
  assert.ok(raw.includes(`"args":${args},`), raw);
  assert.is(intent.status, "forwarded");
  assert.ok(verifyAuditLog(readFileSync(join(auditDir, "dev-fake.jsonl"), "utf8")).ok);
});

test("a key repeated in the arguments (at any depth, however escaped) is refused and recorded: a server could read the copy the policy did not decide on", async () => {
  const auditDir = fresh();
  const marks = join(fresh(), "marks.txt");
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  for (const [n, args] of [
    [1, `{"path":${JSON.stringify(marks)},"tag":"a","tag":"b"}`],
    [2, `{"path":${JSON.stringify(marks)},"tag":"c","x":{"y":1,"\\u0079":2}}`],
    [3, `{"path":${JSON.stringify(marks)},"tag":"d","x":[{"k":1},{"k":2,"k":3}]}`],
  ] as const) {
    const answer = await rawCall(proxy, n, request(n, "mark", args));
    assert.is(answer.result?.isError, true, args);
    assert.match(answer.result?.content[0].text ?? "", /The arguments repeat the key "(tag|y|k)" in args(\.x|\.x\[1\])?; .* was not forwarded/);
  }
  assert.is(resultText(await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag: "fine" } })), "marked fine");
  await proxy.close();
  assert.equal(readFileSync(marks, "utf8"), "fine\n");
  assert.equal(readAudit(join(auditDir, "dev-fake.jsonl")).map((c) => c.status), ["blocked", "blocked", "blocked", "success"]);
});

test("a tools/call without an id (notification-shaped), even for a blocked or approve tool: decided and recorded, never forwarded, never answered", async () => {
  const auditDir = fresh();
  const marks = join(fresh(), "marks.txt");
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  const before = proxy.stdoutLines.length;
  for (const name of ["mark", "blocked_mark", "touch"]) proxy.writeRaw(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"${name}","arguments":{"path":${JSON.stringify(marks)},"tag":"${name}"}}}\n`);
  proxy.writeRaw(`{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"mark","arguments":{"path":${JSON.stringify(marks)},"tag":"null-id"}}}\n`);
  proxy.writeRaw(`{"jsonrpc":"2.0","method":"resources/read","params":{"uri":"fake://dev-fake/readme"}}\n`);
  // Answered after the lines above were read: by then each was handled.
  assert.is(resultText(await proxy.client.callTool({ name: "mark", arguments: { path: marks, tag: "after" } })), "marked after");
  assert.equal(readFileSync(marks, "utf8"), "after\n", "only the call with an id ran");
  const answers = proxy.stdoutLines.slice(before).filter((l) => !l.includes('"notifications/'));
  assert.is(answers.length, 2, `the null id is an invalid request; the notifications get no answer: ${answers.join("\n")}`);
  assert.match(answers[0], /"id":null,"error":\{"code":-32600/);
  assert.match(proxy.stderr(), /a tools\/call without an id \(a notification\) was not forwarded/);
  assert.match(proxy.stderr(), /a notification named "resources\/read" was not relayed/);
  await proxy.close();
  const calls = readAudit(join(auditDir, "dev-fake.jsonl"));
  assert.equal(calls.map((c) => [c.tool, c.status, c.requestId ?? null]).slice(0, 3), [
    ["mark", "blocked", null],
    ["blocked_mark", "blocked", null],
    ["touch", "blocked", null],
  ]);
  assert.match(String(calls[0].error), /without an id .* never forwarded/);
  assert.match(String(calls[1].error), /Blocked by policy rule: deep_blocked/, "a blocked tool says the policy's reason");
});

test("a request id reused while its call is in flight: the second call is refused and recorded, not forwarded; the first goes on", async () => {
  const auditDir = fresh();
  const marks = join(fresh(), "marks.txt");
  const proxy = await inProcessProxy(proxyArgs(auditDir));
  proxy.writeRaw(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"hang","arguments":{},"_meta":{"progressToken":"p9"}}}\n`);
  await proxy.waitForLine((l) => l.includes('"progressToken":"p9"'));
  const second = await rawCall(proxy, 9, request(9, "mark", `{"path":${JSON.stringify(marks)},"tag":"twice"}`));
  assert.is(second.result?.isError, true);
  assert.match(second.result?.content[0].text ?? "", /the request id 9 is already used by a call in flight.*not forwarded/);
  proxy.writeRaw(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"reason":"enough"}}\n`);
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "next" } })), "dev-fake: next");
  await proxy.close();
  assert.equal(readAudit(join(auditDir, "dev-fake.jsonl")).map((c) => [c.tool, c.status]), [
    ["hang", "failed"],
    ["mark", "blocked"],
    ["echo", "success"],
  ]);
});

test.run();
