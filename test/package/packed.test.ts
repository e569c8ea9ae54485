// The packages as a user gets them: both tarballs from `npm pack`, installed into a fresh `npm init -y` project, used there through npx, plain Node, the library API and plain tsc.

import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { repoRoot } from "../cli/helpers.ts";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const require = createRequire(import.meta.url);
const filesystemServer = require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const tsc = require.resolve("typescript/bin/tsc");
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

const root = mkdtempSync(join(tmpdir(), "aegisc-package-"));
const app = join(root, "app");
const tarballs = join(root, "tarballs");

function sh(command: string, args: readonly string[], cwd = app): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.is(result.status, 0, `${what} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** `npx aegisc …` inside the app, as a user's npm script runs it. */
const aegisc = (...args: string[]) => sh(npm, ["exec", "--no", "--", "aegisc", ...args]);

test.before(() => {
  mkdirSync(app, { recursive: true });
  mkdirSync(tarballs);
  // The test runner has just built dist/; packing must not rebuild it under the other suites' feet.
  ok(sh(npm, ["pack", "--ignore-scripts", "--pack-destination", tarballs], repoRoot), "npm pack");
  ok(sh(npm, ["pack", "--ignore-scripts", "--workspace", "runtime", "--pack-destination", tarballs], repoRoot), "npm pack -w runtime");
  ok(sh(npm, ["init", "-y"]), "npm init -y");
  const tarball = (prefix: string) => join(tarballs, readdirSync(tarballs).find((f) => f.startsWith(prefix))!);
  const install = ["--prefer-offline", "--no-audit", "--no-fund"];
  // As the README's install section says: the runtime as a dependency, then the compiler as a dev dependency.
  ok(sh(npm, ["install", ...install, tarball("aegisc-runtime-")]), "npm i <runtime tarball>");
  ok(sh(npm, ["install", "-D", ...install, tarball(`aegisc-${version}`)]), "npm i -D <aegisc tarball>");
  // @types/node is what any Node TypeScript project has.
  ok(sh(npm, ["install", "-D", ...install, "@types/node@20"]), "npm i -D @types/node");
  writeFileSync(join(app, "policy.yaml"), readFileSync(join(repoRoot, "examples/quickstart/policy.yaml")));
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test("the tarballs hold compiled JavaScript with declarations, no TypeScript sources and no bench code", () => {
  for (const [pkg, dir] of [
    ["aegisc", join(app, "node_modules/aegisc")],
    ["@aegisc/runtime", join(app, "node_modules/@aegisc/runtime")],
  ] as const) {
    const files = execFileSync("find", [".", "-type", "f"], { cwd: dir, encoding: "utf8" }).split("\n").filter(Boolean);
    const sources = files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
    assert.equal(sources, [], `${pkg} ships TypeScript sources`);
    assert.not.ok(files.some((f) => /bench|tsbuildinfo/.test(f)), `${pkg} ships bench code or build info: ${files.filter((f) => /bench|tsbuildinfo/.test(f))}`);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { exports: Record<string, unknown>; dependencies?: Record<string, string> };
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (typeof target === "string") continue;
      const { types, default: js } = target as { types: string; default: string };
      assert.ok(files.includes(types) && files.includes(js), `${pkg} export ${entry} points at missing files`);
    }
    assert.not.ok(manifest.dependencies?.tsx, `${pkg} depends on tsx`);
  }
  // The versions move together: the compiler names the runtime's exact version, and reaches it by name, installed once beside it.
  const runtimeVersion = (JSON.parse(readFileSync(join(repoRoot, "runtime/package.json"), "utf8")) as { version: string }).version;
  const compilerManifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  assert.is(runtimeVersion, version);
  assert.is(compilerManifest.dependencies["@aegisc/runtime"], version);
  assert.equal(readdirSync(join(app, "node_modules/aegisc")).filter((f) => f === "node_modules"), []);
});

test("npx aegisc --version, build, check and explain", () => {
  assert.is(ok(aegisc("--version"), "--version").trim(), version);

  ok(aegisc("build", "policy.yaml", "-o", "guard", "--emit", "both"), "build");
  // The installed compiler emits exactly what the sources emit (the golden), without TypeScript loaded.
  assert.is(readFileSync(join(app, "guard/policy.guard.ts"), "utf8"), readFileSync(join(repoRoot, "test/codegen/golden/seed.guard.ts"), "utf8"));
  assert.equal(readdirSync(join(app, "guard")).sort(), ["policy.guard.d.ts", "policy.guard.js", "policy.guard.ts"]);

  const check = aegisc("check", "policy.yaml", "--format", "json");
  const report = JSON.parse(ok(check, "check")) as { findings: { kind: string }[]; summary: { errors: number } };
  assert.is(report.summary.errors, 0);
  assert.ok(report.findings.some((f) => f.kind === "shadowed" || f.kind === "overlap"), "the seed's findings are reported");

  const explained = JSON.parse(ok(aegisc("explain", "policy.yaml", "--tool", "write_file", "--server", "prod-filesystem", "--format", "json"), "explain")) as {
    decision: { approval: string; rule: string };
  };
  assert.equal([explained.decision.approval, explained.decision.rule], ["block", "prod_fs_block"]);
});

test("a plain .mjs agent imports the guard, @aegisc/runtime, @aegisc/runtime/proxy and the library API", () => {
  writeFileSync(
    join(app, "agent.mjs"),
    `import { decide, POLICY } from "./guard/policy.guard.js";
import { createGuard, verifyAuditLog } from "@aegisc/runtime";
import { createGuard as coreGuard } from "@aegisc/runtime/core";
import { startProxy } from "@aegisc/runtime/proxy";
import { compileFiles, decide as interpret, emitGuardFiles, COMPILER_VERSION } from "aegisc";

const runtime = createGuard({ decide, POLICY });
const checked = runtime.check({ server: "prod-filesystem", tool: "write_file" });
const compiled = await compileFiles(["policy.yaml"]);
const call = { server: "dev-filesystem", tool: "list_directory" };
console.log(JSON.stringify({
  status: checked.status,
  rule: checked.decision.rule,
  same: JSON.stringify(interpret(compiled.policy, call)) === JSON.stringify(decide(call)),
  hash: compiled.policy.hash === POLICY.hash,
  emitted: emitGuardFiles(compiled.policy, "policy", "ts")[0].fileName,
  version: COMPILER_VERSION,
  kinds: [typeof startProxy, typeof verifyAuditLog, typeof coreGuard],
}));
`,
  );
  const result = sh(process.execPath, ["agent.mjs"]);
  assert.is(result.stderr, "", "no warning or error");
  assert.equal(JSON.parse(ok(result, "agent.mjs")), {
    status: "blocked",
    rule: "prod_fs_block",
    same: true,
    hash: true,
    emitted: "policy.guard.ts",
    version,
    kinds: ["function", "function", "function"],
  });
});

test("a TypeScript consumer type-checks with plain tsc (nodenext, strict, no allowImportingTsExtensions)", () => {
  mkdirSync(join(app, "ts"), { recursive: true });
  writeFileSync(
    join(app, "ts/consumer.mts"),
    `import { decide, POLICY, type Decision } from "../guard/policy.guard.js";
import { createGuard, jsonlAudit, type GuardModule, type RunResult } from "@aegisc/runtime";
import { startProxy, type ProxyOptions } from "@aegisc/runtime/proxy";
import { compileFiles, type Policy } from "aegisc";

const guard: GuardModule = { decide, POLICY };
const runtime = createGuard({ ...guard, audit: jsonlAudit({ dir: "audit" }) });
const decision: Decision = decide({ server: "dev-filesystem", tool: "read_file" });
export async function run(): Promise<RunResult> {
  const compiled = await compileFiles(["policy.yaml"]);
  const policy: Policy | undefined = compiled.policy;
  const options: Pick<ProxyOptions, "guard"> = { guard };
  void [policy, options, startProxy, decision];
  return runtime.run({ server: "dev-filesystem", tool: "read_file" }, () => "done");
}
`,
  );
  writeFileSync(
    join(app, "ts/tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: ["node"] }, include: ["consumer.mts"] }),
  );
  ok(sh(process.execPath, [tsc, "-p", "ts"]), "tsc");
});

/** The first ```ts block under a README heading. */
function readmeSample(heading: string): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const at = readme.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has no heading ${heading}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, `no ts sample under ${heading}`);
  return block[1];
}

test("the README's samples of the library API and of importing the generated module type-check with plain tsc", () => {
  const dir = join(app, "readme");
  mkdirSync(join(dir, "policies"), { recursive: true });
  writeFileSync(join(dir, "policies/policy.yaml"), readFileSync(join(app, "policy.yaml")));
  ok(sh(npm, ["exec", "--no", "--", "aegisc", "build", "policies/policy.yaml", "-o", "generated"], dir), "build into readme/generated");
  writeFileSync(join(dir, "library.mts"), readmeSample("### The library API") + "export {};\n");
  writeFileSync(join(dir, "module.mts"), readmeSample("## Using the generated module") + "export {};\n");
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: ["node"] }, include: ["*.mts"] }),
  );
  ok(sh(process.execPath, [tsc, "-p", "."], dir), "tsc on the README's samples");
});

test("the analysis worker thread runs from the built files", () => {
  const analyze = join(app, "node_modules/aegisc/dist/compiler/analysis/analyze.js");
  const script = `
import { compileSources } from "aegisc";
const { analyzePolicyWithStats } = await import(${JSON.stringify(new URL(`file://${analyze}`).href)});
const text = "rules:\\n  - { name: a, match: { type: 'x*' }, approval: auto }\\n  - { name: b, match: { type: '*y' }, approval: block }\\n";
const { policy } = compileSources([{ path: "p.yaml", text }]);
const { findings, stats } = analyzePolicyWithStats(policy, { modesInWorker: true });
console.log(JSON.stringify({ beside: stats.modesBeside, modeDependent: findings.some((f) => f.kind === "mode-dependent") }));
`;
  writeFileSync(join(app, "worker.mjs"), script);
  assert.equal(JSON.parse(ok(sh(process.execPath, ["worker.mjs"]), "worker.mjs")), { beside: true, modeDependent: true });
});

test("aegisc proxy --guard governs the real filesystem server, and audit verify checks its trail", async () => {
  const workspace = join(root, "workspace");
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, "notes.md"), "# Notes\n");
  const bin = join(app, "node_modules/aegisc/bin/aegisc.js");
  const audit = join(root, "audit");
  const proxyArgs = ["proxy", "--guard", "guard/policy.guard.js", "--policy", "policy.yaml", "--server-name", "dev-filesystem", "--audit-dir", audit, "--", process.execPath, filesystemServer, workspace];
  const client = new Client({ name: "package-test", version: "1.0.0" });
  let stderr = "";
  const transport = new StdioClientTransport({ command: process.execPath, args: [bin, ...proxyArgs], cwd: app, stderr: "pipe" });
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  await client.connect(transport);
  try {
    const listed = await client.callTool({ name: "list_directory", arguments: { path: workspace } });
    assert.not.ok(listed.isError, JSON.stringify(listed));
    assert.match(JSON.stringify(listed.content), /notes\.md/);
    // write_file needs approval; this client cannot show a form, so the proxy denies it.
    const written = await client.callTool({ name: "write_file", arguments: { path: join(workspace, "new.md"), content: "x" } });
    assert.ok(written.isError, JSON.stringify(written));
  } finally {
    await client.close();
  }
  assert.match(stderr, /governed by policy sha256:/);
  const verified = ok(aegisc("audit", "verify", join(audit, "dev-filesystem.jsonl"), "--format", "json"), "audit verify");
  assert.ok((JSON.parse(verified) as { files: { ok: boolean }[] }).files.every((f) => f.ok));

  // A guard built from another policy is refused when --policy says what it should enforce.
  writeFileSync(join(app, "other.yaml"), "rules:\n  - { name: all, match: { type: '*' }, approval: auto }\n");
  const mismatch = sh(process.execPath, [bin, "proxy", "--guard", "guard/policy.guard.js", "--policy", "other.yaml", "--server-name", "x", "--audit-dir", audit, "--", process.execPath, filesystemServer, workspace]);
  assert.is(mismatch.status, 1);
  assert.match(mismatch.stderr, /was built from another policy/);
});

test.run();
