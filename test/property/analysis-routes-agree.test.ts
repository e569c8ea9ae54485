// Property: asking earlier rules one at a time (the default) finds exactly what passing every rule's whole region down finds.

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicy, type Finding } from "../../compiler/analysis/analyze.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { generatePolicy } from "../../bench/generate.ts";
import { policyArb } from "./arbitraries.ts";
import { propertyRun } from "../support/property-seed.ts";

const RUNS = 200;

/** What a finding claims, without its witness: the two routes may pick different example calls. */
const claim = (f: Finding) => `${f.combine} ${f.kind} ${f.rule.name} [${f.others.map((o) => o.name).join(",")}]${f.withDefaults ? " +defaults" : ""} ${f.certainty}`;

function compareRoutes(text: string): void {
  const policy = compileSources([{ path: "random.yaml", text }]).policy;
  if (!policy) return;
  const lazy = analyzePolicy(policy).map(claim);
  const full = analyzePolicy(policy, { passEveryRule: true }).map(claim);
  assert.equal(lazy, full, text);
}

test(`both routes give the same findings on ${RUNS} random policies`, () => {
  fc.assert(
    fc.property(policyArb, (random) => compareRoutes(random.text)),
    propertyRun(RUNS, 2026),
  );
});

test("both routes give the same findings on generated 60-rule policies (overlaps, shadowing, mode-dependence at scale)", () => {
  for (const s of [1, 2, 3]) {
    const policy = compileSources([{ path: "bench.yaml", text: generatePolicy(60, s).yaml }]).policy!;
    const lazy = analyzePolicy(policy).map(claim);
    assert.ok(lazy.some((c) => c.includes("mode-dependent")) && lazy.some((c) => c.includes("correlation")), "the policy exercises both questions");
    assert.equal(lazy, analyzePolicy(policy, { passEveryRule: true }).map(claim));
  }
});

test.run();
