// Property: on random policies (Aegis conditions, and when: expressions) and calls, both generated forms decide exactly as the interpreter (≥ 10,000 calls each), and a sample of the modules type-checks under the strictest flags.

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import type { Strategy } from "../../compiler/codegen/plan.ts";
import { decide } from "../../compiler/interpret.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { importJs, transpileToJs } from "../support/load-guard.ts";
import { callArb, policyArb, whenPolicyArb, type RandomPolicy } from "./arbitraries.ts";
import { propertyRun } from "../support/property-seed.ts";
import { typeCheck } from "../support/typecheck.ts";

const RUNS = 180;
const CALLS_PER_POLICY = 70;
/** Every this many compiled policies, the module is kept; all kept modules are type-checked together, as one program. */
const TYPECHECK_EVERY = 8;

/**
 * `minDecided`: the share of calls a rule must decide, so that the comparison is not mostly defaults. Over 40 seeds the
 * share ranged 0.23–0.34 for plain policies and 0.12–0.28 with expressions; the floors leave room for other FC_SEEDs.
 */
const suites: { readonly label: string; readonly policies: fc.Arbitrary<RandomPolicy>; readonly runs: number; readonly minDecided: number; readonly fixedSeed: number }[] = [
  { label: "random policies", policies: policyArb, runs: RUNS, minDecided: 0.15, fixedSeed: 180 },
  // Expressions make rules rarer to match; the defaults are compared too, but fewer calls reach a rule.
  { label: "random policies with when: expressions", policies: whenPolicyArb, runs: 100, minDecided: 0.08, fixedSeed: 100 },
];

for (const { label, policies, runs, minDecided, fixedSeed } of suites) {
  for (const strategy of ["straight", "tables"] as const satisfies readonly Strategy[]) {
    test(`generated (${strategy}) ≡ interpreter on ${runs} ${label} × ${CALLS_PER_POLICY} calls, twice`, async () => {
      let compared = 0;
      let compiled = 0;
      let nonDefault = 0;
      const sample: { fileName: string; text: string }[] = [];
      await fc.assert(
        fc.asyncProperty(policies, fc.array(callArb, { minLength: CALLS_PER_POLICY, maxLength: CALLS_PER_POLICY }), async (random, calls) => {
          const result = compileSources([{ path: "random.yaml", text: random.text }]);
          if (!result.policy) {
            // Random names can collide or be empty; such policies are rejected by design, which other suites test.
            return;
          }
          compiled++;
          const policy = result.policy;
          const module = emitGuardModule(policy, { strategy });
          if (compiled % TYPECHECK_EVERY === 1) sample.push({ fileName: `random${compiled}.guard.ts`, text: module });
          const guard = await importJs(transpileToJs(module));
          // Twice: the second pass goes through the table engine's memo of classified names and plans.
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
        propertyRun(runs, fixedSeed),
      );
      assert.ok(compiled >= runs * 0.9, `only ${compiled} of ${runs} random policies compiled`);
      assert.ok(compared >= 10_000, `only ${compared} calls compared`);
      assert.ok(nonDefault >= compared * minDecided, `only ${nonDefault} of ${compared} calls were decided by a rule`);
      assert.ok(sample.length >= (runs * 0.9) / TYPECHECK_EVERY, `only ${sample.length} modules type-checked`);
      assert.equal(typeCheck(sample, { skipLibCheck: true }), [], "generated modules must type-check with --strict --noUnusedLocals --noUnusedParameters --exactOptionalPropertyTypes --noUncheckedIndexedAccess");
      console.log(`${strategy}, ${label}: compared ${compared} calls on ${compiled} policies; ${nonDefault} decided by a rule; ${sample.length} modules type-checked`);
    });
  }
}

test.run();
