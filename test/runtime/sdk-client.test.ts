// wrapClient around a real MCP SDK Client talking to an in-memory MCP server: the structural type fits the SDK.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { z } from "zod";
import { createGuard, memoryAudit, wrapClient } from "../../runtime/src/index.ts";
import * as guard from "./quickstart-guard.ts";

async function connected() {
  const calls: string[] = [];
  const server = new McpServer({ name: "fs", version: "1.0.0" });
  const pathArg = { path: z.string() };
  server.registerTool("read_file", { inputSchema: pathArg }, async ({ path }) => {
    calls.push(`read ${path}`);
    return { content: [{ type: "text", text: `contents of ${path}` }] };
  });
  server.registerTool("delete_file", { inputSchema: pathArg }, async ({ path }) => {
    calls.push(`delete ${path}`);
    return { content: [{ type: "text", text: "deleted" }] };
  });
  server.registerTool("list_missing", { inputSchema: pathArg }, async ({ path }) => ({ isError: true, content: [{ type: "text", text: `no such directory ${path}` }] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(clientSide);
  const audit = memoryAudit();
  const governed: Client = wrapClient(client, createGuard({ ...guard, audit }), { server: "dev-filesystem" });
  return { governed, calls, audit, close: () => client.close() };
}

test("a real Client: allowed calls reach the server, blocked ones do not, other methods work", async () => {
  const { governed, calls, audit, close } = await connected();
  try {
    const tools = await governed.listTools();
    assert.equal(tools.tools.map((t) => t.name).sort(), ["delete_file", "list_missing", "read_file"]);

    const read = await governed.callTool({ name: "read_file", arguments: { path: "/data/a" } });
    assert.equal(read.content, [{ type: "text", text: "contents of /data/a" }]);

    const del = await governed.callTool({ name: "delete_file", arguments: { path: "/data/a" } });
    assert.is(del.isError, true);
    assert.match(JSON.stringify(del.content), /mcp_delete/);

    const missing = await governed.callTool({ name: "list_missing", arguments: { path: "/nope" } });
    assert.is(missing.isError, true);

    assert.equal(calls, ["read /data/a"]);
    assert.equal(audit.records.map((r) => [r.tool, r.status, r.error ?? null]), [
      ["read_file", "success", null],
      ["delete_file", "blocked", "Blocked by policy rule: mcp_delete — Deleting files is irreversible."],
      ["list_missing", "failed", "no such directory /nope"],
    ]);
    assert.ok(governed.getServerVersion()?.name === "fs");
  } finally {
    await close();
  }
});

test.run();
