// Tests for governed runs: the four outcomes, approvers, executors and fail-closed behaviour at every step.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createGuard, memoryAudit, type AuditRecord, type AuditSink, type RuntimeOptions, type ToolCall } from "../../runtime/src/index.ts";
import * as guard from "./quickstart-guard.ts";

const AT = new Date("2025-03-04T05:06:07.000Z");
const read: ToolCall = { server: "dev-filesystem", tool: "read_file", args: { path: "/data/report.csv" } };
const write: ToolCall = { server: "dev-filesystem", tool: "write_file", args: { path: "/data/out.txt" } };
const remove: ToolCall = { server: "dev-filesystem", tool: "delete_file", args: { path: "/data/report.csv" } };

function setup(options: Partial<RuntimeOptions> = {}) {
  const audit = memoryAudit();
  const executed: ToolCall[] = [];
  const runtime = createGuard({
    ...guard,
    audit,
    clock: () => AT,
    executor: (call) => {
      executed.push(call);
      return `did ${call.tool}`;
    },
    ...options,
  });
  return { runtime, audit, executed };
}

test("auto: executed, success, audited with human null", async () => {
  const { runtime, audit, executed } = setup();
  const result = await runtime.run(read);
  assert.equal(result, { ok: true, status: "success", decision: guard.decide(read), value: "did read_file" });
  assert.is(executed.length, 1);
  assert.equal(audit.records, [
    {
      time: "2025-03-04T05:06:07.000Z",
      server: "dev-filesystem",
      tool: "read_file",
      args: { path: "/data/report.csv" },
      rule: "mcp_read",
      risk: "low",
      approval: "auto",
      human: null,
      status: "success",
      policy: "sha256:quickstart-test",
    },
  ] satisfies AuditRecord[]);
});

test("approve + approved: executed exactly like auto, human approved", async () => {
  const requests: unknown[] = [];
  const { runtime, audit, executed } = setup({ approver: (request) => (requests.push(request), true) });
  const result = await runtime.run(write);
  assert.is(result.ok, true);
  assert.is(result.status, "success");
  assert.is(result.value, "did write_file");
  assert.is(executed.length, 1);
  assert.equal(requests, [{ call: { ...write, time: AT }, decision: guard.decide(write), policy: guard.POLICY }]);
  assert.is(audit.records[0].human, "approved");
  assert.is(audit.records[0].status, "success");
});

test("approve + denied: not executed, denied, audited with human denied", async () => {
  const { runtime, audit, executed } = setup({ approver: async () => false });
  const result = await runtime.run(write);
  assert.equal(result, { ok: false, status: "denied", decision: guard.decide(write), error: "Denied by human operator" });
  assert.is(executed.length, 0);
  assert.is(audit.records.length, 1);
  assert.is(audit.records[0].human, "denied");
  assert.is(audit.records[0].status, "denied");
  assert.is(audit.records[0].error, "Denied by human operator");
});

test("the default approver denies", async () => {
  const { runtime, executed } = setup();
  const result = await runtime.run(write);
  assert.is(result.status, "denied");
  assert.is(executed.length, 0);
});

test("only a literal true approves", async () => {
  for (const answer of ["yes", 1, {}, undefined]) {
    const { runtime, executed } = setup({ approver: () => answer as never });
    assert.is((await runtime.run(write)).status, "denied", String(answer));
    assert.is(executed.length, 0);
  }
});

test("block: executor not called, error names the rule and its description, audited", async () => {
  let asked = 0;
  const { runtime, audit, executed } = setup({ approver: () => (asked++, true) });
  const result = await runtime.run(remove);
  assert.equal(result, {
    ok: false,
    status: "blocked",
    decision: guard.decide(remove),
    error: "Blocked by policy rule: mcp_delete — Deleting files is irreversible.",
  });
  assert.is(executed.length, 0);
  assert.is(asked, 0);
  assert.is(audit.records[0].status, "blocked");
  assert.is(audit.records[0].human, null);
  assert.is(audit.records[0].error, result.error);
});

test("block without a description (and without policy info) says just the rule", async () => {
  const prod = { server: "prod-filesystem", tool: "write_file" };
  assert.is((await setup().runtime.run(prod)).error, "Blocked by policy rule: prod_fs_block");
  const { runtime } = setup({ POLICY: undefined, policy: undefined });
  assert.is((await runtime.run(remove)).error, "Blocked by policy rule: mcp_delete");
});

test("a fail-closed block says the rule's conditions cannot be evaluated, not the rule's description", async () => {
  const failing = { approval: "block", risk: "high", rule: "mcp_delete", index: 3, failClosed: true } as const;
  const runtime = createGuard({ decide: () => failing, policy: guard.POLICY });
  const result = await runtime.run(remove, () => "ran");
  assert.is(result.status, "blocked");
  assert.is(result.error, "Blocked by policy rule: mcp_delete — its conditions cannot be evaluated on this call (fail-closed)");
});

test("run(call, execute) prefers the given executor", async () => {
  const { runtime, executed } = setup();
  const result = await runtime.run(read, async (call) => ({ bytes: 42, tool: call.tool }));
  assert.equal(result.value, { bytes: 42, tool: "read_file" });
  assert.is(executed.length, 0);
});

test("no executor at all: failed and audited", async () => {
  const audit = memoryAudit();
  const runtime = createGuard({ ...guard, audit });
  const result = await runtime.run(read);
  assert.is(result.status, "failed");
  assert.is(result.ok, false);
  assert.match(result.error ?? "", /No executor/);
  assert.is(audit.records[0].status, "failed");
});

test("an executor that throws: failed with its message, audited", async () => {
  const { runtime, audit } = setup({
    executor: () => {
      throw new Error("disk full");
    },
  });
  const result = await runtime.run(read);
  assert.equal(result, { ok: false, status: "failed", decision: guard.decide(read), error: "disk full" });
  assert.is(audit.records[0].status, "failed");
  assert.is(audit.records[0].error, "disk full");
});

test("an executor that rejects with a non-Error", async () => {
  const { runtime } = setup({ executor: () => Promise.reject("nope") });
  assert.is((await runtime.run(read)).error, "nope");
});

test("failureOf turns a returned value into an audited failure but keeps the value", async () => {
  const { runtime, audit } = setup({ executor: () => ({ failed: "quota" }) });
  const result = await runtime.run(read, undefined, { failureOf: (v) => (v as { failed?: string }).failed });
  assert.equal(result, { ok: false, status: "failed", decision: guard.decide(read), value: { failed: "quota" }, error: "quota" });
  assert.is(audit.records[0].status, "failed");
});

test("fail closed: decide throws → blocked, executor never called, audited as <error>", async () => {
  const { runtime, audit, executed } = setup({
    decide: () => {
      throw new TypeError("bad regex");
    },
    approver: () => true,
  });
  const result = await runtime.run(read);
  assert.is(result.status, "blocked");
  assert.equal(result.decision, { approval: "block", risk: "critical", rule: "<error>", index: -1 });
  assert.match(result.error ?? "", /Policy evaluation failed: bad regex/);
  assert.is(executed.length, 0);
  assert.is(audit.records[0].rule, "<error>");
  assert.is(audit.records[0].status, "blocked");
});

test("fail closed: approver throws → denied, never executed", async () => {
  const { runtime, audit, executed } = setup({
    approver: () => {
      throw new Error("approval service down");
    },
  });
  const result = await runtime.run(write);
  assert.is(result.status, "denied");
  assert.is(result.ok, false);
  assert.match(result.error ?? "", /approval service down/);
  assert.is(executed.length, 0);
  assert.is(audit.records[0].human, "denied");
});

test("fail closed: audit.prepare throws → blocked, nobody asked, executor never called", async () => {
  let executions = 0;
  let asked = 0;
  const audit: AuditSink = {
    prepare: async () => {
      throw new Error("read-only file system");
    },
    write: () => {},
  };
  const runtime = createGuard({ ...guard, audit, approver: () => (asked++, true), executor: () => executions++ });
  for (const call of [read, write]) {
    const result = await runtime.run(call);
    assert.is(result.status, "blocked");
    assert.is(result.ok, false);
    assert.match(result.error ?? "", /Audit log unavailable: read-only file system/);
  }
  assert.is(executions, 0);
  assert.is(asked, 0);
});

test("fail closed: audit.write throws after executing → failed, value withheld", async () => {
  let executions = 0;
  const audit: AuditSink = {
    write: () => {
      throw new Error("ENOSPC");
    },
  };
  const runtime = createGuard({ ...guard, audit, executor: () => (executions++, "secret result") });
  const result = await runtime.run(read);
  assert.is(executions, 1);
  assert.is(result.status, "failed");
  assert.is(result.ok, false);
  assert.not.ok("value" in result);
  assert.match(result.error ?? "", /Audit write failed: ENOSPC/);
});

test("a block stays blocked when its audit write fails too", async () => {
  const audit: AuditSink = {
    write: () => {
      throw new Error("ENOSPC");
    },
  };
  const result = await createGuard({ ...guard, audit }).run(remove);
  assert.is(result.status, "blocked");
  assert.match(result.error ?? "", /^Blocked by policy rule: mcp_delete.*Audit write failed: ENOSPC$/);
});

test("prepare is called with the call's server before executing", async () => {
  const events: string[] = [];
  const audit: AuditSink = {
    prepare: (server) => void events.push(`prepare ${server}`),
    write: (record) => void events.push(`write ${record.status}`),
  };
  const runtime = createGuard({ ...guard, audit, approver: () => (events.push("ask"), true), executor: () => events.push("execute") });
  await runtime.run(write);
  assert.equal(events, ["prepare dev-filesystem", "ask", "execute", "write success"]);
});

test("the runtime's agent fills calls without one and is audited; the call's own agent wins", async () => {
  const { runtime, audit, executed } = setup({ agent: "planner" });
  await runtime.run(read);
  await runtime.run({ ...read, agent: "coder" });
  assert.equal(executed.map((c) => c.agent), ["planner", "coder"]);
  assert.equal(audit.records.map((r) => r.agent), ["planner", "coder"]);
});

test("calls without args are audited with {}", async () => {
  const { runtime, audit } = setup();
  await runtime.run({ server: "dev-filesystem", tool: "list_directory" });
  assert.equal(audit.records[0].args, {});
  assert.not.ok("agent" in audit.records[0]);
});

test("the clock decides the decision time and the record time", async () => {
  const seen: unknown[] = [];
  const { runtime, audit } = setup({ decide: (call) => (seen.push(call.time), guard.decide(call)) });
  await runtime.run(read);
  await runtime.run({ ...read, time: 123 });
  assert.equal(seen, [AT, 123]);
  assert.equal(audit.records.map((r) => r.time), [AT.toISOString(), AT.toISOString()]);
});

test("a broken clock fails closed", async () => {
  let executions = 0;
  const runtime = createGuard({ ...guard, clock: () => new Date(NaN), executor: () => executions++ });
  const result = await runtime.run(read);
  assert.is(result.status, "blocked");
  assert.is(executions, 0);
});

test("a malformed call is refused and not audited (no server to file it under)", async () => {
  const { runtime, audit, executed } = setup();
  const result = await runtime.run({ tool: "read_file" } as unknown as ToolCall);
  assert.is(result.status, "blocked");
  assert.is(executed.length, 0);
  assert.is(audit.records.length, 0);
});

test("a sink that records intents: the intent is written before the call executes, and a failed intent write means it never executes", async () => {
  const written: unknown[] = [];
  let full = false;
  const audit: AuditSink = {
    intents: true,
    write(record) {
      if (full) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      written.push(record);
    },
  };
  const executed: ToolCall[] = [];
  const runtime = createGuard({ ...guard, audit, clock: () => AT, executor: (call) => (executed.push(call), "ok") });
  const ok = await runtime.run(read);
  assert.is(ok.status, "success");
  assert.equal(written.map((r) => (r as { status: string }).status), ["forwarded", "success"]);
  const [intent, outcome] = written as Record<string, unknown>[];
  assert.is(outcome.id, intent.id);
  assert.is(outcome.phase, "outcome");
  full = true;
  const refused = await runtime.run(read);
  assert.is(refused.status, "blocked");
  assert.match(refused.error ?? "", /Audit write failed: ENOSPC.*the call was not executed/);
  assert.is(executed.length, 1, "the second call never executed");
});

test.run();
