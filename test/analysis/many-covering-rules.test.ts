// A rule covered by many rules together, no one of which holds it: the message names the first few and counts the rest, while the finding keeps every covering rule.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicy, MAX_NAMED_IN_MESSAGE } from "../../compiler/analysis/analyze.ts";
import { compileSources } from "../../compiler/pipeline.ts";

/** `days` rules on one weekday each, then a rule on every day that they leave without calls. */
function weekdayCover(days: number, approval = "block", risk = "high") {
  const perDay = Array.from({ length: days }, (_, k) => `  - name: day_${k + 1}\n    match: { type: "write_file" }\n    conditions: { weekdays: [${k + 1}] }\n    risk_level: ${risk}\n    approval: ${approval}\n`).join("");
  // Fewer than 7 days: the rest share one rule, so that the daily ones still cover the last rule only together.
  const rest = days < 7 ? `  - name: other_days\n    match: { type: "write_file" }\n    conditions: { weekdays: [${Array.from({ length: 7 - days }, (_, k) => days + k + 1).join(", ")}] }\n    risk_level: ${risk}\n    approval: ${approval}\n` : "";
  const yaml = `version: "1"\ncombine: first-match\ndefaults: { risk_level: low, approval: auto }\nrules:\n${perDay}${rest}  - name: any_day\n    match: { type: "write_file" }\n    risk_level: low\n    approval: auto\n`;
  const policy = compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
  const finding = analyzePolicy(policy).find((f) => f.rule.name === "any_day" && (f.kind === "shadowed" || f.kind === "unreachable"));
  assert.ok(finding, "the last rule is reported as never deciding");
  return finding!;
}

test("seven covering rules: three are named, four counted, and all seven are in the finding", () => {
  const finding = weekdayCover(7);
  assert.is(finding.kind, "shadowed");
  assert.equal(
    finding.others.map((r) => r.name),
    ["day_1", "day_2", "day_3", "day_4", "day_5", "day_6", "day_7"],
  );
  assert.match(finding.message, /never decides: `day_1`, `day_2`, `day_3` and 4 other rules cover it together, and `day_1` decides differently/);
  assert.not.match(finding.message, /day_4/);
});

test(`up to ${MAX_NAMED_IN_MESSAGE} covering rules are all named`, () => {
  const finding = weekdayCover(3);
  assert.equal(
    finding.others.map((r) => r.name),
    ["day_1", "day_2", "day_3", "other_days"],
  );
  assert.match(finding.message, /never decides: `day_1`, `day_2`, `day_3`, `other_days` cover it together/);
});

test("the same cap when the covering rules decide the same", () => {
  const finding = weekdayCover(7, "auto", "low");
  assert.is(finding.kind, "unreachable");
  assert.is(finding.others.length, 7);
  assert.match(finding.message, /never decides: `day_1`, `day_2`, `day_3` and 4 other rules cover it together with the same outcome/);
});

test("the same cap for the rules that would decide a redundant rule's calls", () => {
  const perDay = Array.from({ length: 7 }, (_, k) => `  - name: day_${k + 1}\n    match: { type: "write_file" }\n    conditions: { weekdays: [${k + 1}] }\n    risk_level: low\n    approval: auto\n`).join("");
  const yaml = `version: "1"\ncombine: first-match\ndefaults: { risk_level: high, approval: block }\nrules:\n  - name: any_day\n    match: { type: "write_file" }\n    risk_level: low\n    approval: auto\n${perDay}`;
  const policy = compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
  const finding = analyzePolicy(policy).find((f) => f.rule.name === "any_day" && f.kind === "redundant");
  assert.ok(finding);
  assert.is(finding!.others.length, 7);
  assert.match(finding!.message, /without it, `day_1`, `day_2`, `day_3` and 4 other rules would decide its calls the same way/);
});

test("forty rules that cover a rule together are all found, and later rules that take nothing are not", () => {
  const windows = Array.from({ length: 40 }, (_, k) => `  - name: size_${k}\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: ${k * 10} }, param_lt: { size: ${k * 10 + 10} } }\n    risk_level: high\n    approval: block\n`).join("");
  // Rules after the cover that match the region's calls, each already taken by the windows.
  const extras = Array.from({ length: 30 }, (_, k) => `  - name: again_${k}\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: ${k * 10} }, param_lt: { size: ${k * 10 + 5} } }\n    risk_level: low\n    approval: auto\n`).join("");
  const yaml = `version: "1"\ncombine: first-match\ndefaults: { risk_level: low, approval: auto }\nrules:\n${windows}${extras}  - name: small_writes\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: 0 }, param_lt: { size: 400 } }\n    risk_level: low\n    approval: auto\n`;
  const policy = compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
  const finding = analyzePolicy(policy).find((f) => f.rule.name === "small_writes" && f.kind === "shadowed");
  assert.ok(finding, "small_writes never decides");
  assert.equal(
    finding!.others.map((r) => r.name),
    Array.from({ length: 40 }, (_, k) => `size_${k}`),
  );
});

/**
 * `small_writes` (sizes 0 to `upTo`), then 40 windows of 10 that decide the same and cover sizes
 * 0 to 400 together, then `extras` rules that decide differently on sizes that straddle two
 * windows (each covered by two windows, so no one rule holds it), then `tail` when given.
 */
function laterCover(upTo: number, extras: number, tail = "") {
  const windows = Array.from({ length: 40 }, (_, k) => `  - name: size_${k}\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: ${k * 10} }, param_lt: { size: ${k * 10 + 10} } }\n    risk_level: low\n    approval: auto\n`).join("");
  const straddling = Array.from({ length: extras }, (_, k) => `  - name: again_${k}\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: ${(k % 39) * 10 + 5} }, param_lt: { size: ${(k % 39) * 10 + 15} } }\n    risk_level: high\n    approval: block\n`).join("");
  // Earlier rules that each cut a hole for one agent: what small_writes decides is then dozens of pieces, too many to pass down the later rules at once, so that each later rule is asked about.
  const holes = Array.from({ length: 70 }, (_, k) => `  - name: hole_${k}\n    match: { type: "write_file", agent: "bot-${k}" }\n    conditions: { param_gte: { size: ${k} }, param_lt: { size: ${k + 1} } }\n    risk_level: high\n    approval: block\n`).join("");
  const yaml = `version: "1"\ncombine: first-match\ndefaults: { risk_level: high, approval: block }\nrules:\n${holes}  - name: small_writes\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: 0 }, param_lt: { size: ${upTo} } }\n    risk_level: low\n    approval: auto\n${windows}${straddling}${tail}`;
  const policy = compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
  return { redundant: analyzePolicy(policy).find((f) => f.rule.name === "small_writes" && f.kind === "redundant") };
}

test("a rule that forty later rules cover together is redundant, with all forty named, however many later rules follow", () => {
  const few = laterCover(400, 30);
  assert.ok(few.redundant, "small_writes is redundant");
  assert.equal(
    few.redundant!.others.map((r) => r.name),
    Array.from({ length: 40 }, (_, k) => `size_${k}`),
  );
  assert.is(few.redundant!.withDefaults, false);
  // Past the 64th later rule the takers are found to cover the rule, and the rest are not asked about: the same forty.
  assert.equal(laterCover(400, 330).redundant!.others.length, 40);
});

test("a later rule that decides differently on calls the cover leaves still makes the rule matter", () => {
  const tail = `  - name: big_block\n    match: { type: "write_file" }\n    conditions: { param_gte: { size: 400 } }\n    risk_level: high\n    approval: block\n`;
  const { redundant } = laterCover(410, 100, tail);
  assert.is(redundant, undefined, "removing small_writes would let big_block decide sizes 400 to 410");
});

test.run();
