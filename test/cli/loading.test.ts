// Each command of the installed CLI (bin/aegisc.js → dist/) loads only what it uses: TypeScript only to emit JavaScript, the compiler not at all for a proxy with --guard.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { jsonlAudit } from "@aegisc/runtime";
import { repoRoot } from "./helpers.ts";

const bin = join(repoRoot, "bin/aegisc.js");
const recorder = pathToFileURL(join(repoRoot, "test/support/record-loads.mjs")).href;
const dir = mkdtempSync(join(tmpdir(), "aegisc-loading-"));
writeFileSync(join(dir, "policy.yaml"), readFileSync(join(repoRoot, "examples/quickstart/policy.yaml")));
let runs = 0;

const TYPESCRIPT = /\/node_modules\/(typescript|ts-morph|@ts-morph)\//;
/** What only compiling a policy needs (the light constants and helpers next to them are not counted): a proxy with --guard loads none of it. */
const COMPILER =
  /\/node_modules\/(typescript|ts-morph|@ts-morph|yaml|chevrotain|refa|scslre|fast-glob)\/|\/dist\/compiler\/(pipeline|compile-files|interpret|load\/(build-ir|parse-yaml|read-sources)|passes\/|analysis\/(analyze|region|string-set|rule-index)|codegen\/|semantics\/)|\/dist\/grammar\//;

function loadsOf(args: readonly string[]): { loads: string[]; status: number | null; stderr: string } {
  const file = join(dir, `loads-${runs++}.txt`);
  const result = spawnSync(process.execPath, ["--import", recorder, bin, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, AEGISC_LOADS_FILE: file } });
  return { loads: readFileSync(file, "utf8").split("\n").filter(Boolean), status: result.status, stderr: result.stderr };
}

/** The packages (or dist/ files) among `loads` that match `pattern`, for a readable failure. */
const matching = (loads: readonly string[], pattern: RegExp) =>
  [...new Set(loads.filter((l) => pattern.test(l)).map((l) => (l.includes("/node_modules/") ? l.replace(/^.*\/node_modules\//, "").split("/").slice(0, 2).join("/") : l.replace(/^.*\/dist\//, "dist/"))))];

test("the recorder sees TypeScript where it is loaded: build --emit js", () => {
  const { loads, status, stderr } = loadsOf(["build", "policy.yaml", "-o", "out-js", "--emit", "js"]);
  assert.is(status, 0, stderr);
  assert.ok(loads.some((l) => TYPESCRIPT.test(l)), "TypeScript is loaded to emit .js and .d.ts");
});

for (const args of [
  ["--version"],
  ["check", "policy.yaml"],
  ["check", "policy.yaml", "--format", "sarif"],
  ["explain", "policy.yaml", "--tool", "write_file", "--server", "prod-filesystem"],
  ["build", "policy.yaml", "-o", "out-ts"],
]) {
  test(`aegisc ${args.join(" ")} loads neither TypeScript nor ts-morph`, () => {
    const { loads, status, stderr } = loadsOf(args);
    assert.ok(status === 0, stderr);
    assert.equal(matching(loads, TYPESCRIPT), []);
  });
}

test("aegisc --version loads nothing of the compiler", () => {
  const { loads } = loadsOf(["--version"]);
  assert.equal(matching(loads, COMPILER), []);
});

test("aegisc audit verify loads nothing of the compiler", async () => {
  const audit = jsonlAudit({ dir: join(dir, "audit") });
  await audit.write({ time: new Date(0).toISOString(), server: "dev", tool: "read_file", args: {}, rule: "r", risk: "low", approval: "auto", human: null, status: "success" });
  const { loads, status, stderr } = loadsOf(["audit", "verify", join(dir, "audit/dev.jsonl")]);
  assert.is(status, 0, stderr);
  assert.equal(matching(loads, COMPILER), []);
});

test("aegisc proxy --guard runs a built guard without loading the compiler", async () => {
  const built = spawnSync(process.execPath, [bin, "build", "policy.yaml", "-o", "guard", "--emit", "js"], { cwd: dir, encoding: "utf8" });
  assert.is(built.status, 0, built.stderr);
  const file = join(dir, `loads-${runs++}.txt`);
  const server = join(repoRoot, "bench/minimal-mcp-server.mjs");
  const child = spawn(process.execPath, ["--import", recorder, bin, "proxy", "--guard", "guard/policy.guard.js", "--server-name", "dev", "--audit-dir", join(dir, "audit"), "--", process.execPath, server], {
    cwd: dir,
    env: { ...process.env, AEGISC_LOADS_FILE: file },
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d));
  const answered = new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => ((out += d), out.includes('"id":1') && resolve())));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }) + "\n");
  await Promise.race([answered, exited]);
  assert.match(out, /"result"/, err);
  child.stdin.end();
  assert.is(await exited, 0, err);
  const loads = readFileSync(file, "utf8").split("\n").filter(Boolean);
  assert.ok(loads.some((l) => l.includes("/guard/policy.guard.js")), "the guard was loaded");
  assert.equal(matching(loads, COMPILER), []);
});

test.run();
