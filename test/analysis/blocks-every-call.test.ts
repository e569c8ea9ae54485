// blocksEveryCall: which tools a policy blocks for every argument (what `aegisc proxy --hide-blocked` hides).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { blocksEveryCall } from "../../compiler/analysis/analyze.ts";
import { compilePolicyText } from "../support/load-guard.ts";

const policy = compilePolicyText(`
defaults: { approval: auto }
rules:
  - { name: moves, match: { type: move_file }, approval: block }
  - { name: prod, match: { target: "prod-*" }, approval: block, risk_level: critical }
  - { name: big_writes, match: { type: write_file }, conditions: { param_gt: { size: 100 } }, approval: block }
  - { name: secret_reads, match: { type: read_file }, conditions: { semantic: secret }, approval: block }
`);

test("a tool blocked by an unconditional rule is blocked for every call", () => {
  assert.ok(blocksEveryCall(policy, { server: "dev-fs", tool: "move_file" }));
  assert.ok(blocksEveryCall(policy, { server: "prod-fs", tool: "read_text_file" }));
});

test("a tool blocked only for some arguments stays visible", () => {
  assert.not.ok(blocksEveryCall(policy, { server: "dev-fs", tool: "write_file" }));
  assert.not.ok(blocksEveryCall(policy, { server: "dev-fs", tool: "read_file" }));
  assert.not.ok(blocksEveryCall(policy, { server: "dev-fs", tool: "list_directory" }));
});

test("the defaults count: a default of block hides every tool no rule allows", () => {
  const strict = compilePolicyText(`
defaults: { approval: block }
rules:
  - { name: reads, match: { type: "read_*" }, approval: auto }
`);
  assert.ok(blocksEveryCall(strict, { server: "s", tool: "write_file" }));
  assert.not.ok(blocksEveryCall(strict, { server: "s", tool: "read_file" }));
});

test.run();
