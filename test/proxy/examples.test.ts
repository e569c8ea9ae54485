// The documented examples work as written: examples/proxy's client config snippet and aegisc.proxy.yaml, with the
// real filesystem server run from node_modules instead of npx and /home/me paths replaced by temporary folders.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseProxyConfig } from "../../compiler/proxy/config.ts";
import { closeAllProxies, filesystemServer, inProcessProxy, readAudit, repoRoot, resultText, spawnProxy, tempDir, writeFiles } from "./helpers.ts";

const examples = join(repoRoot, "examples", "proxy");
const root = tempDir();
const projects = join(root, "projects");
const www = join(root, "www");
writeFiles(projects, { "notes.md": "# Notes\n" });
writeFiles(www, { "index.html": "<h1>prod</h1>\n" });

/** What the documentation's placeholders stand for on this machine. */
function localize(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "npx" && args[i + 1] === "-y" && args[i + 2] === "@modelcontextprotocol/server-filesystem") {
      out.push(process.execPath, filesystemServer);
      i += 2;
    } else if (args[i] === "-y" && args[i + 1] === "@modelcontextprotocol/server-filesystem") {
      out.push(filesystemServer);
      i += 1;
    } else {
      out.push(args[i].replace("/home/me/aegisc/policy.yaml", join(examples, "policy.yaml")).replace("/home/me/aegisc/audit", join(root, "audit")).replace("/home/me/projects", projects).replace("/srv/www", www));
    }
  }
  return out;
}

test.after(async () => {
  await closeAllProxies();
  rmSync(root, { recursive: true, force: true });
});

test("the MCP client config snippet runs as written: allowed, hidden, approved and blocked calls, redacted audit", async () => {
  const snippet = JSON.parse(readFileSync(join(examples, "mcp-client-config.json"), "utf8")) as { mcpServers: Record<string, { command: string; args: string[] }> };
  const entry = snippet.mcpServers.filesystem;
  assert.is(entry.command, "aegisc");
  assert.is(entry.args[0], "proxy");
  const proxy = await spawnProxy(localize(entry.args.slice(1)), { elicit: () => ({ action: "accept", content: { decision: "approve" } }) });
  const tools = (await proxy.client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes("read_text_file") && tools.includes("write_file") && !tools.includes("move_file"));
  assert.is(resultText(await proxy.client.callTool({ name: "read_text_file", arguments: { path: join(projects, "notes.md") } })), "# Notes\n");
  const write = await proxy.client.callTool({ name: "write_file", arguments: { path: join(projects, "todo.md"), content: "- ship it\n" } });
  assert.not.ok(write.isError, resultText(write));
  assert.is(readFileSync(join(projects, "todo.md"), "utf8"), "- ship it\n");
  const secret = await proxy.client.callTool({ name: "read_text_file", arguments: { path: join(projects, ".env") } });
  assert.match(resultText(secret), /Blocked by policy rule no_secret_reads \(risk: critical\)/);
  await proxy.close();
  const records = readAudit(join(root, "audit", "dev-filesystem.jsonl"));
  assert.equal(
    records.map((r) => [r.tool, r.rule, r.status, r.via ?? null]),
    [
      ["read_text_file", "reads_run", "success", null],
      ["write_file", "dev_changes_need_review", "success", "elicitation"],
      ["read_text_file", "no_secret_reads", "blocked", null],
    ],
  );
  assert.is(records[1].args.content, "[REDACTED]");
});

test("aegisc.proxy.yaml runs as written: dev writes ask a human, prod writes are refused and hidden", async () => {
  const text = readFileSync(join(examples, "aegisc.proxy.yaml"), "utf8");
  const parsed = parseProxyConfig(text, "aegisc.proxy.yaml", examples);
  assert.equal(parsed.errors, []);
  assert.equal(
    parsed.config?.servers.map((s) => s.name),
    ["dev-filesystem", "prod-filesystem"],
  );
  const dir = join(root, "config");
  writeFiles(dir, { "policy.yaml": readFileSync(join(examples, "policy.yaml"), "utf8") });
  const local = text.replace(/args: (\[.*\])/g, (_all, list: string) => `args: ${JSON.stringify(localize(JSON.parse(list) as string[]))}`).replace(/command: npx/g, `command: ${JSON.stringify(process.execPath)}`);
  writeFileSync(join(dir, "aegisc.proxy.yaml"), local);
  const proxy = await inProcessProxy(["--config", join(dir, "aegisc.proxy.yaml")], { elicit: () => ({ action: "accept", content: { decision: "approve" } }) });
  const tools = (await proxy.client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes("dev-filesystem__write_file") && tools.includes("prod-filesystem__read_text_file"));
  assert.not.ok(tools.includes("prod-filesystem__write_file"), "prod writes are blocked whatever the arguments, so hidden");
  const dev = await proxy.client.callTool({ name: "dev-filesystem__write_file", arguments: { path: join(projects, "dev.md"), content: "x" } });
  assert.not.ok(dev.isError, resultText(dev));
  const prod = await proxy.client.callTool({ name: "prod-filesystem__write_file", arguments: { path: join(www, "index.html"), content: "defaced" } });
  assert.match(resultText(prod), /Blocked by policy rule prod_is_read_only \(risk: critical\): Production files are never changed by an agent/);
  assert.is(readFileSync(join(www, "index.html"), "utf8"), "<h1>prod</h1>\n");
  await proxy.close();
  assert.equal(readAudit(join(dir, "audit", "prod-filesystem.jsonl")).map((r) => [r.tool, r.status, r.args.content]), [["write_file", "blocked", "[REDACTED]"]]);
});

test.run();
