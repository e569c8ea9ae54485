// The bench's Cedar and Casbin translations decide as the interpreter, on generated policies and on edge calls, and refuse what they cannot express.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadCasbin, translateToCasbin } from "../../bench/engines/casbin.ts";
import { loadCedar, translateToCedar } from "../../bench/engines/cedar.ts";
import { RequestDomainError, TranslationError } from "../../bench/engines/shared.ts";
import { generatePolicy, generateWorkload } from "../../bench/generate.ts";
import { decide, type Decision, type ToolCall } from "../../compiler/interpret.ts";
import type { Policy } from "../../compiler/ir/types.ts";
import { compilePolicyText } from "../support/load-guard.ts";

let loads = 0;
async function deciders(policy: Policy): Promise<Record<"Cedar" | "Casbin", (call: ToolCall) => Decision>> {
  // Cedar keeps every preparsed set for the process's life, by id: one id per load.
  const cedar = loadCedar(translateToCedar(policy), `test-${loads++}`);
  const casbin = await loadCasbin(translateToCasbin(policy));
  return { Cedar: cedar.decide, Casbin: casbin.decide };
}

async function assertDecidesAsInterpreter(policy: Policy, calls: readonly ToolCall[]): Promise<void> {
  const engines = await deciders(policy);
  for (const call of calls) {
    const expected = decide(policy, call);
    for (const [name, engineDecide] of Object.entries(engines)) {
      // Where aegisc blocks fail-closed (Aegis raises), which neither engine models, the call is refused instead.
      if (expected.failClosed) assert.throws(() => engineDecide(call), (e: unknown) => e instanceof RequestDomainError, `${name} on ${JSON.stringify(call)}`);
      else assert.equal(engineDecide(call), expected, `${name} on ${JSON.stringify(call)}`);
    }
  }
}

for (const [rules, calls] of [
  [10, 1_000],
  [100, 300],
] as const) {
  test(`${rules}-rule bench policy: Cedar and Casbin decide ${calls} workload calls as the interpreter`, async () => {
    const bench = generatePolicy(rules);
    const policy = compilePolicyText(bench.yaml, { path: `bench-${rules}.yaml` });
    await assertDecidesAsInterpreter(policy, generateWorkload(bench, calls));
  });
}

test("the workload reaches every outcome: block, approve, auto and the defaults", async () => {
  const bench = generatePolicy(100);
  const policy = compilePolicyText(bench.yaml, { path: "bench-100.yaml" });
  const seen = new Set(generateWorkload(bench, 300).map((call) => decide(policy, call)).map((d) => (d.index < 0 ? d.rule : d.approval)));
  assert.equal([...seen].sort(), ["<default>", "approve", "auto", "block"]);
});

const EDGE_POLICY = `
version: "1"
defaults: { risk_level: low, approval: auto }
rules:
  - name: pem
    match: { type: "read_*" }
    conditions: { param_matches: { path: "\\\\.pem$" } }
    risk_level: critical
    approval: block
  - name: etc
    match: { type: "read_*" }
    conditions: { param_matches: { path: "^/etc/" } }
    risk_level: high
    approval: block
  - name: big
    match: { type: "*_[rw]*", target: "prod-*" }
    conditions: { param_gt: { size: 1000 } }
    risk_level: high
    approval: approve
  - name: secret
    match: { type: "*" }
    conditions: { param_contains: { path: "secret" } }
    risk_level: medium
    approval: approve
  - name: ops-only
    match: { type: "deploy", agent: "agent-*" }
    risk_level: low
    approval: auto
  - name: bot
    match: { type: "deploy", agent: "bot-ci" }
    risk_level: medium
    approval: auto
  - name: deploy
    match: { type: "deploy" }
    risk_level: medium
    approval: approve
  - name: night
    match: { type: "write_*" }
    conditions: { time_after: "18:00", param_eq: { mode: "append" } }
    risk_level: medium
    approval: approve
  - name: weekend
    match: { type: "write_*" }
    conditions: { weekdays: [6, 7] }
    risk_level: high
    approval: approve
  - name: ranged
    match: { type: "list_*" }
    conditions: { param_gte: { size: 10 }, param_lte: { size: 50 } }
    risk_level: low
    approval: block
`;

test("edge calls: Python's $ before a final newline, set globs, agents, string and integer operands, clocks", async () => {
  const policy = compilePolicyText(EDGE_POLICY);
  const monday9 = Date.UTC(2026, 0, 5, 9, 0);
  const monday20 = Date.UTC(2026, 0, 5, 20, 0);
  const saturday = Date.UTC(2026, 0, 10, 9, 0);
  const calls: ToolCall[] = [
    { tool: "read_file", server: "dev", args: { path: "/home/k.pem" }, time: monday9 },
    { tool: "read_file", server: "dev", args: { path: "/home/k.pem\n" }, time: monday9 },
    { tool: "read_file", server: "dev", args: { path: "/home/k.pem\n\n" }, time: monday9 },
    { tool: "read_file", server: "dev", args: { path: "/etc/passwd" }, time: monday9 },
    { tool: "read_file", server: "dev", args: { path: "x/etc/passwd" }, time: monday9 },
    { tool: "read_file", server: "dev", args: { path: 5 }, time: monday9 },
    { tool: "read_file", server: "dev", time: monday9 },
    { tool: "git_read", server: "prod-a", args: { size: 2000 }, time: monday9 },
    { tool: "git_write", server: "prod-a", args: { size: 2000 }, time: monday9 },
    { tool: "git_xread", server: "prod-a", args: { size: 2000 }, time: monday9 },
    { tool: "git_read", server: "prod-a", args: { size: "5000" }, time: monday9 },
    { tool: "git_read", server: "dev-a", args: { size: 2000 }, time: monday9 },
    { tool: "any", server: "s", args: { path: "/my-secret-file" }, time: monday9 },
    { tool: "any", server: "s", args: { path: 123 }, time: monday9 },
    { tool: "deploy", server: "s", agent: "agent-ops", time: monday9 },
    { tool: "deploy", server: "s", agent: "bot-ci", time: monday9 },
    { tool: "deploy", server: "s", agent: "", time: monday9 },
    { tool: "deploy", server: "s", time: monday9 },
    { tool: "deploy", server: "s", agent: "agent", time: monday9 },
    { tool: "write_file", server: "s", args: { mode: "append" }, time: monday20 },
    { tool: "write_file", server: "s", args: { mode: "append" }, time: monday9 },
    { tool: "write_file", server: "s", args: { mode: 1 }, time: monday20 },
    { tool: "write_file", server: "s", time: saturday },
    { tool: "write_file", server: "s", time: new Date(saturday) },
    { tool: "list_x", server: "s", args: { size: 10 }, time: monday9 },
    { tool: "list_x", server: "s", args: { size: 50 }, time: monday9 },
    { tool: "list_x", server: "s", args: { size: 51 }, time: monday9 },
    { tool: "list_x", server: "s", args: { size: "20" }, time: monday9 },
    { tool: "unknown", server: "s", time: monday9 },
  ];
  await assertDecidesAsInterpreter(policy, calls);
});

test("calls outside the values the translations decide exactly are refused, not decided", async () => {
  const policy = compilePolicyText(EDGE_POLICY);
  const engines = await deciders(policy);
  for (const args of [{ size: true }, { size: 1.5 }, { path: null }, { path: ["secret"] }, { path: { secret: 1 } }]) {
    for (const [name, engineDecide] of Object.entries(engines)) {
      assert.throws(() => engineDecide({ tool: "any", server: "s", args: args as Record<string, unknown>, time: 0 }), (e: unknown) => e instanceof RequestDomainError, `${name} on ${JSON.stringify(args)}`);
    }
  }
});

test("what an engine cannot express stops the translation instead of being left out", () => {
  const refused = (yaml: string, translate: (p: Policy) => unknown) => assert.throws(() => translate(compilePolicyText(yaml)), (e: unknown) => e instanceof TranslationError);
  const rule = (body: string) => `rules:\n  - name: r\n${body}\n    approval: block\n`;
  // Cedar's `like` has no one-character wildcard and no negated set; it has no regular expressions.
  refused(rule('    match: { type: "read_?" }'), translateToCedar);
  refused(rule('    match: { type: "read_[!x]*" }'), translateToCedar);
  refused(rule('    match: { type: "t" }\n    conditions: { param_matches: { path: "^/(etc|var)/" } }'), translateToCedar);
  refused(rule('    match: { type: "t" }\n    conditions: { param_matches: { path: "^12" } }'), translateToCedar);
  refused(rule('    match: { type: "t" }\n    when: args.path startsWith "/x" or args.size > 3'), translateToCedar);
  // Casbin's regexMatch takes no flags; its translation leaves != and string ordering out.
  refused(rule('    match: { type: "t" }\n    conditions: { param_matches: { path: "\\\\d+" } }'), translateToCasbin);
  refused(rule('    match: { type: "t" }\n    when: args.mode != "x"'), translateToCasbin);
  refused(rule('    match: { type: "t" }\n    conditions: { param_contains: { path: "12" } }'), translateToCasbin);
  // Neither effect can say first-match: an earlier allow beating a later block.
  for (const translate of [translateToCedar, translateToCasbin]) refused(`combine: first-match\n${rule('    match: { type: "t" }')}`, translate);
});

test("Casbin loads exactly the translated lines, quotes and commas in conditions included", async () => {
  // A YAML single-quoted scalar: the mode is  a, "b"" 'c  (commas, doubled double quotes, a single quote).
  const policy = compilePolicyText(rule2(`    conditions: { param_eq: { mode: 'a, "b"" ''c' } }`));
  const translation = translateToCasbin(policy);
  const { enforcer } = await loadCasbin(translation);
  assert.equal(await enforcer.getPolicy(), translation.lines);
  await assertDecidesAsInterpreter(policy, [
    { tool: "t", server: "s", args: { mode: `a, "b"" 'c` }, time: 0 },
    { tool: "t", server: "s", args: { mode: "a" }, time: 0 },
  ]);
});

function rule2(conditions: string): string {
  return `rules:\n  - name: r\n    match: { type: "t" }\n${conditions}\n    approval: block\n`;
}

test.run();
