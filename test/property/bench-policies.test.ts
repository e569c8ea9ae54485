// Property: on the benchmark's synthetic policies (10 to 10,000 rules) and their workloads, the generated module decides as the interpreter.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { generatePolicy, generateWorkload, withCombine } from "../../bench/generate.ts";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import type { Strategy } from "../../compiler/codegen/plan.ts";
import { decide } from "../../compiler/interpret.ts";
import { compilePolicyText, importJs, transpileToJs } from "../support/load-guard.ts";

interface Case {
  readonly rules: number;
  readonly combine: "strictest" | "first-match";
  readonly strategy: Strategy | "auto";
  /** The interpreter costs O(rules) per call, so large policies get fewer calls. */
  readonly calls: number;
}

const cases: Case[] = [
  { rules: 10, combine: "strictest", strategy: "straight", calls: 5_000 },
  { rules: 10, combine: "strictest", strategy: "tables", calls: 5_000 },
  { rules: 10, combine: "first-match", strategy: "auto", calls: 5_000 },
  { rules: 100, combine: "strictest", strategy: "straight", calls: 5_000 },
  { rules: 100, combine: "strictest", strategy: "auto", calls: 5_000 },
  { rules: 100, combine: "first-match", strategy: "auto", calls: 5_000 },
  { rules: 1_000, combine: "strictest", strategy: "auto", calls: 4_000 },
  { rules: 1_000, combine: "first-match", strategy: "auto", calls: 4_000 },
  { rules: 10_000, combine: "strictest", strategy: "auto", calls: 1_000 },
];

for (const c of cases) {
  test(`${c.rules} rules, ${c.combine}, ${c.strategy}: generated ≡ interpreter on ${c.calls} workload calls`, async () => {
    const bench = generatePolicy(c.rules);
    const policy = compilePolicyText(withCombine(bench, c.combine), { path: `bench-${c.rules}.yaml` });
    const guard = await importJs(transpileToJs(emitGuardModule(policy, { strategy: c.strategy })));
    const calls = generateWorkload(bench, c.calls, c.rules + (c.combine === "first-match" ? 1 : 0));
    const decided = new Set<number>();
    // Twice: the second pass runs on the table engine's memoized names and plans.
    for (const call of [...calls, ...calls]) {
      const expected = decide(policy, call);
      const actual = guard.decide(call);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(`mismatch on ${JSON.stringify(call)}: generated ${JSON.stringify(actual)}, interpreter ${JSON.stringify(expected)}`);
      }
      decided.add(expected.index);
    }
    // The workload must exercise the policy: defaults and a good share of the rules.
    assert.ok(decided.has(-1), "no call fell to the defaults");
    assert.ok(decided.size > Math.min(c.rules, c.calls / 20) * 0.3, `only ${decided.size - 1} distinct rules decided`);
  });
}

test.run();
