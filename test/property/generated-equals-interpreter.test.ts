// Property: on random policies and calls, both generated forms (straight-line and tables) decide exactly as the reference interpreter (≥ 10,000 calls per form).

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import type { Strategy } from "../../compiler/codegen/plan.ts";
import { decide } from "../../compiler/interpret.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { importJs, transpileToJs } from "../support/load-guard.ts";
import { callArb, policyArb } from "./arbitraries.ts";

const RUNS = 180;
const CALLS_PER_POLICY = 70;
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;

for (const strategy of ["straight", "tables"] as const satisfies readonly Strategy[]) {
  test(`generated (${strategy}) ≡ interpreter on ${RUNS} random policies × ${CALLS_PER_POLICY} calls`, async () => {
    let compared = 0;
    let compiled = 0;
    let nonDefault = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.array(callArb, { minLength: CALLS_PER_POLICY, maxLength: CALLS_PER_POLICY }), async (random, calls) => {
        const result = compileSources([{ path: "random.yaml", text: random.text }]);
        if (!result.policy) {
          // Random names can collide or be empty; such policies are rejected by design, which other suites test.
          return;
        }
        compiled++;
        const policy = result.policy;
        const guard = await importJs(transpileToJs(emitGuardModule(policy, { strategy })));
        // Twice: the second pass goes through the table engine's memo of classified names.
        for (const call of [...calls, ...calls]) {
          const expected = decide(policy, call);
          const actual = guard.decide(call);
          if (expected.index >= 0) nonDefault++;
          compared++;
          if (JSON.stringify(actual) !== JSON.stringify(expected)) {
            throw new Error(`mismatch on ${JSON.stringify(call)}: generated ${JSON.stringify(actual)}, interpreter ${JSON.stringify(expected)}\n${random.text}`);
          }
        }
      }),
      { numRuns: RUNS, ...(seed !== undefined ? { seed } : {}) },
    );
    assert.ok(compiled >= RUNS * 0.9, `only ${compiled} of ${RUNS} random policies compiled`);
    assert.ok(compared >= 10_000, `only ${compared} calls compared`);
    assert.ok(nonDefault >= compared * 0.2, `only ${nonDefault} of ${compared} calls were decided by a rule`);
    console.log(`${strategy}: compared ${compared} calls on ${compiled} policies; ${nonDefault} decided by a rule`);
  });
}

test.run();
