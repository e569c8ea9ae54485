// Faults: an audit file cut short or rewritten. A chain alone cannot see its tail cut off or every hash recomputed; --audit-key (HMAC seals) and --audit-head (an anchor kept outside the file) can, and audit verify --key/--head says so.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sealAuditLine } from "../../../runtime/src/audit-chain.ts";
import { run } from "../../cli/helpers.ts";
import { closeAllProxies, fakeServer, fixtures, inProcessProxy, resultText, tempDir } from "../helpers.ts";

const policy = join(fixtures, "fault-policy.yaml");
const root = tempDir();
const keyFile = join(root, "audit.key");
writeFileSync(keyFile, "3f9c1e0b7a6d5c4b3a29181706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c\n");
const headDir = join(root, "heads");
const auditDir = join(root, "audit");
const file = join(auditDir, "dev-fake.jsonl");
let lines: string[] = [];

const proxyArgs = (...extra: string[]) => ["--policy", policy, "--server-name", "dev-fake", "--audit-dir", auditDir, ...extra, "--", process.execPath, fakeServer, "dev-fake"];
const verify = (...args: string[]) => run(["audit", "verify", ...args], { env: { AEGISC_TEST_KEY: readFileSync(keyFile, "utf8").trim() } });
const write = (name: string, content: string[]) => {
  const path = join(root, name);
  writeFileSync(path, content.length ? content.join("\n") + "\n" : "");
  return path;
};
/** What someone without the key can do: recompute every seal, with SHA-256 or with a key of their own. */
const reseal = (records: string[], key?: string) => {
  let prev = "0".repeat(64);
  return records.map((line) => {
    const { line: sealed, hash } = sealAuditLine(JSON.parse(line), prev, key);
    prev = hash;
    return sealed;
  });
};

test.before(async () => {
  const proxy = await inProcessProxy(proxyArgs("--audit-key", `file:${keyFile}`, "--audit-head", headDir));
  for (const text of ["a", "b", "c"]) assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text } })), `dev-fake: ${text}`);
  await proxy.close();
  assert.match(proxy.stderr(), /audit head of .*dev-fake\.jsonl: \d+ bytes, last seal [0-9a-f]{64}/, "the head is logged at exit, a checkpoint outside the file");
  lines = readFileSync(file, "utf8").split("\n").slice(0, -1);
  assert.is(lines.length, 6);
  assert.ok(lines.every((l) => /,"hmac":"[0-9a-f]{64}"\}$/.test(l)), "every line is sealed with the key");
});

test.after(async () => {
  await closeAllProxies();
  rmSync(root, { recursive: true, force: true });
});

test("intact: --key checks every seal, --head finds the anchor; without --key the seals are said to be unchecked", async () => {
  const ok = await verify("--key", `file:${keyFile}`, "--head", headDir, file);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /6 records, chain intact, every seal checked under the key, reaches its head anchor \(\d+ bytes\)/);
  const env = await verify("--key", "env:AEGISC_TEST_KEY", file);
  assert.is(env.code, 0, env.stdout + env.stderr);
  const noKey = await verify(file);
  assert.is(noKey.code, 0);
  assert.match(noKey.stdout, /6 lines are sealed with a key \(hmac\) and not checked: give --key/);
});

test("the tail cut off, or the file emptied: the chain alone cannot tell, the head anchor can", async () => {
  const cut = write("cut.jsonl", lines.slice(0, 4));
  const head = join(headDir, "dev-fake.jsonl.head");
  const chainOnly = await verify("--key", `file:${keyFile}`, cut);
  assert.is(chainOnly.code, 0, "what a chain cannot see");
  const anchored = await verify("--key", `file:${keyFile}`, "--head", head, cut);
  assert.is(anchored.code, 1);
  assert.match(anchored.stdout, /FAIL  .*cut\.jsonl:4: the file has \d+ bytes, but its head anchor says \d+: records were cut off the end/);
  const emptied = await verify("--head", head, write("empty.jsonl", []));
  assert.is(emptied.code, 1);
  assert.match(emptied.stdout, /the file is empty, but its head anchor says \d+ bytes/);
});

test("a record edited and every seal recomputed: caught by the key (without it, or with another), and by the head anchor", async () => {
  const edited = lines.map((l, i) => (i === 2 ? l.replace('"text":"b"', '"text":"B"') : l));
  const plain = write("resealed-plain.jsonl", reseal(edited));
  const plainVerify = await verify("--key", `file:${keyFile}`, plain);
  assert.is(plainVerify.code, 1);
  assert.match(plainVerify.stdout, /resealed-plain\.jsonl:1: no line is sealed with a key/);
  const otherKey = write("resealed-other-key.jsonl", reseal(edited, "an attacker's own key, 32 bytes"));
  const otherVerify = await verify("--key", `file:${keyFile}`, otherKey);
  assert.is(otherVerify.code, 1);
  assert.match(otherVerify.stdout, /resealed-other-key\.jsonl:1: the hmac does not match the content under this key/);
  // Without a key in play at all, re-hashing passes the chain; only the anchor shows it.
  const unkeyed = write("unkeyed.jsonl", reseal(lines));
  const unkeyedEdited = write("unkeyed-edited.jsonl", reseal(edited));
  const head = write("unkeyed.head", [JSON.stringify({ bytes: readFileSync(unkeyed).length, hash: JSON.parse(reseal(lines)[5]).hash })]);
  assert.is((await verify("--head", head, unkeyed)).code, 0);
  assert.is((await verify(unkeyedEdited)).code, 0, "what a chain cannot see");
  const caught = await verify("--head", head, unkeyedEdited);
  assert.is(caught.code, 1);
  assert.match(caught.stdout, /unkeyed-edited\.jsonl:6: this line is not the anchored head \(its seal differs\): the file was rewritten or re-hashed up to here/);
});

test("the key is never taken from the command line; a missing head file is an error (exit 2)", async () => {
  const proxy = await inProcessProxy(proxyArgs("--audit-key", "3f9c1e0b7a6d5c4b3a29181706f5e4d3")).then(
    () => undefined,
    (error: Error) => error,
  );
  assert.instance(proxy, Error);
  const cli = await run(["proxy", ...proxyArgs("--audit-key", "hunter2hunter2hunter2")]);
  assert.is(cli.code, 2);
  assert.match(cli.stderr, /--audit-key: give where the key is, env:NAME or file:PATH; never the key itself/);
  const verifyInline = await verify("--key", "hunter2hunter2hunter2", file);
  assert.is(verifyInline.code, 2);
  const missing = await verify("--head", join(root, "no-such.head"), file);
  assert.is(missing.code, 2);
  assert.match(missing.stdout, /cannot read its head anchor/);
});

test("a proxy restarted on a file cut short keeps the old anchor beside (evidence) and starts a new head", async () => {
  writeFileSync(file, lines.slice(0, 2).join("\n") + "\n");
  const proxy = await inProcessProxy(proxyArgs("--audit-key", `file:${keyFile}`, "--audit-head", headDir));
  assert.is(resultText(await proxy.client.callTool({ name: "echo", arguments: { text: "d" } })), "dev-fake: d");
  await proxy.close();
  assert.match(proxy.stderr(), /does not reach its head anchor .*the old anchor is kept as .*dev-fake\.jsonl\.head\.\d{4}-/);
  const kept = readdirSync(headDir).filter((name) => name.startsWith("dev-fake.jsonl.head."));
  assert.is(kept.length, 1);
  const old = await verify("--key", `file:${keyFile}`, "--head", join(headDir, kept[0]), file);
  assert.is(old.code, 1, "the kept anchor still shows the cut");
  const current = await verify("--key", `file:${keyFile}`, "--head", headDir, file);
  assert.is(current.code, 0, current.stdout);
});

test.run();
