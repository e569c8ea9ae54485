// `aegisc build`: one module per file or one merged module, --emit kinds, nothing written on errors, byte-identical output.
import { existsSync, readdirSync, readFileSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { repoRoot, run, seedPolicy, tempDir } from "./helpers.ts";

const seedText = readFileSync(join(repoRoot, seedPolicy), "utf8");
const A = "rules:\n  - name: only_a\n    match: { type: a_tool }\n    approval: auto\n";
const B = "rules:\n  - name: only_b\n    match: { type: b_tool }\n    approval: block\n";

test("one module per file, named after the file, into -o", async () => {
  const dir = tempDir({ "policies/alpha.yaml": A, "policies/beta.yml": B });
  const r = await run(["build", "policies/*.{yaml,yml}", "-o", "gen"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(join(dir, "gen")).sort(), ["alpha.guard.ts", "beta.guard.ts"]);
  assert.is(r.stdout, `wrote ${join("gen", "alpha.guard.ts")}\nwrote ${join("gen", "beta.guard.ts")}\n`);
  assert.match(readFileSync(join(dir, "gen/alpha.guard.ts"), "utf8"), /only_a/);
  assert.not.match(readFileSync(join(dir, "gen/alpha.guard.ts"), "utf8"), /only_b/);
});

test("files are compiled on their own: the same rule name in two files is fine", async () => {
  const dir = tempDir({ "a.yaml": A, "b.yaml": A });
  const r = await run(["build", "a.yaml", "b.yaml", "-o", "out"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(join(dir, "out")).sort(), ["a.guard.ts", "b.guard.ts"]);
});

test("the default output directory is the current directory", async () => {
  const dir = tempDir({ "policy.yaml": seedText });
  const r = await run(["build", "policy.yaml"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, "policy.guard.ts")));
  assert.is(r.stdout, "wrote policy.guard.ts\n");
});

test("--merge compiles all files together into <name>.guard.ts", async () => {
  const dir = tempDir({ "a.yaml": A, "b.yaml": B });
  const r = await run(["build", "*.yaml", "--merge", "combined", "-o", "out"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(join(dir, "out")), ["combined.guard.ts"]);
  const text = readFileSync(join(dir, "out/combined.guard.ts"), "utf8");
  assert.match(text, /only_a/);
  assert.match(text, /only_b/);
});

test("--merge warns of duplicate rule names across files (they become one policy) and builds, as Aegis accepts them", async () => {
  const dir = tempDir({ "a.yaml": A, "b.yaml": A });
  const r = await run(["build", "*.yaml", "--merge", "all", "-o", "out"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning AEG2006/);
  assert.ok(existsSync(join(dir, "out/all.guard.ts")));
});

test("--emit js writes .guard.js and .guard.d.ts; --emit both writes all three", async () => {
  const dir = tempDir({ "policy.yaml": seedText });
  assert.is((await run(["build", "policy.yaml", "-o", "js", "--emit", "js"], { cwd: dir })).code, 0);
  assert.equal(readdirSync(join(dir, "js")).sort(), ["policy.guard.d.ts", "policy.guard.js"]);
  assert.is((await run(["build", "policy.yaml", "-o", "both", "--emit", "both"], { cwd: dir })).code, 0);
  assert.equal(readdirSync(join(dir, "both")).sort(), ["policy.guard.d.ts", "policy.guard.js", "policy.guard.ts"]);
  assert.is((await run(["build", "policy.yaml", "--emit", "wasm"], { cwd: dir })).code, 2);
});

test("nothing is written when any file has errors; exit 1", async () => {
  const dir = tempDir({ "good.yaml": A, "bad.yaml": "rules:\n  - approval: Block\n" });
  const r = await run(["build", "*.yaml", "-o", "out"], { cwd: dir });
  assert.is(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:2:15 - error AEG2002/);
  assert.match(r.stderr, /1 error in 2 files; nothing written\.\n$/);
  assert.is(r.stdout, "");
  assert.not.ok(existsSync(join(dir, "out")));
});

test("an existing module is left untouched when the new build fails", async () => {
  const dir = tempDir({ "policy.yaml": A });
  assert.is((await run(["build", "policy.yaml"], { cwd: dir })).code, 0);
  const before = readFileSync(join(dir, "policy.guard.ts"), "utf8");
  writeFileSync(join(dir, "policy.yaml"), "rules:\n  - aproval: auto\n");
  assert.is((await run(["build", "policy.yaml"], { cwd: dir })).code, 1);
  assert.is(readFileSync(join(dir, "policy.guard.ts"), "utf8"), before);
});

test("a missing input is an I/O error: exit 2, nothing written", async () => {
  const dir = tempDir({ "a.yaml": A });
  const r = await run(["build", "a.yaml", "missing.yaml", "-o", "out"], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /Cannot read missing\.yaml: no such file/);
  assert.not.ok(existsSync(join(dir, "out")));
});

test("two files with the same base name would collide: exit 2", async () => {
  const dir = tempDir({ "x/policy.yaml": A, "y/policy.yaml": B });
  const r = await run(["build", "*/policy.yaml", "-o", "out"], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /x\/policy\.yaml and y\/policy\.yaml would both be written to policy\.guard\.\*/);
  assert.not.ok(existsSync(join(dir, "out")));
});

test("--merge takes a file name, not a path: exit 2", async () => {
  for (const bad of ["../up", "a/b", ""]) {
    const r = await run(["build", seedPolicy, "--merge", bad, "-o", tempDir()]);
    assert.is(r.code, 2, bad);
  }
});

// Root writes anywhere, so there the permission check cannot fail: reported as skipped, not as passed.
(process.getuid?.() === 0 ? test.skip : test)("an unwritable output directory is an I/O error (exit 2) and leaves no temp files", async () => {
  const dir = tempDir({ "policy.yaml": A });
  mkdirSync(join(dir, "locked"));
  chmodSync(join(dir, "locked"), 0o500);
  const r = await run(["build", "policy.yaml", "-o", "locked"], { cwd: dir });
  chmodSync(join(dir, "locked"), 0o700);
  assert.is(r.code, 2);
  assert.match(r.stderr, /cannot write to/);
  assert.equal(readdirSync(join(dir, "locked")), []);
});

test("an output path that is a file is an I/O error: exit 2", async () => {
  const dir = tempDir({ "policy.yaml": A, "taken": "" });
  const r = await run(["build", "policy.yaml", "-o", "taken"], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stderr, /^aegisc: /m);
});

test("writes leave no temporary files behind", async () => {
  const dir = tempDir({ "policy.yaml": seedText });
  await run(["build", "policy.yaml", "-o", "out", "--emit", "both"], { cwd: dir });
  assert.ok(readdirSync(join(dir, "out")).every((f) => !f.endsWith(".tmp") && !f.startsWith(".")));
});

test("two builds of the same input are byte-identical", async () => {
  const dir = tempDir({ "policy.yaml": seedText });
  await run(["build", "policy.yaml", "-o", "one", "--emit", "both"], { cwd: dir });
  await run(["build", "policy.yaml", "-o", "two", "--emit", "both"], { cwd: dir });
  for (const f of readdirSync(join(dir, "one"))) {
    assert.ok(readFileSync(join(dir, "one", f)).equals(readFileSync(join(dir, "two", f))), f);
  }
});

test("the built seed module has no imports and decides the seed table", async () => {
  const dir = tempDir({ "policy.yaml": seedText });
  assert.is((await run(["build", "policy.yaml", "-o", "out"], { cwd: dir })).code, 0);
  const text = readFileSync(join(dir, "out/policy.guard.ts"), "utf8");
  assert.not.match(text, /^\s*import\s|\brequire\(/m);
  const mod = (await import(pathToFileURL(join(dir, "out/policy.guard.ts")).href)) as { decide(call: object): { rule: string; approval: string } };
  assert.is(mod.decide({ tool: "read_file", server: "dev-filesystem" }).rule, "mcp_read");
  assert.is(mod.decide({ tool: "delete_file", server: "dev-filesystem" }).approval, "block");
  assert.is(mod.decide({ tool: "write_file", server: "prod-filesystem" }).rule, "prod_fs_block");
});

test.run();
