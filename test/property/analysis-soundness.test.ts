// Property: on random policies, every analysis witness lands where its finding says, and rules proven never to decide never decide a sampled call.

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicy, toToolCall } from "../../compiler/analysis/analyze.ts";
import { ruleRegion } from "../../compiler/analysis/rule-region.ts";
import { cubeSample } from "../../compiler/analysis/witness.ts";
import { decide, ruleMatchesCall } from "../../compiler/interpret.ts";
import type { Policy } from "../../compiler/ir/types.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { checkWitness } from "../support/finding-claims.ts";
import { policyArb } from "./arbitraries.ts";
import { propertyRun } from "../support/property-seed.ts";

const RUNS = 250;
const VALUE_POOL: unknown[] = [-2, -1, 0, 0.5, 1, 2, 2.5, 100, "a", "b", "ab", "/data/x", "True", "", true, false, null, ["a"], [1, 2], { a: 1 }, "1"];
const SAMPLES_PER_DEAD_RULE = 400;

test(`analysis witnesses are sound on ${RUNS} random policies; dead rules never decide sampled calls`, async () => {
  let witnesses = 0;
  let possible = 0;
  let samples = 0;
  let deadRules = 0;
  const kinds = new Map<string, number>();
  let state = 1;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
  await fc.assert(
    fc.asyncProperty(policyArb, async (random_) => {
      const result = compileSources([{ path: "random.yaml", text: random_.text }]);
      if (!result.policy) return;
      const policy = result.policy;
      for (const f of analyzePolicy(policy)) {
        kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
        if (f.certainty === "possible") {
          possible++;
          continue;
        }
        const problem = checkWitness(policy, f);
        if (problem) throw new Error(`${f.kind} finding on ${f.rule.name} (${f.combine}): ${problem}\nwitness ${JSON.stringify(f.witness)}\n${f.message}\n${random_.text}`);
        if (f.witness) witnesses++;
        if (f.kind === "shadowed" || f.kind === "unreachable" || f.kind === "unsatisfiable") {
          deadRules++;
          const p: Policy = { ...policy, combine: f.combine };
          // An unsatisfiable rule has an empty region: sample its globs alone and vary the arguments it tests.
          const cubes = f.kind === "unsatisfiable" ? ruleRegion({ ...f.rule, when: { kind: "const", value: true, span: f.rule.span } }).region : ruleRegion(f.rule).region;
          const params = [...new Set(f.rule.conditions.flatMap((c) => (c.entries ?? []).map((e) => String(e.key))))];
          for (let i = 0; i < SAMPLES_PER_DEAD_RULE && cubes.length > 0; i++) {
            const w = cubeSample(cubes[i % cubes.length], random, { tools: [], servers: [], agents: [] });
            if (!w) continue;
            if (f.kind === "unsatisfiable" && params.length > 0) {
              w.args = { ...w.args };
              for (const k of params) w.args[k] = VALUE_POOL[Math.floor(random() * VALUE_POOL.length)];
            }
            samples++;
            const call = toToolCall(w);
            if (f.kind === "unsatisfiable" ? ruleMatchesCall(f.rule, call) : decide(p, call).index === f.rule.index) {
              throw new Error(`rule ${f.rule.name} claimed ${f.kind} matches ${JSON.stringify(w)}\n${random_.text}`);
            }
          }
        }
      }
    }),
    propertyRun(RUNS, 1105),
  );
  console.log(`checked ${witnesses} witnesses (${possible} possible findings skipped); ${samples} samples from ${deadRules} dead rules; kinds ${JSON.stringify(Object.fromEntries(kinds))}`);
  assert.ok(witnesses > 200, `only ${witnesses} witnesses checked`);
  assert.ok(samples >= 10_000, `only ${samples} samples from dead rules`);
});

test.run();
