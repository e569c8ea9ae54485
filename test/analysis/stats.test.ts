// How far an analysis got: every rule is either analysed or left when the whole limit runs out, and the steps of work stay within the limit.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { analyzePolicyWithStats } from "../../compiler/analysis/analyze.ts";
import { compileSources } from "../../compiler/pipeline.ts";

const seed = compileSources([{ path: "policy.yaml", text: readFileSync(new URL("../../examples/quickstart/policy.yaml", import.meta.url), "utf8") }]).policy!;

test("without a tight limit every rule is analysed and none is left", () => {
  const { stats, findings } = analyzePolicyWithStats(seed);
  assert.is(stats.rulesAnalysed, seed.rules.length);
  assert.is(stats.rulesLeft, 0);
  assert.ok(stats.workSteps > 0);
  assert.not.ok(findings.some((f) => f.kind === "incomplete"));
});

test("a limit that runs out part-way: analysed and left add up to the rules, and no more steps of work than the limit", () => {
  const { stats, findings } = analyzePolicyWithStats(seed, { workLimit: 5 });
  assert.is(stats.rulesAnalysed + stats.rulesLeft, seed.rules.length);
  assert.ok(stats.rulesLeft > 0);
  assert.ok(stats.workSteps <= 5);
  assert.ok(findings.some((f) => f.kind === "incomplete"));
});

test.run();
