// The command-line program itself: help, version, unknown commands and usage errors map to exit codes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { COMPILER_VERSION } from "../../compiler/version.ts";
import { run } from "./helpers.ts";

test("--version prints the package version and exits 0", async () => {
  const r = await run(["--version"]);
  assert.is(r.code, 0);
  assert.is(r.stdout, `${COMPILER_VERSION}\n`);
  assert.match(COMPILER_VERSION, /^\d+\.\d+\.\d+/);
});

test("--help lists the commands on stdout and exits 0", async () => {
  const r = await run(["--help"]);
  assert.is(r.code, 0);
  for (const cmd of ["check", "explain", "build"]) assert.match(r.stdout, new RegExp(`\\n  ${cmd} `));
  assert.is(r.stderr, "");
});

test("help for a command, both spellings", async () => {
  for (const argv of [["check", "--help"], ["help", "check"]]) {
    const r = await run(argv);
    assert.is(r.code, 0, argv.join(" "));
    assert.match(r.stdout, /--max-warnings <n>/);
  }
});

test("no command: help on stderr, exit 2", async () => {
  const r = await run([]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /Usage: aegisc/);
  assert.is(r.stdout, "");
});

test("unknown command: commander's message on stderr, exit 2", async () => {
  const r = await run(["compile", "x.yaml"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /error: unknown command 'compile'/);
});

test("unknown option: exit 2", async () => {
  const r = await run(["check", "--frmat", "json", "x.yaml"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown option '--frmat'/);
});

test("missing arguments: exit 2", async () => {
  const r = await run(["check"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /missing required argument 'globs'/);
});

test("each run is independent (options do not leak between runs)", async () => {
  const a = await run(["check", "--format", "json", "examples/quickstart/policy.yaml"]);
  const b = await run(["check", "examples/analysis/clean.yaml"]);
  assert.ok(a.stdout.startsWith("{"));
  assert.is(b.stdout, "No problems in 1 file (2 rules).\n");
});

test.run();
