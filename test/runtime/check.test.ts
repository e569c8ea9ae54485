// Tests for the dry run: statuses, ok values, fail-closed decisions and the absence of side effects.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createGuard, memoryAudit, type Decision, type ToolCall } from "../../runtime/src/index.ts";
import * as guard from "./quickstart-guard.ts";

const ERROR_DECISION = { approval: "block", risk: "critical", rule: "<error>", index: -1 };

test("auto is allowed, approve needs approval (still ok), block is not ok", () => {
  const runtime = createGuard({ ...guard });
  const read = runtime.check({ server: "dev-filesystem", tool: "read_file" });
  assert.equal(read, { ok: true, status: "allowed", decision: { approval: "auto", risk: "low", rule: "mcp_read", index: 0 } });
  const write = runtime.check({ server: "dev-filesystem", tool: "write_file" });
  assert.is(write.ok, true);
  assert.is(write.status, "approval_required");
  assert.is(write.decision.rule, "mcp_write");
  const del = runtime.check({ server: "dev-filesystem", tool: "delete_file" });
  assert.equal(del, { ok: false, status: "blocked", decision: { approval: "block", risk: "critical", rule: "mcp_delete", index: 3 } });
  const other = runtime.check({ server: "dev-filesystem", tool: "move_file" });
  assert.equal(other.decision, { approval: "approve", risk: "medium", rule: "<default>", index: -1 });
});

test("the seed's table: prod write_file is blocked by prod_fs_block", () => {
  const runtime = createGuard({ ...guard });
  const result = runtime.check({ server: "prod-filesystem", tool: "write_file" });
  assert.is(result.ok, false);
  assert.is(result.decision.rule, "prod_fs_block");
});

test("check asks no approver, runs no executor, writes no audit", () => {
  let asked = 0;
  let executed = 0;
  let prepared = 0;
  const audit = memoryAudit();
  const runtime = createGuard({
    ...guard,
    approver: () => (asked++, true),
    executor: () => executed++,
    audit: { prepare: () => void prepared++, write: (r) => audit.write(r) },
  });
  for (const tool of ["read_file", "write_file", "delete_file"]) runtime.check({ server: "dev-filesystem", tool });
  assert.is(asked, 0);
  assert.is(executed, 0);
  assert.is(prepared, 0);
  assert.is(audit.records.length, 0);
});

test("a throwing decide fails closed with an error", () => {
  const runtime = createGuard({
    decide: () => {
      throw new Error("regex exploded");
    },
  });
  const result = runtime.check({ server: "s", tool: "t" });
  assert.equal(result.decision, ERROR_DECISION);
  assert.is(result.status, "blocked");
  assert.is(result.ok, false);
  assert.match(result.error ?? "", /regex exploded/);
});

test("malformed decisions fail closed", () => {
  const malformed: unknown[] = [
    undefined,
    null,
    "auto",
    { approval: "allow", risk: "low", rule: "r", index: 0 },
    { approval: "auto", risk: "LOW", rule: "r", index: 0 },
    { approval: "auto", risk: "low", index: 0 },
    { approval: "auto", risk: "low", rule: "r", index: 0.5 },
    { approval: "auto", risk: "low", rule: "r", index: -2 },
  ];
  for (const bad of malformed) {
    const runtime = createGuard({ decide: () => bad as Decision });
    const result = runtime.check({ server: "s", tool: "t" });
    assert.is(result.status, "blocked", JSON.stringify(bad));
    assert.equal(result.decision, ERROR_DECISION);
    assert.match(result.error ?? "", /malformed decision/);
  }
});

test("malformed calls fail closed without reaching decide", () => {
  let decided = 0;
  const runtime = createGuard({ decide: () => (decided++, { approval: "auto", risk: "low", rule: "r", index: 0 }) });
  for (const bad of [null, "read_file", { tool: "t" }, { server: "s", tool: 1 }, { server: "s", tool: "t", args: [] }]) {
    const result = runtime.check(bad as unknown as ToolCall);
    assert.is(result.status, "blocked");
    assert.match(result.error ?? "", /Malformed tool call/);
  }
  assert.is(decided, 0);
});

test("decide sees the runtime's agent and clock when the call has none", () => {
  const seen: ToolCall[] = [];
  const at = new Date("2025-01-06T19:30:00Z");
  const runtime = createGuard({
    decide: (call) => (seen.push(call), { approval: "auto", risk: "low", rule: "r", index: 0 }),
    agent: "planner",
    clock: () => at,
  });
  const original: ToolCall = { server: "s", tool: "t" };
  runtime.check(original);
  runtime.check({ server: "s", tool: "t", agent: "coder", time: 0 });
  assert.equal(seen[0], { server: "s", tool: "t", agent: "planner", time: at });
  assert.equal(seen[1], { server: "s", tool: "t", agent: "coder", time: 0 });
  assert.equal(original, { server: "s", tool: "t" }, "the caller's object is not modified");
});

test("POLICY from a spread module and policy are the same thing", () => {
  assert.is(createGuard({ ...guard }).policy, guard.POLICY);
  assert.is(createGuard({ decide: guard.decide, policy: guard.POLICY }).policy, guard.POLICY);
});

test("createGuard without decide is a usage error", () => {
  assert.throws(() => createGuard({} as never), /decide must be a function/);
});

test.run();
