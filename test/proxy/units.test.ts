// Unit tests of the proxy's parts: redaction paths, canonical arguments and approval keys, the approval form, the line transport, package boundaries.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { approvalKey, canonicalJson, RememberedApprovals } from "../../runtime/src/proxy/approval-binding.ts";
import { approvalForm, argumentSummary, readApprovalAnswer } from "../../runtime/src/proxy/approval-form.ts";
import { LineTransport } from "../../runtime/src/proxy/line-transport.ts";
import { parseRedactPath, redactArgs, REDACTED } from "../../runtime/src/proxy/redact.ts";
import { readArgumentsText } from "../../runtime/src/proxy/json-text.ts";
import { NameRouter } from "../../runtime/src/proxy/tool-routing.ts";
import { repoRoot } from "./helpers.ts";

test("redact paths: dots, indexes, quoted keys, wildcards, an optional args. prefix", () => {
  assert.equal(parseRedactPath("content").segments, ["content"]);
  assert.equal(parseRedactPath("args.content").segments, ["content"]);
  assert.equal(parseRedactPath("headers.authorization").segments, ["headers", "authorization"]);
  assert.equal(parseRedactPath('args["odd key"].x').segments, ["odd key", "x"]);
  assert.equal(parseRedactPath("items[2].secret").segments, ["items", "2", "secret"]);
  assert.equal(parseRedactPath("env.*").segments, ["env", "*"]);
  assert.equal(parseRedactPath("items[*].token").segments, ["items", "*", "token"]);
  assert.equal(parseRedactPath("**.token").segments, ["**", "token"]);
  assert.equal(parseRedactPath("a[**].b").segments, ["a", "**", "b"]);
  for (const bad of ["", "a.", "a..b", "a[", "a[x]", 'a["x"', ".a", Array.from({ length: 31 }, () => "a").join(".")]) assert.throws(() => parseRedactPath(bad), /invalid --redact path/, bad);
});

test("redaction masks what the paths name, copies only what it changes, and reports the paths used", () => {
  const args = { path: "/a", content: "secret", env: { A: "1", B: "2" }, items: [{ token: "t1" }, { token: "t2", keep: 1 }], nested: { deep: { key: "k" } } };
  const snapshot = JSON.stringify(args);
  const paths = ["content", "env.*", "items[*].token", "nested.deep.key", "missing.path"].map(parseRedactPath);
  const { args: masked, redacted } = redactArgs(args, paths);
  assert.equal(masked, { path: "/a", content: REDACTED, env: { A: REDACTED, B: REDACTED }, items: [{ token: REDACTED }, { token: REDACTED, keep: 1 }], nested: { deep: { key: REDACTED } } });
  assert.equal(redacted, ["content", "env.*", "items[*].token", "nested.deep.key"]);
  assert.is(JSON.stringify(args), snapshot, "the caller's arguments are untouched");
  assert.ok(Array.isArray((masked as { items: unknown }).items));
  const untouched = redactArgs(args, [parseRedactPath("nothing")]);
  assert.is(untouched.args, args, "no match, no copy");
  const proto = JSON.parse('{"__proto__": "x", "a": 1}') as Record<string, unknown>;
  const maskedProto = redactArgs(proto, [parseRedactPath("__proto__")]).args;
  assert.is(Object.getOwnPropertyDescriptor(maskedProto, "__proto__")?.value, REDACTED, "a key named __proto__ is masked, not swallowed");
});

test("redaction: keys in any letter case, ** at any depth (none included), the same on the parsed value and on the client's text", () => {
  const text = '{"Headers":{"Authorization":"s1","x":1},"items":[{"TOKEN":"t"},{"k":{"token":"u"}}],"nested":{"content":"c"},"token":"top","deep":[[[{"token":"d"}]]]}';
  const paths = ["headers.authorization", "**.token", "nested.**"].map(parseRedactPath);
  const fromValue = redactArgs(JSON.parse(text) as Record<string, unknown>, paths);
  const fromText = readArgumentsText(text, { start: 0, end: text.length }, paths);
  assert.equal(JSON.parse(fromText.text), fromValue.args);
  assert.equal(fromValue.args, { Headers: { Authorization: REDACTED, x: 1 }, items: [{ TOKEN: REDACTED }, { k: { token: REDACTED } }], nested: REDACTED, token: REDACTED, deep: [[[{ token: REDACTED }]]] });
  assert.equal(fromText.redacted, ["headers.authorization", "**.token", "nested.**"]);
  // Deeper than the search goes, a value under ** is masked whole (the safe side), never searched by recursion.
  const deep = JSON.parse(`${'{"a":'.repeat(3000)}1${"}".repeat(3000)}`) as Record<string, unknown>;
  assert.match(JSON.stringify(redactArgs(deep, [parseRedactPath("**.zz")]).args), /^(\{"a":){1000}"\[REDACTED\]"\}{1000}$/);
  // Text that JSON.parse reads the same whatever its escapes: keys compared decoded.
  assert.is(readArgumentsText('{"\\u0070ath":"x"}', { start: 0, end: 17 }, [parseRedactPath("path")]).text, '{"\\u0070ath":"[REDACTED]"}');
});

test("canonical JSON ignores key order at every depth, keeps array order, never throws", () => {
  assert.is(canonicalJson({ b: 1, a: { d: [3, 1], c: null } }), canonicalJson({ a: { c: null, d: [3, 1] }, b: 1 }));
  assert.is.not(canonicalJson({ a: [1, 3] }), canonicalJson({ a: [3, 1] }));
  assert.is(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.is(canonicalJson({ n: 10n }), '{"n":"10"}');
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.is(canonicalJson(cyclic), '{"a":1,"self":"[Circular]"}');
});

test("an approval key binds server, tool, agent, canonical arguments and the policy hash", () => {
  const call = { server: "fs", tool: "write_file", args: { path: "/a", content: "x" } };
  const key = approvalKey(call, "sha256:1");
  assert.is(approvalKey({ ...call, args: { content: "x", path: "/a" } }, "sha256:1"), key, "key order does not matter");
  for (const other of [
    approvalKey({ ...call, server: "fs2" }, "sha256:1"),
    approvalKey({ ...call, tool: "edit_file" }, "sha256:1"),
    approvalKey({ ...call, agent: "bot" }, "sha256:1"),
    approvalKey({ ...call, args: { path: "/a", content: "y" } }, "sha256:1"),
    approvalKey(call, "sha256:2"),
  ]) {
    assert.is.not(other, key);
  }
});

test("remembered approvals expire, and are off with a zero ttl", () => {
  let now = 1_000;
  const remembered = new RememberedApprovals(60_000, () => now);
  remembered.remember("k");
  assert.ok(remembered.has("k"));
  now += 59_999;
  assert.ok(remembered.has("k"));
  now += 1;
  assert.not.ok(remembered.has("k"), "expired");
  const off = new RememberedApprovals(0);
  off.remember("k");
  assert.not.ok(off.has("k"));
  const small = new RememberedApprovals(60_000, () => now, 2);
  for (const k of ["a", "b", "c"]) small.remember(k);
  assert.equal(["a", "b", "c"].map((k) => small.has(k)), [false, true, true], "the oldest is forgotten first");
});

test("the approval form shows server, tool, rule and readable arguments, and asks one required choice", () => {
  const form = approvalForm({
    call: { server: "dev-fs", tool: "write_file", args: { path: "/tmp/a.md", content: "line1\nline2\u001b[31m", big: "x".repeat(1000) } },
    decision: { approval: "approve", risk: "medium", rule: "writes", index: 0 },
    policy: { hash: "sha256:abc", combine: "strictest", rules: [{ name: "writes", description: "A human confirms every write.", risk: "medium", approval: "approve" }] },
  });
  assert.match(form.message, /^Allow the tool call write_file on the MCP server dev-fs\?/);
  assert.match(form.message, /Policy rule writes \(risk medium\) asks for a human's approval: A human confirms every write\./);
  assert.match(form.message, /  path: "\/tmp\/a\.md"/);
  assert.match(form.message, /  content: "line1\\nline2\\u001b\[31m"/, "control characters stay escaped");
  assert.match(form.message, /  big: "x{299}… \(702 more characters, 1000 in all\)/);
  assert.equal(form.requestedSchema.required, ["decision"]);
  assert.equal(form.requestedSchema.properties.decision.enum, ["approve", "deny"]);
  assert.equal(form._meta["aegisc/call"], { server: "dev-fs", tool: "write_file", arguments: { path: "/tmp/a.md", content: "line1\nline2\u001b[31m", big: "x".repeat(1000) }, rule: "writes", risk: "medium", policy: "sha256:abc" });
  assert.equal(argumentSummary({}), ["Arguments: none"]);
  assert.is(argumentSummary(Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i]))).at(-1), "  … and 5 more arguments");
});

test("only an accepted form whose choice is approve approves", () => {
  assert.is(readApprovalAnswer({ action: "accept", content: { decision: "approve" } }), "approve");
  assert.is(readApprovalAnswer({ action: "accept", content: { decision: "deny" } }), "deny");
  assert.is(readApprovalAnswer({ action: "accept", content: { decision: "APPROVE" } }), "deny");
  assert.is(readApprovalAnswer({ action: "accept" }), "deny");
  assert.is(readApprovalAnswer({ action: "decline" }), "decline");
  assert.is(readApprovalAnswer({ action: "cancel" }), "cancel");
  assert.is(readApprovalAnswer({ action: "weird" }), "cancel");
});

test("tool names: plain with one server, <server>__<tool> with several, the first __ ends the server name", () => {
  const servers = [{ name: "dev-fs" }, { name: "prod_fs" }];
  const plain = new NameRouter([servers[0]], false);
  assert.is(plain.expose(servers[0], "read__file"), "read__file");
  assert.equal(plain.resolve("read__file"), { target: servers[0], name: "read__file" });
  const prefixed = new NameRouter(servers, true);
  assert.is(prefixed.expose(servers[1], "read__file"), "prod_fs__read__file");
  assert.equal(prefixed.resolve("prod_fs__read__file"), { target: servers[1], name: "read__file" });
  assert.is(prefixed.resolve("staging__read"), undefined);
  assert.is(prefixed.resolve("__read"), undefined);
  assert.is(prefixed.resolve("read"), undefined);
});

test("the line transport answers junk with JSON-RPC errors, survives an over-long line, and closes when its input ends", async () => {
  const input = new PassThrough();
  const out: string[] = [];
  const transport = new LineTransport(input, { write: (s: string) => out.push(s) }, { maxLineBytes: 64 });
  const messages: unknown[] = [];
  let closed = false;
  transport.onmessage = (m) => messages.push(m);
  transport.onclose = () => (closed = true);
  transport.onerror = () => undefined;
  await transport.start();
  input.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\r\n');
  input.write("not json\n");
  input.write('{"jsonrpc":"2.0","id":5,"result":"bad"}\n');
  input.write(`${"x".repeat(50)}`);
  input.write(`${"y".repeat(50)}\n`);
  input.write('{"jsonrpc":"2.0","id":"a","method":"ping"}\n{"jsonrpc":"2.0","id"');
  input.write(':"b","method":"ping"}\n');
  input.end();
  await new Promise<void>((resolve) => (closed ? resolve() : (transport.onclose = () => resolve())));
  assert.equal(messages, [
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: "a", method: "ping" },
    { jsonrpc: "2.0", id: "b", method: "ping" },
  ]);
  const answers = out.map((line) => JSON.parse(line) as { id: unknown; error: { code: number; message: string } });
  assert.equal(
    answers.map((a) => [a.id, a.error.code]),
    [
      [null, -32700],
      [null, -32700],
    ],
    "junk and the over-long line are answered; a malformed response is only logged",
  );
  assert.match(answers[1].error.message, /longer than 64 bytes/);
  await assert.not.throws(() => transport.close());
  await transport.send({ jsonrpc: "2.0", id: 1, result: {} }).then(
    () => assert.unreachable("sending after close fails"),
    (error: Error) => assert.match(error.message, /Not connected/),
  );
});

test("an over-long request is answered under its id when the id is at either end of the line (first, or last as the SDK writes it)", async () => {
  const input = new PassThrough();
  const out: string[] = [];
  const transport = new LineTransport(input, { write: (s: string) => out.push(s) }, { maxLineBytes: 64 });
  transport.onerror = () => undefined;
  await transport.start();
  input.write(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"${"a".repeat(100)}"}}\n`);
  input.write(`{"method":"tools/call","params":{"name":"${"b".repeat(70)}`);
  input.write(`${"b".repeat(70)}"},"jsonrpc":"2.0","id":"q-8"}\n`);
  input.write(`{"method":"x","params":"${"c".repeat(100)}"}\n`);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(out.map((line) => (JSON.parse(line) as { id: unknown }).id), [7, "q-8", null]);
  await transport.close();
});

test("the line transport's shortcut for plain requests accepts exactly what the SDK's schema accepts", async () => {
  const { JSONRPCMessageSchema } = await import("@modelcontextprotocol/sdk/types.js");
  const lines = [
    { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "t", arguments: { a: [1, { b: null }] } } },
    { jsonrpc: "2.0", id: "x", method: "tools/call", params: { name: "t", _meta: { progressToken: 7 } } },
    { jsonrpc: "2.0", id: 2, method: "ping" },
    { jsonrpc: "2.0", id: 2 ** 53, method: "ping" },
    { jsonrpc: "2.0", id: 1.5, method: "ping" },
    { jsonrpc: "2.0", id: null, method: "ping" },
    { jsonrpc: "1.0", id: 3, method: "ping" },
    { jsonrpc: "2.0", id: 4, method: "ping", extra: true },
    { jsonrpc: "2.0", id: 5, method: 5 },
    { jsonrpc: "2.0", id: 6, method: "ping", params: [] },
    { jsonrpc: "2.0", id: 7, method: "ping", params: null },
    { jsonrpc: "2.0", id: 8, method: "ping", params: { _meta: null } },
    { jsonrpc: "2.0", id: 9, method: "ping", params: { _meta: { progressToken: 1.5 } } },
    { jsonrpc: "2.0", id: 10, method: "ping", params: { _meta: { progressToken: "p", other: 1 } } },
    JSON.parse('{"jsonrpc":"2.0","id":11,"method":"ping","__proto__":{"x":1}}'),
  ];
  const input = new PassThrough();
  const transport = new LineTransport(input, { write: () => undefined });
  const messages: unknown[] = [];
  transport.onmessage = (m) => messages.push(m);
  transport.onerror = () => undefined;
  await transport.start();
  for (const line of lines) input.write(JSON.stringify(line) + "\n");
  await new Promise((resolve) => setImmediate(resolve));
  const accepted = lines.filter((line) => JSONRPCMessageSchema.safeParse(line).success);
  assert.equal(messages, accepted);
  await transport.close();
});

test("the runtime's main entry and its core never reach the proxy or the MCP SDK", () => {
  const src = join(repoRoot, "runtime", "src");
  const importsOf = (file: string): string[] =>
    [...readFileSync(join(src, file), "utf8").matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)].map((m) => m[1]);
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      assert.not.ok(specifier.includes("proxy") || specifier.includes("@modelcontextprotocol"), `${file} imports ${specifier}`);
      if (specifier.startsWith("./")) visit(specifier.slice(2));
    }
  };
  visit("index.ts");
  visit("core.ts");
  const pkg = JSON.parse(readFileSync(join(repoRoot, "runtime", "package.json"), "utf8")) as Record<string, Record<string, unknown>>;
  assert.equal(pkg.exports["./proxy"], { types: "./dist/proxy/index.d.ts", default: "./dist/proxy/index.js" });
  assert.equal(pkg.peerDependenciesMeta["@modelcontextprotocol/sdk"], { optional: true });
  assert.is(pkg.dependencies, undefined, "the runtime itself still has no dependencies");
  for (const file of readdirSync(join(src, "proxy"))) {
    const text = readFileSync(join(src, "proxy", file), "utf8");
    assert.match(text, /^\/\/ \S.*\n/, `${file} starts with a purpose comment`);
    for (const specifier of [...text.matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1])) {
      assert.ok(specifier.startsWith("./") || specifier.startsWith("../") || specifier.startsWith("node:") || specifier.startsWith("@modelcontextprotocol/sdk/"), `${file} imports ${specifier}`);
    }
  }
});

test.run();
