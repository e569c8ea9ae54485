// A rule that one rule holds whole: before it, the finding names that rule and the first that decides some of its calls differently; after it (redundant), that rule alone; not every rule that takes some.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicy, toToolCall, type Finding } from "../../compiler/analysis/analyze.ts";
import { decide } from "../../compiler/interpret.ts";
import { compileSources } from "../../compiler/pipeline.ts";

const rule = (name: string, match: string, approval: string, risk: string, conditions = "") =>
  `  - name: ${name}\n    match: ${match}\n${conditions ? `    conditions: ${conditions}\n` : ""}    risk_level: ${risk}\n    approval: ${approval}\n`;

/** Ten rules on one production server each, deciding like `target`, then `middle`, then `cover`, then `target`. */
function policyOf(middle: string, cover: string, target: string, combine = "first-match") {
  const perServer = Array.from({ length: 10 }, (_, k) => rule(`prod_${k}_writes`, `{ type: "write_file", target: "prod-${k}" }`, "auto", "low")).join("");
  const yaml = `version: "1"\ncombine: ${combine}\ndefaults: { risk_level: low, approval: auto }\nrules:\n${perServer}${middle}${cover}${target}`;
  return compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
}

const target = rule("prod_writes", `{ type: "write_file", target: "prod-*" }`, "auto", "low");
const neverDecides = (findings: Finding[], name: string) => findings.filter((f) => f.rule.name === name && (f.kind === "shadowed" || f.kind === "unreachable"));

test("shadowed: the rule that holds it, and the first that takes some of its calls and decides differently", () => {
  const eu = rule("eu_writes", `{ type: "write_file", target: "prod-eu*" }`, "block", "high");
  const cover = rule("all_writes", `{ type: "write_file" }`, "approve", "medium");
  const policy = policyOf(eu, cover, target);
  const [finding] = neverDecides(analyzePolicy(policy), "prod_writes");
  assert.ok(finding, "prod_writes never decides");
  assert.is(finding.kind, "shadowed");
  assert.is(finding.certainty, "proven");
  // The ten rules that take some of its calls with the same outcome are not named.
  assert.equal(finding.others.map((r) => r.name), ["eu_writes", "all_writes"]);
  assert.is(finding.message, "`prod_writes` (auto, low) never decides: `all_writes` covers it, and `eu_writes` takes some of its calls first and decides differently (block, high).");
  // The witness is a call of the rule that the differing taker decides.
  const decision = decide(policy, toToolCall(finding.witness!));
  assert.is(decision.rule, "eu_writes");
  assert.match(finding.witness!.server, /^prod-eu/);
});

test("shadowed: the holder itself is the differing taker", () => {
  const cover = rule("all_writes", `{ type: "write_file" }`, "approve", "medium");
  const [finding] = neverDecides(analyzePolicy(policyOf("", cover, target)), "prod_writes");
  assert.is(finding.kind, "shadowed");
  assert.equal(finding.others.map((r) => r.name), ["all_writes"]);
  assert.is(finding.message, "`prod_writes` (auto, low) never decides: `all_writes` covers it and decides differently (approve, medium).");
  assert.is(decide(policyOf("", cover, target), toToolCall(finding.witness!)).rule, "all_writes");
});

test("unreachable: a holder with the same outcome is named alone", () => {
  const cover = rule("all_writes", `{ type: "write_file" }`, "auto", "low");
  const policy = policyOf("", cover, target);
  const [finding] = neverDecides(analyzePolicy(policy), "prod_writes");
  assert.is(finding.kind, "unreachable");
  assert.equal(finding.others.map((r) => r.name), ["all_writes"]);
  assert.is(finding.message, "`prod_writes` never decides: `all_writes` covers it with the same outcome, so it is redundant.");
  // The witness is a call of the rule, decided by one of the rules before it with the same outcome.
  const decision = decide(policy, toToolCall(finding.witness!));
  assert.match(decision.rule, /^prod_\d_writes$/);
});

test("a holder that decides differently but takes none of the calls: every taker is named instead", () => {
  // The ten per-server rules and the two weekday rules take all of prod-*, and no one of them holds it; `all_writes` holds it but decides none of its calls.
  const rest = rule("early_week", `{ type: "write_file", target: "prod-*" }`, "auto", "low", `{ weekdays: [1, 2, 3] }`);
  const others = rule("late_week", `{ type: "write_file", target: "prod-*" }`, "auto", "low", `{ weekdays: [4, 5, 6, 7] }`);
  const cover = rule("all_writes", `{ type: "write_file" }`, "block", "high");
  const [finding] = neverDecides(analyzePolicy(policyOf(rest + others, cover, target)), "prod_writes");
  assert.is(finding.kind, "unreachable");
  assert.equal(
    finding.others.map((r) => r.name),
    [...Array.from({ length: 10 }, (_, k) => `prod_${k}_writes`), "early_week", "late_week"],
  );
  assert.not.ok(finding.others.some((r) => r.name === "all_writes"));
});

test("strictest: the stricter holder, and the first stricter rule that takes some, not every one", () => {
  const eu = rule("eu_writes", `{ type: "write_file", target: "prod-eu*" }`, "block", "high");
  const us = rule("us_writes", `{ type: "write_file", target: "prod-us*" }`, "block", "high");
  const cover = rule("all_writes", `{ type: "write_file" }`, "approve", "medium");
  const [finding] = neverDecides(analyzePolicy(policyOf(eu + us, cover, target, "strictest")), "prod_writes");
  assert.is(finding.kind, "shadowed");
  assert.equal(finding.others.map((r) => r.name), ["eu_writes", "all_writes"]);
});

/** `first`, then ten rules on one production server each deciding like it, then `later`. */
function laterPolicy(later: string) {
  const perServer = Array.from({ length: 10 }, (_, k) => rule(`prod_${k}_writes`, `{ type: "write_file", target: "prod-${k}" }`, "auto", "low")).join("");
  const yaml = `version: "1"\ncombine: first-match\ndefaults: { risk_level: high, approval: block }\nrules:\n${target}${perServer}${later}`;
  return compileSources([{ path: "policy.yaml", text: yaml }]).policy!;
}
const redundant = (findings: Finding[], name: string) => findings.filter((f) => f.rule.name === name && f.kind === "redundant");

test("redundant: a later rule deciding the same that holds all of its calls is named alone", () => {
  const cover = rule("all_writes", `{ type: "write_file" }`, "auto", "low");
  const [finding] = redundant(analyzePolicy(laterPolicy(cover)), "prod_writes");
  assert.ok(finding, "prod_writes is redundant");
  assert.equal(finding.others.map((r) => r.name), ["all_writes"]);
  assert.is(finding.withDefaults, false);
  assert.is(finding.message, "`prod_writes` is redundant: without it, the rules after it would decide its calls the same way (auto, low), and `all_writes` covers them all.");
  // Both routes name it so.
  const [byPass] = redundant(analyzePolicy(laterPolicy(cover), { passEveryRule: true }), "prod_writes");
  assert.equal(byPass.others.map((r) => r.name), ["all_writes"]);
});

test("redundant: with no later rule holding all of its calls, every later rule that takes some is named", () => {
  const early = rule("early_week", `{ type: "write_file", target: "prod-*" }`, "auto", "low", `{ weekdays: [1, 2, 3] }`);
  const late = rule("late_week", `{ type: "write_file", target: "prod-*" }`, "auto", "low", `{ weekdays: [4, 5, 6, 7] }`);
  const [finding] = redundant(analyzePolicy(laterPolicy(early + late)), "prod_writes");
  assert.ok(finding, "prod_writes is redundant");
  assert.equal(finding.others.map((r) => r.name), [...Array.from({ length: 10 }, (_, k) => `prod_${k}_writes`), "early_week", "late_week"]);
});

test("not redundant: a later rule between that decides differently takes some, though a rule deciding the same holds them all", () => {
  const eu = rule("eu_writes", `{ type: "write_file", target: "prod-eu*" }`, "block", "high");
  const cover = rule("all_writes", `{ type: "write_file" }`, "auto", "low");
  assert.equal(redundant(analyzePolicy(laterPolicy(eu + cover)), "prod_writes"), []);
});

test.run();
