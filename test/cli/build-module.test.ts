// `aegisc build --emit js` writes the module syntax its package needs: plain .mjs and .cjs consumers run it under node, with or without "type": "module", without a warning.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decide } from "../../compiler/interpret.ts";
import { compilePolicyText } from "../support/load-guard.ts";
import { repoRoot, run, seedPolicy, tempDir } from "./helpers.ts";

const seedText = readFileSync(join(repoRoot, seedPolicy), "utf8");
const seed = compilePolicyText(seedText);

/** Calls that reach every rule of the seed and its defaults (JSON, so each consumer can embed them). */
const calls = [
  { tool: "read_file", server: "filesystem" },
  { tool: "list_directory", server: "filesystem", agent: "bot" },
  { tool: "write_file", server: "filesystem", args: { path: "/tmp/x" } },
  { tool: "delete_file", server: "filesystem" },
  { tool: "write_file", server: "prod-filesystem" },
  { tool: "unknown_tool", server: "filesystem", time: 0 },
];
const expected = calls.map((c) => decide(seed, c));

const MJS = `import { decide, POLICY } from "./gen/policy.guard.js";
const calls = ${JSON.stringify(calls)};
console.log(JSON.stringify({ hash: POLICY.hash, decisions: calls.map((c) => decide(c)) }));
`;
const CJS = `const { decide, POLICY } = require("./gen/policy.guard.js");
const calls = ${JSON.stringify(calls)};
console.log(JSON.stringify({ hash: POLICY.hash, decisions: calls.map((c) => decide(c)) }));
`;

/** Runs a consumer with plain node: no loader, no options inherited from the test runner. */
function runNode(cwd: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [file], { cwd, encoding: "utf8", env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const packages = [
  { label: 'a package with "type": "module"', manifest: { name: "agent", version: "1.0.0", type: "module" }, format: "esm" },
  { label: 'a package without "type"', manifest: { name: "agent", version: "1.0.0" }, format: "cjs" },
] as const;

for (const pkg of packages) {
  test(`build --emit js into ${pkg.label} writes ${pkg.format}, which .mjs and .cjs consumers run with no warning`, async () => {
    const dir = tempDir({ "package.json": JSON.stringify(pkg.manifest), "policy.yaml": seedText, "agent.mjs": MJS, "agent.cjs": CJS });
    const r = await run(["build", "policy.yaml", "-o", "gen", "--emit", "js"], { cwd: dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, "");
    const js = readFileSync(join(dir, "gen/policy.guard.js"), "utf8");
    if (pkg.format === "esm") assert.match(js, /^export function decide/m);
    else assert.match(js, /^exports\.decide = decide;$/m);
    for (const consumer of ["agent.mjs", "agent.cjs"]) {
      const out = runNode(dir, consumer);
      assert.is(out.stderr, "", `${consumer} in ${pkg.label}`);
      assert.is(out.status, 0, consumer);
      assert.equal(JSON.parse(out.stdout), { hash: seed.hash, decisions: expected }, consumer);
    }
  });
}

test("--module overrides the package: ESM into a package without \"type\", CommonJS into one with it", async () => {
  const plain = tempDir({ "package.json": "{}", "policy.yaml": seedText });
  assert.is((await run(["build", "policy.yaml", "-o", "gen", "--emit", "js", "--module", "esm"], { cwd: plain })).code, 0);
  assert.match(readFileSync(join(plain, "gen/policy.guard.js"), "utf8"), /^export function decide/m);
  const esm = tempDir({ "package.json": JSON.stringify({ type: "module" }), "policy.yaml": seedText });
  assert.is((await run(["build", "policy.yaml", "-o", "gen/cjs", "--emit", "both", "--module", "cjs"], { cwd: esm })).code, 0);
  assert.match(readFileSync(join(esm, "gen/cjs/policy.guard.js"), "utf8"), /^exports\.decide = decide;$/m);
  assert.match(readFileSync(join(esm, "gen/cjs/policy.guard.ts"), "utf8"), /^export function decide/m);
  assert.is((await run(["build", "policy.yaml", "--emit", "js", "--module", "umd"], { cwd: esm })).code, 2);
});

test("a package.json that is not JSON stops the build (exit 2) unless --module says which", async () => {
  const dir = tempDir({ "package.json": "{ broken", "policy.yaml": seedText });
  const r = await run(["build", "policy.yaml", "-o", "gen", "--emit", "js"], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /package\.json is not valid JSON .*pass --module esm or --module cjs/);
  assert.is(r.stdout, "");
  assert.is((await run(["build", "policy.yaml", "-o", "gen", "--emit", "js", "--module", "cjs"], { cwd: dir })).code, 0);
  // The .ts alone needs no format.
  assert.is((await run(["build", "policy.yaml", "-o", "ts"], { cwd: dir })).code, 0);
});

test.run();
