// The differential fuzzer's quick mode in every test run: 20,000 hostile calls on random policies, each against the straight and the table module and the interpreter (npm run fuzz runs it at any size).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDifferentialFuzz } from "../fuzz/differential.ts";
import { propertyRun } from "../support/property-seed.ts";

const CASES = 20_000;

test(`differential fuzz, quick: ${CASES.toLocaleString("en-US")} cases agree`, () => {
  const seed = propertyRun(1, 21_021).seed ?? Math.floor(Math.random() * 2 ** 31);
  const result = runDifferentialFuzz({ cases: CASES, seed });
  assert.is(result.failure, undefined, result.failure);
  assert.ok(result.cases >= CASES, `only ${result.cases} cases compared (${result.rejected} policies rejected)`);
  assert.ok(result.decidedByRule >= CASES * 0.05, `only ${result.decidedByRule} calls decided by a rule`);
  console.log(`fuzz: ${result.cases} cases on ${result.policies} policies, ${result.decidedByRule} decided by a rule, seed ${seed}`);
});

test.run();
