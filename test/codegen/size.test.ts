// Generated modules grow linearly with the policy: bytes per rule stay flat from 100 to 10,000 rules, and no rule is copied per tool name.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { generatePolicy } from "../../bench/generate.ts";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import { compilePolicyText } from "../support/load-guard.ts";

const bytesPerRule = (rules: number) => {
  const policy = compilePolicyText(generatePolicy(rules).yaml, { path: `bench-${rules}.yaml` });
  return Buffer.byteLength(emitGuardModule(policy), "utf8") / rules;
};

test("bytes per rule do not grow with the rule count (benchmark policies)", () => {
  const [at100, at1000, at10000] = [100, 1_000, 10_000].map(bytesPerRule);
  // The run-time helpers are a fixed cost that smaller policies share among fewer rules, so per-rule size may only fall.
  assert.ok(at1000 <= at100 * 1.1, `${at1000.toFixed(0)} B/rule at 1,000 vs ${at100.toFixed(0)} at 100`);
  assert.ok(at10000 <= at1000 * 1.1, `${at10000.toFixed(0)} B/rule at 10,000 vs ${at1000.toFixed(0)} at 1,000`);
  // The budget: 1 KB per 10 rules on average at 10,000 rules.
  assert.ok(at10000 * 10 <= 1000, `${(at10000 * 10).toFixed(0)} B per 10 rules at 10,000 rules`);
});

test("rules that apply to every tool name are not repeated per name", () => {
  // n exact tool rules and n/2 server rules that outrank them: straight-line code would test every
  // server rule in every tool's branch (n²/2 tests); the tables mention each rule once.
  const policyOf = (n: number) => {
    const lines = ["rules:"];
    for (let i = 0; i < n; i++) lines.push(`  - { name: tool${i}, match: { type: "svc${i}_read" }, approval: auto }`);
    for (let i = 0; i < n / 2; i++) lines.push(`  - { name: server${i}, match: { target: "prod-${i}-*" }, approval: block }`);
    return compilePolicyText(lines.join("\n") + "\n");
  };
  const size = (n: number) => Buffer.byteLength(emitGuardModule(policyOf(n)), "utf8");
  const small = size(200);
  const large = size(2_000);
  assert.ok(large < small * 12, `${large} bytes at 2,000 tools vs ${small} at 200`);
});

test.run();
