// Comparing the modes in a worker thread, beside the rules' own analysis: the same findings as comparing them after it (the example calls may differ: the worker starts with no memoized answers), the limits kept, and the route taken by the CLI for large policies.

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicyWithStats, MODES_IN_WORKER_FROM_RULES, toToolCall, type Finding } from "../../compiler/analysis/analyze.ts";
import { decide } from "../../compiler/interpret.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { generatePolicy } from "../../bench/generate.ts";

const claim = (f: Finding) => `${f.combine} ${f.kind} ${f.rule.name} [${f.others.map((o) => o.name).join(",")}] ${f.certainty} ${f.message}`;
const policyOf = (rules: number, seed: number) => compileSources([{ path: "bench.yaml", text: generatePolicy(rules, seed).yaml }]).policy!;

test("a worker finds what comparing the modes after the rules finds, in the same order, with witnesses the interpreter confirms", () => {
  for (const seed of [1, 2]) {
    const policy = policyOf(120, seed);
    const here = analyzePolicyWithStats(policy, { modesInWorker: false });
    const beside = analyzePolicyWithStats(policy, { modesInWorker: true });
    assert.ok(here.findings.some((f) => f.kind === "mode-dependent"), "the policy has mode-dependent calls");
    assert.equal(beside.findings.map(claim), here.findings.map(claim));
    assert.is(beside.stats.modesBeside, true);
    assert.is(here.stats.modesBeside, false);
    assert.is(beside.stats.workSteps, here.stats.workSteps);
    for (const f of beside.findings.filter((f) => f.kind === "mode-dependent" && f.certainty === "proven")) {
      const call = toToolCall(f.witness!);
      assert.is(decide({ ...policy, combine: "first-match" }, call).rule, f.rule.name);
      assert.is(decide({ ...policy, combine: "strictest" }, call).rule, f.others[0].name);
    }
  }
});

test("when the rules' own analysis spends the work limit, the worker's comparison is dropped, as it is when compared after", () => {
  const policy = policyOf(120, 1);
  for (const modesInWorker of [false, true]) {
    const { findings, stats } = analyzePolicyWithStats(policy, { modesInWorker, workLimit: 200 });
    assert.ok(stats.rulesLeft > 0, "the limit stops the rules' own analysis");
    assert.not.ok(findings.some((f) => f.kind === "mode-dependent"));
    assert.ok(findings.some((f) => f.kind === "incomplete" && /modes were not compared/.test(f.message)));
  }
});

test("the comparison has a work limit of its own: a limit that the rules' own analysis fits, but not with the comparison, still compares the modes", () => {
  const policy = policyOf(200, 1);
  const own = analyzePolicyWithStats(policy, { modes: ["strictest"], workLimit: Infinity }).stats.workSteps;
  const whole = analyzePolicyWithStats(policy, { modesInWorker: false, workLimit: Infinity });
  assert.ok(whole.stats.workSteps > own + 1, "the comparison takes steps of its own");
  for (const modesInWorker of [false, true]) {
    const { findings, stats } = analyzePolicyWithStats(policy, { modesInWorker, workLimit: own + 1 });
    assert.not.ok(findings.some((f) => f.kind === "incomplete"), `complete (worker: ${modesInWorker})`);
    assert.equal(findings.map(claim), whole.findings.map(claim));
    assert.is(stats.workSteps, whole.stats.workSteps);
  }
});

test(`the CLI compares the modes of a policy of ${MODES_IN_WORKER_FROM_RULES} rules in a worker, and reports them`, () => {
  const dir = mkdtempSync(join(tmpdir(), "aegisc-modes-"));
  const file = join(dir, "large.yaml");
  writeFileSync(file, generatePolicy(MODES_IN_WORKER_FROM_RULES, 1).yaml);
  const bin = fileURLToPath(new URL("../../bin/aegisc.js", import.meta.url));
  // The executable loads TypeScript through tsx's API, not a flag the worker would inherit.
  const run = spawnSync(process.execPath, [bin, "check", "--format", "json", file], { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, maxBuffer: 1 << 28 });
  assert.is(run.status, 1, run.stderr);
  const report = JSON.parse(run.stdout) as { findings: { kind: string; witness?: unknown }[] };
  const modeDependent = report.findings.filter((f) => f.kind === "mode-dependent");
  assert.ok(modeDependent.length > 0, "mode-dependent findings are reported");
  assert.ok(modeDependent.every((f) => f.witness !== undefined));
  assert.not.ok(report.findings.some((f) => f.kind === "incomplete"));
});

test.run();
