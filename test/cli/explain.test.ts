// `aegisc explain`: which rule decides a call and why every other rule did or did not match.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { run, seedPolicy, tempDir } from "./helpers.ts";

const seedCall = (...extra: string[]) => ["explain", seedPolicy, "--tool", "write_file", "--server", "prod-filesystem", ...extra];

test("JSON: the seed's write_file on prod-filesystem is blocked by prod_fs_block (strictest)", async () => {
  const r = await run(seedCall("--format", "json"));
  assert.is(r.code, 0);
  assert.is(r.stderr, "");
  const out = JSON.parse(r.stdout);
  assert.equal(Object.keys(out), ["decision", "rules"]);
  assert.equal(out.decision, { approval: "block", risk: "critical", rule: "prod_fs_block", index: 4 });
  assert.equal(out.rules.map((x: { name: string; matched: boolean }) => [x.name, x.matched]), [
    ["mcp_read", false],
    ["mcp_list", false],
    ["mcp_write", true],
    ["mcp_delete", false],
    ["prod_fs_block", true],
  ]);
  for (const rule of out.rules) assert.equal(Object.keys(rule), ["name", "matched", "why"]);
  assert.is(out.rules[0].why, 'tool "write_file" does not match "read_file"');
  assert.match(out.rules[4].why, /decides/);
});

test("JSON: with --combine first-match the same call is decided by mcp_write (Aegis's engine)", async () => {
  const out = JSON.parse((await run(seedCall("--format", "json", "--combine", "first-match"))).stdout);
  assert.equal(out.decision, { approval: "approve", risk: "medium", rule: "mcp_write", index: 2 });
  assert.match(out.rules[4].why, /mcp_write comes first/);
});

test("JSON: the seed table's other rows", async () => {
  const decide = async (tool: string, server: string) =>
    JSON.parse((await run(["explain", seedPolicy, "--tool", tool, "--server", server, "--format", "json"])).stdout).decision;
  assert.equal(await decide("read_file", "dev-filesystem"), { approval: "auto", risk: "low", rule: "mcp_read", index: 0 });
  assert.equal(await decide("delete_file", "dev-filesystem"), { approval: "block", risk: "critical", rule: "mcp_delete", index: 3 });
});

test("JSON: no rule matches → the defaults, rule <default>, index -1", async () => {
  const r = await run(["explain", seedPolicy, "--tool", "move_file", "--server", "dev-filesystem", "--format", "json"]);
  const out = JSON.parse(r.stdout);
  assert.equal(out.decision, { approval: "approve", risk: "medium", rule: "<default>", index: -1 });
  assert.ok(out.rules.every((x: { matched: boolean }) => !x.matched));
});

test("text: the decision, the call, the mode, then one line per rule with ✓/✗ and the decider marked", async () => {
  const r = await run(seedCall("--at", "2025-01-06T10:00:00Z"));
  assert.is(r.code, 0);
  const lines = r.stdout.split("\n");
  assert.is(lines[0], "Decision: block (risk critical) by rule prod_fs_block at examples/quickstart/policy.yaml:29:5");
  assert.is(lines[1], '  call:    tool "write_file" on server "prod-filesystem", no agent, args {}, at 2025-01-06T10:00:00.000Z');
  assert.match(lines[2], /^  combine: strictest/);
  assert.equal(lines.slice(4), [
    '    ✗ mcp_read       tool "write_file" does not match "read_file"',
    '    ✗ mcp_list       tool "write_file" does not match "list_*"',
    "    ✓ mcp_write      matches (approve, medium), but prod_fs_block is stricter or earlier",
    '    ✗ mcp_delete     tool "write_file" does not match "delete_file"',
    "  → ✓ prod_fs_block  matches (block, critical); strictest matching rule, decides",
    "",
  ]);
});

test("text: a default decision says so", async () => {
  const r = await run(["explain", seedPolicy, "--tool", "move_file", "--server", "dev-filesystem"]);
  assert.match(r.stdout, /^Decision: approve \(risk medium\) from the defaults: no rule matches\n/);
  assert.not.match(r.stdout, /→/);
});

const CONDITIONS = [
  "defaults: { approval: auto, risk_level: low }",
  "rules:",
  "  - name: big_writes",
  "    match: { type: write_file }",
  "    conditions: { param_gt: { size: 1000 } }",
  "    approval: block",
  "  - name: night",
  "    conditions: { time_after: \"18:00\" }",
  "    approval: approve",
  "  - name: bots",
  "    match: { agent: \"bot-*\" }",
  "    approval: approve",
  "",
].join("\n");

test("--args, --at and --agent reach the conditions", async () => {
  const dir = tempDir({ "p.yaml": CONDITIONS });
  const decide = async (...extra: string[]) =>
    JSON.parse((await run(["explain", "p.yaml", "--tool", "write_file", "--server", "fs", "--format", "json", ...extra], { cwd: dir })).stdout);
  const day = "2025-01-06T10:00:00Z";
  assert.is((await decide("--args", '{"size": 5000}', "--at", day)).decision.rule, "big_writes");
  const small = await decide("--args", '{"size": 10}', "--at", day);
  assert.is(small.decision.rule, "<default>");
  assert.is(small.rules[0].why, "condition args.size > 1000 is false");
  assert.is(small.rules[1].why, "condition UTC time >= 18:00 is false");
  assert.is((await decide("--at", "2025-01-06T19:30:00Z")).decision.rule, "night");
  assert.is((await decide("--at", "2025-01-06T20:30:00+02:00")).decision.rule, "night");
  assert.is((await decide("--at", day, "--agent", "bot-7")).decision.rule, "bots");
  assert.match((await decide("--at", day)).rules[2].why, /agent "\*" \(no agent\) does not match "bot-\*"/);
});

test("bad --args JSON: exit 2 with a clear message, nothing on stdout", async () => {
  const r = await run(seedCall("--args", "{size: 5}"));
  assert.is(r.code, 2);
  assert.match(r.stderr, /^aegisc: --args is not valid JSON: /);
  assert.is(r.stdout, "");
});

test("--args that is not an object: exit 2", async () => {
  for (const bad of ["[1, 2]", "5", "null"]) {
    const r = await run(seedCall("--args", bad));
    assert.is(r.code, 2, bad);
    assert.match(r.stderr, /--args must be a JSON object/);
  }
});

test("a bad --at date: exit 2", async () => {
  for (const bad of ["yesterday", "2025-13-45T10:00:00Z", "1700000000"]) {
    const r = await run(seedCall("--at", bad));
    assert.is(r.code, 2, bad);
    assert.match(r.stderr, /--at expects an ISO 8601 time/);
  }
});

test("missing --tool or --server: commander's message, exit 2", async () => {
  const r = await run(["explain", seedPolicy, "--server", "x"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /required option '--tool <name>' not specified/);
  assert.is((await run(["explain", seedPolicy, "--tool", "x"])).code, 2);
});

test("a policy with errors: diagnostics on stderr, exit 1, no decision", async () => {
  const dir = tempDir({ "p.yaml": "rules:\n  - approval: Block\n" });
  const r = await run(["explain", "p.yaml", "--tool", "t", "--server", "s", "--format", "json"], { cwd: dir });
  assert.is(r.code, 1);
  assert.is(r.stdout, "");
  assert.match(r.stderr, /p\.yaml:2:15 - error AEG2002/);
});

test("a missing policy file: exit 2", async () => {
  const r = await run(["explain", "nope.yaml", "--tool", "t", "--server", "s"], { cwd: tempDir() });
  assert.is(r.code, 2);
  assert.match(r.stderr, /AEG1000/);
});

test("warnings do not stop explain; they go to stderr", async () => {
  const dir = tempDir({ "p.yaml": "rules:\n  - name: a\n    conditions: { param_eq: {} }\n    approval: auto\n" });
  const r = await run(["explain", "p.yaml", "--tool", "t", "--server", "s", "--format", "json"], { cwd: dir });
  assert.is(r.code, 0);
  assert.match(r.stderr, /warning AEG2017/);
  assert.is(JSON.parse(r.stdout).decision.rule, "a");
});

const failing = [
  "combine: first-match",
  "defaults: { approval: auto }",
  "rules:",
  "  - name: big_writes",
  "    match: { type: write_file }",
  "    conditions: { param_gt: { size: 1000 } }",
  "    approval: approve",
  "    risk_level: high",
  "  - { name: writes, match: { type: write_file }, approval: auto }",
  "",
].join("\n");

test("JSON: a rule whose condition Aegis cannot evaluate blocks the call, fail-closed, and says which condition and why", async () => {
  const dir = tempDir({ "p.yaml": failing });
  const r = await run(["explain", "p.yaml", "--tool", "write_file", "--server", "fs", "--args", '{"size": "5000"}', "--format", "json"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.decision, { approval: "block", risk: "high", rule: "big_writes", index: 0, failClosed: true });
  assert.equal(Object.keys(out.rules[0]), ["name", "matched", "failed", "why"]);
  assert.is(out.rules[0].matched, false);
  assert.is(out.rules[0].why, "condition args.size > 1000 cannot be evaluated: Python cannot order str against int (Aegis raises TypeError); fail-closed, so the rule blocks the call");
  assert.equal(Object.keys(out.rules[1]), ["name", "matched", "why"]);
  assert.match(out.rules[1].why, /but big_writes comes first/);
});

test("text: a fail-closed decision is marked, and the rule that cannot be evaluated has `!`", async () => {
  const dir = tempDir({ "p.yaml": failing });
  const r = await run(["explain", "p.yaml", "--tool", "write_file", "--server", "fs", "--args", '{"size": [1]}', "--at", "2025-01-06T10:00:00Z"], { cwd: dir });
  const lines = r.stdout.split("\n");
  assert.is(lines[0], "Decision: block (risk high) by rule big_writes at p.yaml:4:5, fail-closed: its conditions cannot be evaluated on this call");
  assert.is(lines[4], "  → ! big_writes  condition args.size > 1000 cannot be evaluated: Python cannot order list against int (Aegis raises TypeError); fail-closed, so the rule blocks the call");
  assert.match(lines[5], /^    ✓ writes/);
});

test("JSON: in strictest a later rule that cannot be evaluated blocks too, ranked as a block rule", async () => {
  const dir = tempDir({ "p.yaml": failing.replace("combine: first-match", "combine: strictest").replace("param_gt: { size: 1000 }", "param_contains: { tags: prod }") });
  const out = JSON.parse((await run(["explain", "p.yaml", "--tool", "write_file", "--server", "fs", "--args", '{"tags": 3}', "--format", "json"], { cwd: dir })).stdout);
  assert.equal(out.decision, { approval: "block", risk: "high", rule: "big_writes", index: 0, failClosed: true });
  assert.is(out.rules[0].why, "condition args.tags contains \"prod\" cannot be evaluated: Python's `in` needs a container, not int (Aegis raises TypeError); fail-closed, so the rule blocks the call");
});

test.run();
