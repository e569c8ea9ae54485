// How far an analysis got: every rule is either analysed or left when the whole limit runs out, and the steps of work stay within the limit.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { analyzePolicyWithStats } from "../../compiler/analysis/analyze.ts";
import { compileSources } from "../../compiler/pipeline.ts";

/** One rule of a test policy, its match written out (`type: "x", target: "prod"`): blocking rules are high-risk, allowing ones low-risk. */
const ruleYaml = (name: string, match: string, approval: "auto" | "block", conditions = "") =>
  `  - name: ${name}\n    match: { ${match} }\n${conditions}    risk_level: ${approval === "block" ? "high" : "low"}\n    approval: ${approval}\n`;
/** `count` blocking rules `block_0`, `block_1`… on the tool globs `glob(k)`. */
const blockingGlobs = (count: number, glob: (k: number) => string) => Array.from({ length: count }, (_, k) => ruleYaml(`block_${k}`, `type: "${glob(k)}"`, "block")).join("");
/** The analysis of a strictest-order policy of these rules and defaults. */
function analyzedStrictest(defaults: string, rules: string) {
  const yaml = `version: "1"\ncombine: strictest\ndefaults: ${defaults}\nrules:\n${rules}`;
  return analyzePolicyWithStats(compileSources([{ path: "policy.yaml", text: yaml }]).policy!);
}

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

test("a removal effect whose pass multiplies past the size limit asks each later rule instead, and keeps the rule's other findings", () => {
  // Nine same-outcome rules on overlapping globs, each also on a server and an argument: passing the
  // broad rule's calls down them cuts every piece in three at each, past the size limit. Asked one by
  // one, each takes some of its calls, and the rest fall to the defaults, which decide the same.
  const narrow = Array.from({ length: 9 }, (_, k) => `  - name: narrow_${k + 1}\n    match: { type: "*a${k + 1}*", target: "*s${k + 1}*" }\n    conditions: { param_eq: { p${k + 1}: "x" } }\n    risk_level: low\n    approval: auto\n`).join("");
  const yaml = `version: "1"\ncombine: first-match\ndefaults: { risk_level: low, approval: auto }\nrules:\n  - name: exception\n    match: { type: "write_file" }\n    risk_level: high\n    approval: block\n  - name: broad\n    match: { type: "*" }\n    risk_level: low\n    approval: auto\n${narrow}`;
  const policy = compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
  const broad = analyzePolicyWithStats(policy).findings.filter((f) => f.rule.name === "broad");
  assert.equal(
    broad.map((f) => f.kind),
    ["generalization", "redundant"],
  );
  assert.equal(broad[0].others.map((r) => r.name), ["exception"]);
  assert.equal(
    broad[1].others.map((r) => r.name),
    Array.from({ length: 9 }, (_, k) => `narrow_${k + 1}`),
  );
  assert.ok(broad[1].withDefaults);
});

test("what removing a rule changes is found by cutting the rule that takes each failed example call: half the steps of subtracting every earlier rule", () => {
  // 300 blocking globs before `allow_share` meet every call it shares with a later `vendor*_[rw]*`,
  // so short subtractions cannot settle whether a vendor rule takes some of its calls; the readable
  // example (`vendor0_rshare_repo3`) falls to `allow_repo3` instead, and once that rule is cut from
  // the calls, the next one (ending past `_repo3`) passes. Without the cut the same findings take
  // 15,297 steps (each question subtracts the 300 globs); with it, 7,473.
  const allow = (name: string, tool: string) => ruleYaml(name, `type: "${tool}"`, "auto");
  const vendors = Array.from({ length: 12 }, (_, k) => allow(`allow_vendor${k}`, `vendor${k}_[rw]*`)).join("");
  const rules = `${blockingGlobs(300, (k) => `*share_repo3_v${k}`)}${allow("allow_share", "*share_repo3*")}${allow("allow_repo3", "*_repo3")}${vendors}`;
  const { findings, stats } = analyzedStrictest("{ risk_level: low, approval: auto }", rules);
  const redundant = findings.find((f) => f.rule.name === "allow_share" && f.kind === "redundant");
  assert.ok(redundant, "allow_share is redundant");
  assert.equal(
    redundant!.others.map((r) => r.name),
    ["allow_repo3", ...Array.from({ length: 12 }, (_, k) => `allow_vendor${k}`)],
  );
  assert.ok(stats.workSteps < 10_000, `${stats.workSteps} steps of work`);
});

test("whether a rule is redundant: no check that the later takers cover it while a call it decides still falls to the defaults, and each later rule's question sees only the rules that can meet it", () => {
  // `allow_any`'s example call (a tool no rule names, on prod) falls to the defaults without it, which
  // decide the same; the 200 blocking globs before it make every check whether it is covered by them
  // and the 40 later takers so far give up after 200 comparisons. With the checks (after 8, 16 and 32
  // later rules), 600 steps more; skipped, since the example call shows they would fail, none.
  // Whether a later `t{k}_*` takes some of its calls asks only the earlier rules that can share a call
  // with that rule (none of the `b_*` globs), not all 200: 566 steps fewer. Both: 2,715 steps; neither: 1,549.
  const allow = (name: string, tool: string) => ruleYaml(name, `type: "${tool}", target: "prod"`, "auto");
  const later = Array.from({ length: 40 }, (_, k) => allow(`allow_t${k}`, `t${k}_*`)).join("");
  const { findings, stats } = analyzedStrictest("{ risk_level: low, approval: auto }", `${blockingGlobs(200, (k) => `b_*_v${k}`)}${allow("allow_any", "*")}${later}`);
  const redundant = findings.find((f) => f.rule.name === "allow_any" && f.kind === "redundant");
  assert.ok(redundant, "allow_any is redundant");
  assert.equal(
    redundant!.others.map((r) => r.name),
    Array.from({ length: 40 }, (_, k) => `allow_t${k}`),
  );
  assert.ok(redundant!.withDefaults);
  assert.ok(stats.workSteps < 1_800, `${stats.workSteps} steps of work`);
});

test("what removing a rule changes stops asking later rules once the takers so far cover it", () => {
  // `allow_t`'s calls are all taken, without it, by the afternoon and morning rules after it (together,
  // neither alone); 150 blocking globs before it keep its decided calls from being worked out cheaply,
  // so each later rule is asked in turn. The check after 8 later rules finds the two cover it, and the
  // 100 exact rules after them are not asked: 12,642 steps, where asking them all takes 30,668.
  const allow = (name: string, tool: string, conditions = "") => ruleYaml(name, `type: "${tool}"`, "auto", conditions);
  const later = Array.from({ length: 100 }, (_, k) => allow(`allow_t_${k}`, `t_${k}`)).join("");
  const halves = allow("allow_afternoon", "t_*", '    conditions: { time_after: "12:00" }\n') + allow("allow_morning", "t_*", '    conditions: { time_before: "12:00" }\n');
  const { findings, stats } = analyzedStrictest("{ risk_level: high, approval: block }", `${blockingGlobs(150, (k) => `*_v${k}`)}${allow("allow_t", "t_*")}${halves}${later}`);
  const redundant = findings.find((f) => f.rule.name === "allow_t" && f.kind === "redundant");
  assert.ok(redundant, "allow_t is redundant");
  assert.equal(
    redundant!.others.map((r) => r.name),
    ["allow_afternoon", "allow_morning"],
  );
  assert.not.ok(redundant!.withDefaults);
  assert.ok(stats.workSteps < 20_000, `${stats.workSteps} steps of work`);
});

test.run();
