// Several servers behind one proxy (aegisc.proxy.yaml): per-server rules and audit files, <server>__<tool> names, routing; config errors and usage errors.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { parseProxyConfig } from "../../compiler/proxy/config.ts";
import { run } from "../cli/helpers.ts";
import { closeAllProxies, deferred, fakeServer, fixtures, inProcessProxy, readAudit, resultText, tempDir, type ProxyConnection } from "./helpers.ts";

const root = tempDir();
const configFile = join(root, "aegisc.proxy.yaml");
writeFileSync(
  configFile,
  `# Two fake servers whose names select different rules.
policy: ${JSON.stringify(join(fixtures, "fake-policy.yaml"))}
audit_dir: audit
redact: [text]
servers:
  dev-fake:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(fakeServer)}, dev-fake]
  prod-fake:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(fakeServer)}, prod-fake]
`,
);
let proxy: ProxyConnection;

test.before(async () => {
  proxy = await inProcessProxy(["--config", configFile, "--hide-blocked"], { cwd: root });
});

test.after(async () => {
  await closeAllProxies();
  rmSync(root, { recursive: true, force: true });
});

test("tools of several servers are listed as <server>__<tool>; --hide-blocked applies per server", async () => {
  const names = (await proxy.client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes("dev-fake__echo") && names.includes("dev-fake__touch") && names.includes("prod-fake__touch"));
  assert.not.ok(names.includes("prod-fake__echo"), "the policy blocks echo on prod-* whatever the arguments");
  assert.not.ok(names.includes("echo"), "no unprefixed names");
  assert.is(proxy.client.getServerVersion()?.name, "aegisc-proxy");
  assert.match(proxy.client.getInstructions() ?? "", /## dev-fake\nThe fake server dev-fake\.[\s\S]*## prod-fake/);
});

test("each call is routed to its server and decided with that server's name", async () => {
  assert.is(resultText(await proxy.client.callTool({ name: "dev-fake__echo", arguments: { text: "hi" } })), "dev-fake: hi");
  const blocked = await proxy.client.callTool({ name: "prod-fake__echo", arguments: { text: "hi" } });
  assert.is(blocked.isError, true);
  assert.match(resultText(blocked), /Blocked by policy rule prod_echo_blocked \(risk: high\): Nothing echoes on production\. The call to echo on prod-fake/);
  const unknown = await proxy.client.callTool({ name: "staging-fake__echo", arguments: {} }).then(
    () => undefined,
    (error: Error & { code?: number }) => error,
  );
  assert.is(unknown?.code, -32602);
  assert.match(String(unknown?.message), /Unknown tool: staging-fake__echo; names are <server>__<tool> with a server among dev-fake, prod-fake/);
});

test("resources and prompts of both servers pass through, routed by URI and by prefixed name", async () => {
  const uris = (await proxy.client.listResources()).resources.map((r) => r.uri).sort();
  assert.equal(uris, ["fake://dev-fake/readme", "fake://prod-fake/readme"]);
  const read = await proxy.client.readResource({ uri: "fake://prod-fake/readme" });
  assert.is((read.contents[0] as { text: string }).text, "readme of prod-fake");
  const prompts = (await proxy.client.listPrompts()).prompts.map((p) => p.name).sort();
  assert.equal(prompts, ["dev-fake__greet", "prod-fake__greet"]);
  const prompt = await proxy.client.getPrompt({ name: "dev-fake__greet" });
  assert.is((prompt.messages[0].content as { text: string }).text, "hello from dev-fake");
});

test("one audit file per server, arguments redacted as the config says", () => {
  const dev = readAudit(join(root, "audit", "dev-fake.jsonl"));
  const prod = readAudit(join(root, "audit", "prod-fake.jsonl"));
  assert.equal(
    dev.map((r) => [r.server, r.tool, r.status, r.args.text]),
    [["dev-fake", "echo", "success", "[REDACTED]"]],
  );
  assert.equal(
    prod.map((r) => [r.server, r.tool, r.rule, r.status]),
    [["prod-fake", "echo", "prod_echo_blocked", "blocked"]],
  );
});

test("when one server exits, the client is told the tool list changed and the other server keeps working", async () => {
  const changed = deferred();
  proxy.client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed.resolve());
  await proxy.client.callTool({ name: "prod-fake__crash", arguments: {} }).catch(() => undefined);
  await changed.promise;
  const names = (await proxy.client.listTools()).tools.map((t) => t.name);
  assert.ok(names.every((n) => n.startsWith("dev-fake__")), names.join(", "));
  assert.is(resultText(await proxy.client.callTool({ name: "dev-fake__echo", arguments: { text: "alive" } })), "dev-fake: alive");
  const exit = await proxy.close();
  assert.is(exit.code, 0);
  assert.not.ok(existsSync(join(root, "audit", "dev-fake.jsonl.lock")));
});

test("config errors name the line, the column and the likely fix", () => {
  const { errors, config } = parseProxyConfig(
    `polcy: p.yaml
approval: ask
audit_key: 3f9c1e0b7a6d5c4b
servers:
  dev__fs:
    comand: node
  prod-fs:
    command: node
    args: [server.js, --port, 8080]
    env: { DEBUG: 1 }
`,
    "aegisc.proxy.yaml",
    "/srv",
  );
  assert.is(config, undefined);
  assert.equal(errors, [
    "aegisc.proxy.yaml:1:1: unknown key `polcy`; did you mean `policy`? (the keys are policy, guard, audit_dir, audit_fsync, audit_key, audit_head, approval, approval_timeout, remember_approvals, call_timeout, redact, hide_blocked, agent, servers)",
    "aegisc.proxy.yaml:2:11: approval must be deny or prompt, not \"ask\"",
    "aegisc.proxy.yaml:3:12: audit_key must say where the key is, env:NAME or file:PATH, never the key itself",
    'aegisc.proxy.yaml:5:3: with several servers, tools are named <server>__<tool>, so a server name is letters, digits, ".", "-" and single "_" (not "dev__fs")',
    "aegisc.proxy.yaml:6:5: unknown key `comand` in server dev__fs; did you mean `command`? (the keys are command, args, env, cwd, redact)",
    "aegisc.proxy.yaml:5:3: server dev__fs needs `command:`",
  ]);
});

test("a valid config: paths relative to the file, numbers in args kept as written", () => {
  const { errors, config } = parseProxyConfig(
    `policy: [policies/*.yaml]
audit_dir: ./audit
audit_fsync: true
audit_key: env:AEGISC_AUDIT_KEY
audit_head: ../heads
remember_approvals: 300
hide_blocked: true
servers:
  fs:
    command: npx
    args: [-y, server, --port, 8080]
    cwd: work
    env: { DEBUG: 1 }
`,
    "aegisc.proxy.yaml",
    "/srv/agents",
  );
  assert.equal(errors, []);
  assert.equal(config?.policy, ["policies/*.yaml"]);
  assert.is(config?.auditDir, "/srv/agents/audit");
  assert.is(config?.auditFsync, true);
  assert.is(config?.auditKey, "env:AEGISC_AUDIT_KEY");
  assert.is(config?.auditHead, "/srv/heads");
  assert.is(config?.rememberApprovals, 300);
  assert.is(config?.hideBlocked, true);
  assert.equal(config?.servers, [{ name: "fs", command: "npx", args: ["-y", "server", "--port", "8080"], cwd: "/srv/agents/work", env: { DEBUG: "1" } }]);
});

test("usage errors exit 2 with a message; policy errors exit 1 before anything starts", async () => {
  const noCommand = await run(["proxy", "--policy", "p.yaml", "--server-name", "fs"]);
  assert.is(noCommand.code, 2);
  assert.match(noCommand.stderr, /no server command: put it after --/);
  const noName = await run(["proxy", "--policy", "p.yaml", "--", "node", "server.js"]);
  assert.is(noName.code, 2);
  assert.match(noName.stderr, /--server-name is required/);
  const both = await run(["proxy", "--config", configFile, "--", "node", "server.js"]);
  assert.is(both.code, 2);
  assert.match(both.stderr, /either after -- or in the config file/);
  const badRedact = await run(["proxy", "--policy", "p.yaml", "--server-name", "fs", "--redact", "a[", "--", "node"]);
  assert.is(badRedact.code, 2);
  assert.match(badRedact.stderr, /invalid --redact path "a\[": unclosed \[/);
  const badSeconds = await run(["proxy", "--remember-approvals", "soon"]);
  assert.is(badSeconds.code, 2);
  const missingPolicy = await run(["proxy", "--policy", join(root, "missing.yaml"), "--server-name", "fs", "--audit-dir", root, "--", "node"]);
  assert.is(missingPolicy.code, 2);
  writeFileSync(join(root, "bad.yaml"), 'version: "1"\nrules:\n  - name: x\n    approval: sometimes\n');
  const badPolicy = await run(["proxy", "--policy", join(root, "bad.yaml"), "--server-name", "fs", "--audit-dir", root, "--", "node"]);
  assert.is(badPolicy.code, 1);
  assert.match(badPolicy.stderr, /the policy has errors; not starting/);
  const missingConfig = await run(["proxy", "--config", join(root, "nope.yaml")]);
  assert.is(missingConfig.code, 2);
  assert.match(missingConfig.stderr, /cannot read the proxy config: no such file/);
});

test.run();
