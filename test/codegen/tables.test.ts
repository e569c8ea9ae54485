// The table form of generated modules: glob classification, the engine's memos and their bounds, fail-closed errors, and the size choice.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import { planModule, STRAIGHT_MAX_RULES, type Strategy } from "../../compiler/codegen/plan.ts";
import { decide, type ToolCall } from "../../compiler/interpret.ts";
import type { Policy } from "../../compiler/ir/types.ts";
import { loadCaseSuites } from "../support/cases.ts";
import { compilePolicyText, importJs, transpileToJs, type GuardModule } from "../support/load-guard.ts";

const load = async (policy: Policy, strategy: Strategy = "tables"): Promise<GuardModule> => importJs(transpileToJs(emitGuardModule(policy, { strategy })));

/** Every call twice, so that the second pass runs on memoized names and plans. */
function assertSameDecisions(guard: GuardModule, policy: Policy, calls: readonly ToolCall[]): void {
  for (const call of [...calls, ...calls]) {
    const expected = decide(policy, call);
    assert.equal(guard.decide(call), expected, JSON.stringify(call));
  }
}

const overlapping = `
rules:
  - { name: exact, match: { type: read_file }, approval: auto }
  - { name: prefix, match: { type: "read_*" }, approval: approve, conditions: { param_gt: { size: 10 } } }
  - { name: longer-prefix, match: { type: "read_fi*" }, approval: block, risk_level: low, conditions: { param_eq: { mode: w } } }
  - { name: suffix, match: { type: "*_file" }, approval: approve, risk_level: high }
  - { name: prefix-suffix, match: { type: "re*le" }, approval: auto, risk_level: critical }
  - { name: contains, match: { type: "*ad_f*" }, approval: block, conditions: { param_contains: { path: secret } } }
  - { name: set, match: { type: "[rw]?ad_*", agent: "bot-*" }, approval: block, risk_level: high }
  - { name: any-char, match: { type: "read_fil?" }, approval: approve, risk_level: critical, conditions: { param_lt: { size: 0 } } }
  - { name: empty, match: { type: "" }, approval: block }
  - { name: prod, match: { target: "prod-*" }, approval: block, risk_level: critical, conditions: { param_matches: { path: "^/etc" } } }
  - { name: prod-fs, match: { type: "*_file", target: "prod-fs" }, approval: block }
  - { name: fs-suffix, match: { target: "*-fs" }, approval: approve, risk_level: low }
  - { name: any-server-set, match: { type: "write_*", target: "[ds]*" }, approval: auto }
`;

const names = ["read_file", "read_fil", "read_fi", "read_", "read", "ad_f", "wead_x", "xead_y", "write_file", "write_x", "", "_file", "refile", "rele", "re", "le", "other", "read_file_2"];
const servers = ["prod-fs", "prod-db", "dev-fs", "staging", "s", "d", "", "prod-", "-fs"];
const argsVariants: (Record<string, unknown> | undefined)[] = [undefined, { size: 20 }, { size: 5, mode: "w" }, { path: "/etc/secret" }, { size: -1, path: "x" }];

function grid(): ToolCall[] {
  const calls: ToolCall[] = [];
  let k = 0;
  for (const tool of names) {
    for (const server of servers) {
      const args = argsVariants[k % argsVariants.length];
      const agent = ["bot-1", undefined, "", "other"][k % 4];
      k++;
      const call: ToolCall = { tool, server };
      if (args) call.args = args;
      if (agent !== undefined) call.agent = agent;
      calls.push(call);
    }
  }
  return calls;
}

for (const combine of ["strictest", "first-match"] as const) {
  test(`overlapping prefix, suffix, set and server globs decide as the interpreter (${combine})`, async () => {
    const policy = compilePolicyText(overlapping, { combine });
    assertSameDecisions(await load(policy), policy, grid());
  });
}

test("a tool called on many servers decides on each as the interpreter", async () => {
  const policy = compilePolicyText(overlapping);
  const guard = await load(policy);
  const calls = servers.flatMap((server) => argsVariants.map((args) => ({ tool: "read_file", server, ...(args ? { args } : {}) })));
  assertSameDecisions(guard, policy, calls);
});

test("more distinct names than the memo holds, and names too long to remember, still decide correctly", async () => {
  const policy = compilePolicyText(overlapping);
  const guard = await load(policy);
  const calls: ToolCall[] = [];
  // The memo limit is 4,096 plus twice the patterns; 6,000 names make it start over at least once.
  for (let i = 0; i < 6_000; i++) calls.push({ tool: i % 3 === 0 ? `read_${i}` : `t${i}_file`, server: i % 2 ? "prod-fs" : `srv-${i}`, args: { path: "/etc/x" } });
  const long = "read_" + "x".repeat(300) + "_file";
  calls.push({ tool: long, server: "prod-" + "y".repeat(300) }, { tool: long, server: "dev-fs" });
  assertSameDecisions(guard, policy, calls);
});

test("calls without an agent id, with an empty one and with the agent `*` decide as the interpreter, whichever agent patterns accept `*`", async () => {
  for (const combine of ["strictest", "first-match"] as const) {
    const policy = compilePolicyText(
      `
rules:
  - { name: bots, match: { type: "read_*", agent: "bot-*" }, approval: block, risk_level: critical }
  - { name: one-char, match: { type: "read_*", agent: "?" }, approval: block, risk_level: high, conditions: { param_gt: { size: 10 } } }
  - { name: star-set, match: { type: read_file, agent: "[*]" }, approval: approve, risk_level: critical }
  - { name: not-a, match: { target: "prod-*", agent: "[!a]*" }, approval: block, conditions: { param_eq: { mode: w } } }
  - { name: ops-cond, match: { agent: "ops" }, approval: approve, risk_level: high, conditions: { param_lt: { size: 5 } } }
  - { name: reads, match: { type: "read_*" }, approval: auto }
`,
      { combine },
    );
    const guard = await load(policy);
    const calls: ToolCall[] = [];
    for (const agent of [undefined, "", "*", "bot-1", "?", "a", "ops", "x"]) {
      for (const tool of ["read_file", "read_x", "write_file"]) {
        for (const server of ["prod-fs", "dev-fs"]) {
          for (const args of [undefined, { size: 3 }, { size: 20, mode: "w" }]) {
            const call: ToolCall = { tool, server };
            if (agent !== undefined) call.agent = agent;
            if (args) call.args = args;
            calls.push(call);
          }
        }
      }
    }
    assertSameDecisions(guard, policy, calls);
  }
});

test("names that are Object.prototype keys or array indices are ordinary names to the memos", async () => {
  const policy = compilePolicyText(`
rules:
  - { name: proto, match: { type: __proto__ }, approval: block }
  - { name: ctor, match: { target: constructor }, approval: auto, conditions: { param_gt: { size: 1 } } }
  - { name: index, match: { type: "0", target: "4294967295" }, approval: auto }
  - { name: glob, match: { type: "to*" }, approval: approve, risk_level: high }
`);
  const guard = await load(policy);
  const hostile = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "0", "1", "4294967295", "-1", "1e3", "", "prototype"];
  const calls: ToolCall[] = [];
  for (const tool of hostile) for (const server of hostile) calls.push({ tool, server, args: { size: tool.length } });
  assertSameDecisions(guard, policy, calls);
});

test("more tool × server outcomes than the engine keeps still decide correctly", async () => {
  // Every tool and every server its own class: 220 × 220 outcomes, past the bound of eight per name (4,096 + 2 per pattern).
  const n = 220;
  const lines = ["rules:"];
  for (let i = 0; i < n; i++) lines.push(`  - { name: t${i}, match: { type: tool${i} }, approval: ${i % 2 ? "auto" : "approve"}, conditions: { param_gt: { size: ${i} } } }`);
  for (let i = 0; i < n; i++) lines.push(`  - { name: s${i}, match: { target: srv${i} }, approval: block, conditions: { param_lt: { size: ${i % 7} } } }`);
  const policy = compilePolicyText(lines.join("\n") + "\n");
  const guard = await load(policy);
  const calls: ToolCall[] = [];
  for (let s = 0; s < n; s++) for (let i = 0; i < n; i++) calls.push({ tool: `tool${i}`, server: `srv${s}`, args: { size: (i * 7 + s) % 300 } });
  assert.ok(calls.length > 8 * (4_096 + 2 * (n + n + 2)));
  assertSameDecisions(guard, policy, calls);
});

test("a condition that throws decides <error> exactly when the interpreter reaches it", async () => {
  const policy = compilePolicyText(`
rules:
  - { name: early, match: { type: safe }, approval: block }
  - { name: reads-size, match: { type: "*" }, approval: approve, conditions: { param_gt: { size: 1 } } }
`);
  const guard = await load(policy);
  const throwing = {
    get size(): number {
      throw new Error("boom");
    },
  };
  for (const tool of ["safe", "other"]) {
    const call = { tool, server: "s", args: throwing };
    assert.equal(guard.decide(call), decide(policy, call), tool);
  }
  assert.is(guard.decide({ tool: "safe", server: "s", args: throwing }).rule, "early");
  assert.is(guard.decide({ tool: "other", server: "s", args: throwing }).rule, "<error>");
});

test("malformed calls are blocked, never thrown on", async () => {
  const policy = compilePolicyText(overlapping);
  const guard = await load(policy);
  const inputs: unknown[] = [null, undefined, 5, "x", [], {}, { tool: 1, server: "s" }, { tool: "t", server: "s", args: [] }, { tool: "t", server: "s", agent: 3 }];
  for (const input of inputs) assert.equal(guard.decide(input as ToolCall), decide(policy, input as ToolCall), String(input));
});

test("the same policy gives byte-identical table modules", () => {
  const policy = compilePolicyText(overlapping);
  assert.is(emitGuardModule(policy, { strategy: "tables" }), emitGuardModule(compilePolicyText(overlapping), { strategy: "tables" }));
});

test("straight-line code for small policies, tables past the size bounds", () => {
  assert.is(planModule(compilePolicyText(overlapping)).strategy, "straight");
  const many = Array.from({ length: STRAIGHT_MAX_RULES + 1 }, (_, i) => `  - { name: r${i}, match: { type: t${i} } }`).join("\n");
  assert.is(planModule(compilePolicyText(`rules:\n${many}\n`)).strategy, "tables");
  // Few rules, but server rules that straight-line code would repeat for every tool name.
  const tools = Array.from({ length: 16 }, (_, i) => `  - { name: t${i}, match: { type: t${i} } }`);
  const serverRules = Array.from({ length: 10 }, (_, i) => `  - { name: s${i}, match: { target: s${i} }, approval: block }`);
  assert.is(planModule(compilePolicyText(`rules:\n${[...tools, ...serverRules].join("\n")}\n`)).strategy, "tables");
  assert.is(planModule(compilePolicyText(overlapping), "tables").strategy, "tables");
});

test("every decision case (test/cases) decides the same in the table form", async () => {
  const suites = loadCaseSuites();
  assert.ok(suites.length > 50);
  for (const suite of suites) {
    const policy = compilePolicyText(suite.policy, suite.combine ? { combine: suite.combine } : {});
    const guard = await load(policy);
    for (const c of suite.cases) {
      const decision = guard.decide(c.call);
      const actual: Record<string, unknown> = {};
      for (const k of Object.keys(c.expect)) actual[k] = (decision as unknown as Record<string, unknown>)[k];
      assert.equal(actual, c.expect, `${suite.file}: ${suite.name}: ${JSON.stringify(c.call)}`);
    }
    assertSameDecisions(guard, policy, suite.cases.map((c) => c.call));
  }
});

test.run();
