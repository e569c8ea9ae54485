// Tests for the MCP adapters: the seed's govern/filter helpers and wrapClient around a fake client.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createGuard, governMcpToolCall, McpToolFilter, memoryAudit, wrapClient, type RuntimeOptions, type ToolCall } from "../../runtime/src/index.ts";
import * as guard from "./quickstart-guard.ts";

function setup(options: Partial<RuntimeOptions> = {}) {
  const audit = memoryAudit();
  const executed: ToolCall[] = [];
  const runtime = createGuard({ ...guard, audit, executor: (call) => (executed.push(call), "done"), ...options });
  return { runtime, audit, executed };
}

test("governMcpToolCall: the seed's first two calls (read allowed, delete blocked)", async () => {
  const { runtime, executed, audit } = setup();
  const read = await governMcpToolCall(runtime, { toolName: "read_file", arguments: { path: "/data/report.csv" }, serverName: "dev-filesystem" });
  assert.is(read.ok, true);
  assert.is(read.status, "success");
  assert.is(read.value, "done");
  const del = await governMcpToolCall(runtime, { toolName: "delete_file", arguments: { path: "/data/report.csv" }, serverName: "dev-filesystem" });
  assert.is(del.ok, false);
  assert.is(del.status, "blocked");
  assert.match(del.error ?? "", /^Blocked by policy rule: mcp_delete/);
  assert.equal(executed.map((c) => c.tool), ["read_file"]);
  assert.equal(executed[0].args, { path: "/data/report.csv" });
  assert.equal(audit.records.map((r) => [r.server, r.tool, r.status]), [
    ["dev-filesystem", "read_file", "success"],
    ["dev-filesystem", "delete_file", "blocked"],
  ]);
});

test("governMcpToolCall: server defaults to 'default', arguments to {}", async () => {
  const { runtime, executed } = setup();
  await governMcpToolCall(runtime, { toolName: "list_directory" });
  assert.equal(executed[0], { server: "default", tool: "list_directory", args: {}, time: executed[0].time });
});

test("governMcpToolCall: approve asks the approver (default: deny)", async () => {
  const { runtime, executed } = setup();
  const result = await governMcpToolCall(runtime, { toolName: "write_file", serverName: "dev-filesystem" });
  assert.is(result.status, "denied");
  assert.is(result.error, "Denied by human operator");
  assert.is(executed.length, 0);
});

test("McpToolFilter.check: the seed's third call is blocked; approve counts as ok; nothing runs or is audited", async () => {
  let asked = 0;
  const { runtime, executed, audit } = setup({ approver: () => (asked++, true) });
  const filter = new McpToolFilter(runtime);
  const prod = await filter.check({ server: "prod-filesystem", tool: "write_file" });
  assert.is(prod.ok, false);
  assert.is(prod.status, "blocked");
  assert.is(prod.decision.rule, "prod_fs_block");
  const devWrite = await filter.check({ server: "dev-filesystem", tool: "write_file", arguments: { path: "/x" } });
  assert.is(devWrite.ok, true);
  assert.is(devWrite.status, "approval_required");
  const devRead = await filter.check({ server: "dev-filesystem", tool: "read_file" });
  assert.is(devRead.ok, true);
  assert.is(devRead.status, "allowed");
  assert.is(asked, 0);
  assert.is(executed.length, 0);
  assert.is(audit.records.length, 0);
});

test("McpToolFilter.callTool is a governed run through the runtime's executor", async () => {
  const { runtime, executed, audit } = setup({ approver: () => true });
  const filter = new McpToolFilter(runtime);
  const result = await filter.callTool({ server: "dev-filesystem", tool: "write_file", arguments: { path: "/x" } });
  assert.is(result.status, "success");
  assert.equal(executed.map((c) => [c.server, c.tool, c.args]), [["dev-filesystem", "write_file", { path: "/x" }]]);
  assert.is(audit.records[0].human, "approved");
});

/** A stand-in for the MCP SDK Client: private state, getters, other methods that rely on `this`. */
class FakeClient {
  #connected = true;
  readonly forwarded: { name: string; arguments?: Record<string, unknown> }[] = [];
  readonly extras: unknown[][] = [];
  label = "fake";
  failWith?: unknown;
  reply: unknown = undefined;

  get connected(): boolean {
    return this.#connected;
  }
  set connected(value: boolean) {
    this.#connected = value;
  }

  async callTool(params: { name: string; arguments?: Record<string, unknown> }, resultSchema?: unknown, options?: unknown): Promise<unknown> {
    if (!this.#connected) throw new Error("not connected");
    this.forwarded.push(params);
    this.extras.push([resultSchema, options]);
    if (this.failWith !== undefined) throw this.failWith;
    return this.reply ?? { content: [{ type: "text", text: `ran ${params.name}` }] };
  }

  async listTools(): Promise<{ tools: { name: string }[] }> {
    return { tools: [{ name: `tools of ${this.label}` }] };
  }

  async close(): Promise<void> {
    this.#connected = false;
  }
}

function wrapped(options: Partial<RuntimeOptions> = {}, server = "dev-filesystem") {
  const client = new FakeClient();
  const { runtime, audit } = setup(options);
  return { client, audit, governed: wrapClient(client, runtime, { server, agent: "assistant" }) };
}

test("wrapClient: auto is forwarded unchanged, with every argument", async () => {
  const { client, governed, audit } = wrapped();
  const schema = { schema: true };
  const options = { timeout: 5 };
  const result = await governed.callTool({ name: "read_file", arguments: { path: "/a" } }, schema, options);
  assert.equal(result, { content: [{ type: "text", text: "ran read_file" }] });
  assert.equal(client.forwarded, [{ name: "read_file", arguments: { path: "/a" } }]);
  assert.is(client.extras[0][0], schema);
  assert.is(client.extras[0][1], options);
  assert.equal(audit.records.map((r) => [r.tool, r.agent, r.status]), [["read_file", "assistant", "success"]]);
});

test("wrapClient: the forwarded result is the very same object", async () => {
  const { client, governed } = wrapped();
  const reply = { content: [], structuredContent: { n: 1 } };
  client.reply = reply;
  assert.is(await governed.callTool({ name: "read_file" }), reply);
});

test("wrapClient: block is not forwarded and resolves to an isError result naming rule, risk and description", async () => {
  const { client, governed, audit } = wrapped();
  const result = (await governed.callTool({ name: "delete_file", arguments: { path: "/a" } })) as { isError: boolean; content: { type: string; text: string }[] };
  assert.is(client.forwarded.length, 0);
  assert.is(result.isError, true);
  assert.is(result.content.length, 1);
  assert.is(result.content[0].type, "text");
  const text = result.content[0].text;
  assert.match(text, /mcp_delete/);
  assert.match(text, /critical/);
  assert.match(text, /Deleting files is irreversible/);
  assert.match(text, /delete_file/);
  assert.is(audit.records[0].status, "blocked");
});

test("wrapClient: approve asks, then forwards or refuses", async () => {
  const approved = wrapped({ approver: () => true });
  await approved.governed.callTool({ name: "write_file" });
  assert.is(approved.client.forwarded.length, 1);

  const denied = wrapped({ approver: () => false });
  const result = (await denied.governed.callTool({ name: "write_file" })) as { isError: boolean; content: { text: string }[] };
  assert.is(denied.client.forwarded.length, 0);
  assert.is(result.isError, true);
  assert.match(result.content[0].text, /Denied by human operator/);
  assert.match(result.content[0].text, /mcp_write/);
  assert.match(result.content[0].text, /medium/);
  assert.match(result.content[0].text, /Writes need a human/);
  assert.is(denied.audit.records[0].human, "denied");
});

test("wrapClient: a downstream error is audited as failed and rethrown as is", async () => {
  const { client, governed, audit } = wrapped();
  const failure = new Error("server crashed");
  client.failWith = failure;
  try {
    await governed.callTool({ name: "read_file" });
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.is(error, failure);
  }
  assert.is(audit.records[0].status, "failed");
  assert.is(audit.records[0].error, "server crashed");
});

test("wrapClient: an isError result from the server is audited as failed but returned unchanged", async () => {
  const { client, governed, audit } = wrapped();
  const reply = { isError: true, content: [{ type: "text", text: "ENOENT: /a" }] };
  client.reply = reply;
  assert.is(await governed.callTool({ name: "read_file" }), reply);
  assert.is(audit.records[0].status, "failed");
  assert.is(audit.records[0].error, "ENOENT: /a");
});

test("wrapClient: a failed audit write withholds the result by throwing", async () => {
  const client = new FakeClient();
  const runtime = createGuard({
    ...guard,
    audit: {
      write: () => {
        throw new Error("disk full");
      },
    },
  });
  const governed = wrapClient(client, runtime, { server: "dev-filesystem" });
  const outcome = await governed.callTool({ name: "read_file" }).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  assert.not.ok("value" in outcome, "the un-audited result is not handed out");
  assert.match(String((outcome as { error: unknown }).error), /Audit write failed: disk full/);
  assert.is(client.forwarded.length, 1);
});

test("wrapClient: a failing decide blocks without forwarding", async () => {
  const client = new FakeClient();
  const runtime = createGuard({
    decide: () => {
      throw new Error("boom");
    },
  });
  const result = (await wrapClient(client, runtime, { server: "s" }).callTool({ name: "read_file" })) as { isError: boolean; content: { text: string }[] };
  assert.is(result.isError, true);
  assert.match(result.content[0].text, /<error>/);
  assert.match(result.content[0].text, /boom/);
  assert.is(client.forwarded.length, 0);
});

test("wrapClient: other members pass through with `this` bound to the client", async () => {
  const { client, governed } = wrapped();
  assert.is(governed.label, "fake");
  assert.is(governed.connected, true, "getter reading a private field");
  const { listTools } = governed;
  assert.equal(await listTools(), { tools: [{ name: "tools of fake" }] }, "detached method keeps its client");
  assert.is(governed.listTools, governed.listTools, "stable identity");
  governed.label = "renamed";
  assert.is(client.label, "renamed");
  await governed.close();
  assert.is(client.connected, false);
  governed.connected = true;
  assert.is(client.connected, true, "setter writing a private field");
  assert.ok(governed instanceof FakeClient);
  assert.is(client.callTool.name, "callTool", "the client itself is not modified");
});

test("wrapClient: the policy sees the wrapper's server, not one from the call", async () => {
  const prod = wrapped({}, "prod-filesystem");
  const result = (await prod.governed.callTool({ name: "read_file" })) as { isError?: boolean };
  assert.is(result.isError, true);
  assert.is(prod.client.forwarded.length, 0);
  assert.is(prod.audit.records[0].rule, "prod_fs_block");
});

test.run();
