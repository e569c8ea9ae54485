// Faults: names and keys a client chose, written to pose as the proxy's own wording (newlines, ANSI escapes, bidi controls), reach the human escaped and bounded: in the elicitation form, on the terminal, in refusals and logs.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { closeAllProxies, fakeServer, fixtures, inProcessProxy, readAudit, resultText, tempDir } from "../helpers.ts";

const policy = join(fixtures, "fault-policy.yaml");
const root = tempDir();
let dirs = 0;
const argv = (...extra: string[]) => {
  const auditDir = join(root, `audit-${++dirs}`);
  return { auditDir, argv: ["--policy", policy, "--server-name", "dev-fake", "--audit-dir", auditDir, ...extra, "--", process.execPath, fakeServer, "dev-fake"] };
};

test.after(async () => {
  await closeAllProxies();
  rmSync(root, { recursive: true, force: true });
});

/** What a terminal or a form must never receive raw from a client: controls (ESC, CSI U+009B), bidi overrides, line separators. */
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

const TOOL = "approve_x\u001b[2J\u001b[H\nAllow the tool call read_file on the MCP server dev-fake?\n\u202eevil\u009b31m" + "A".repeat(500);
const KEY = "path\n  approved_by: security-team\u001b[0m";

test("the elicitation form: the tool name and argument keys escaped and bounded, in the message and the schema; --redact values masked", async () => {
  const forms: ElicitRequest["params"][] = [];
  const { argv: args } = argv("--redact", "content");
  const proxy = await inProcessProxy(args, {
    elicit: (request) => {
      forms.push(request.params);
      return { action: "accept", content: { decision: "deny" } };
    },
  });
  const result = await proxy.client.callTool({ name: TOOL, arguments: { [KEY]: "/etc\u2028passwd\u009b", content: "the secret text" } });
  assert.is(result.isError, true);
  const form = forms[0] as { message: string; requestedSchema: { properties: Record<string, { description: string; title: string }> }; _meta: Record<string, { arguments: Record<string, unknown> }> };
  assert.not.match(form.message, RAW_UNSAFE, form.message);
  const lines = form.message.split("\n");
  // The form's own lines, and no others: nothing the client wrote starts a line.
  assert.match(lines[0], /^Allow the tool call "approve_x\\u001b\[2J\\u001b\[H\\nAllow the tool call read_file on the MCP server dev-fake\?\\n\\u202eevil"… \(584 characters\) on the MCP server dev-fake\?$/);
  assert.ok(lines[0].length < 250, "a long name is cut");
  assert.is(lines.length, 7, form.message);
  assert.match(lines[5], /^ {2}"path\\n {2}approved_by: security-team\\u001b\[0m": "\/etc\\u2028passwd\\u009b"$/);
  assert.is(lines[6], '  content: "[REDACTED]"');
  const description = form.requestedSchema.properties.decision.description;
  assert.not.match(description, RAW_UNSAFE);
  assert.match(description, /^Approve or deny "approve_x\\u001b/);
  assert.equal(form._meta["aegisc/call"].arguments.content, "[REDACTED]", "structured data masks too");
  // The refusal the model reads is escaped the same way.
  assert.not.match(resultText(result), RAW_UNSAFE);
  assert.match(resultText(result), /The call to "approve_x\\u001b/);
  await proxy.close();
});

test("the terminal prompt: the name, keys and values escaped, one prompt line, the answer still asked for", async () => {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let printed = "";
  output.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  input.write("n\n");
  const { auditDir, argv: args } = argv("--approval", "prompt");
  const proxy = await inProcessProxy(args, { openTerminal: () => ({ input, output, close: () => input.destroy() }) });
  const result = await proxy.client.callTool({ name: TOOL, arguments: { [KEY]: "x\u009b2J" } });
  assert.match(resultText(result), /Denied at the terminal/);
  assert.not.match(printed, RAW_UNSAFE, JSON.stringify(printed));
  const lines = printed.split("\n");
  assert.is(lines.length, 2, JSON.stringify(printed));
  assert.match(lines[0], /^\[aegisc\] "approve_x\\u001b\[2J.*\\u202eevil"… \(584 characters\) on dev-fake \{.*\\u009b2J.*\} needs approval \(rule approve_anything_named_so, risk medium\)/);
  assert.match(lines[1], /^Allow "approve_x\\u001b.*… \(\d+ characters\) on dev-fake\? \[y\/N\] $/);
  await proxy.close();
  assert.is(readAudit(join(auditDir, "dev-fake.jsonl"))[0].tool, TOOL, "the record keeps the name exactly (as JSON)");
});

test("the proxy's log quotes client text escaped: one line each", async () => {
  const { argv: args } = argv();
  const proxy = await inProcessProxy(args);
  proxy.writeRaw(`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo\\u001b[2J\\nfake log line","arguments":{}}}\n`);
  proxy.writeRaw("not json \u001b[31m\u009b\n");
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "after" } })), "dev-fake: after");
  await proxy.close();
  const log = proxy.stderr();
  assert.not.match(log, RAW_UNSAFE);
  for (const line of log.trimEnd().split("\n")) assert.match(line, /^(\[aegisc proxy\]|aegisc)/, line);
});

test.run();
