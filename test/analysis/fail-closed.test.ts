// The analysis of rules that fail closed where Aegis raises: findings name the rules as written, and claims hold for the calls their failures block.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicy, blocksEveryCall, type Finding } from "../../compiler/analysis/analyze.ts";
import { failClosedPolicy } from "../../compiler/semantics/fail-closed.ts";
import { checkWitness } from "../support/finding-claims.ts";
import { compilePolicyText } from "../support/load-guard.ts";

const analyse = (text: string) => {
  const policy = compilePolicyText(text);
  const findings = analyzePolicy(policy);
  for (const f of findings) if (f.certainty === "proven") assert.is(checkWitness(policy, f), undefined, `${f.kind} ${f.rule.name}: ${f.message}`);
  return { policy, findings };
};
const about = (findings: readonly Finding[], kind: string, rule: string) => findings.filter((f) => f.kind === kind && f.rule.name === rule);

test("the fail-closed form: an entry right before each rule that can fail, blocking with the rule's name and risk", () => {
  const policy = compilePolicyText(`
rules:
  - { name: a, match: { type: t }, approval: auto }
  - { name: b, conditions: { param_gt: { size: 10 } }, approval: approve, risk_level: high }
`);
  const lowered = failClosedPolicy(policy);
  assert.equal(
    lowered.rules.map((r) => [r.index, r.name, r.approval, r.risk, r.failureOf]),
    [
      [0, "a", "auto", "medium", undefined],
      [1, "b", "block", "high", 1],
      [2, "b", "approve", "high", undefined],
    ],
  );
  assert.is(lowered.rules[1].when.kind, "fails");
  assert.is(failClosedPolicy(compilePolicyText("rules:\n  - { name: a, conditions: { param_eq: { x: 1 } } }\n")).rules.length, 1);
});

test("a rule whose matches a `when:` rule before it takes still blocks the calls its conditions cannot evaluate: the finding says so", () => {
  const { findings } = analyse(`
combine: first-match
defaults: { approval: auto }
rules:
  - { name: sized, when: "args.size > 5", approval: approve }
  - { name: big, conditions: { param_gt: { size: 10 } }, approval: approve }
`);
  const [dead] = about(findings, "unreachable", "big");
  assert.ok(dead, JSON.stringify(findings.map((f) => f.message)));
  assert.equal(dead.others.map((o) => [o.name, o.index]), [["sized", 0]]);
  assert.match(dead.message, /still decides the calls on which its conditions cannot be evaluated, blocking them/);
});

test("a rule whose matches a rule before it takes, failures included, is reported plainly", () => {
  const { findings } = analyse(`
combine: first-match
defaults: { approval: auto }
rules:
  - { name: all, approval: approve }
  - { name: big, conditions: { param_gt: { size: 10 } }, approval: approve }
`);
  const [dead] = about(findings, "unreachable", "big");
  assert.ok(dead);
  assert.not.match(dead.message, /still decides/);
  assert.is(findings.filter((f) => f.rule.name === "big").length, 1, "one finding for the rule, none for its fail-closed entry");
});

test("a rule is not redundant when its failures block calls that would otherwise pass", () => {
  const { findings } = analyse(`
combine: first-match
defaults: { approval: auto }
rules:
  - { name: small, conditions: { param_lt: { size: 10 } }, approval: auto }
  - { name: rest, approval: auto }
`);
  assert.equal(about(findings, "redundant", "small"), [], findings.map((f) => f.message).join("\n"));
  // Without a condition that can raise, the same rule is redundant.
  const plain = analyse(`
combine: first-match
defaults: { approval: auto }
rules:
  - { name: small, conditions: { param_eq: { size: 1 } }, approval: auto }
  - { name: rest, approval: auto }
`);
  assert.is(about(plain.findings, "redundant", "small").length, 1);
});

test("a block rule that can fail is redundant when what it blocks is blocked anyway", () => {
  const { findings } = analyse(`
combine: first-match
defaults: { approval: block }
rules:
  - { name: big, conditions: { param_gt: { size: 10 } }, approval: block }
`);
  const [r] = about(findings, "redundant", "big");
  assert.ok(r, findings.map((f) => f.message).join("\n"));
  assert.ok(r.withDefaults);
});

test("the modes differ where strictest ranks a failure as a block: the finding names the rule's fail-closed block, with a witness", () => {
  const { findings } = analyse(`
defaults: { approval: auto }
rules:
  - { name: first, approval: auto }
  - { name: later, conditions: { param_gt: { size: 10 } }, approval: auto }
`);
  const [f] = findings.filter((x) => x.kind === "mode-dependent" && x.others[0]?.name === "later");
  assert.ok(f, findings.map((x) => x.message).join("\n"));
  assert.is(f.rule.name, "first");
  assert.is(f.others[0].index, 1);
  assert.is(f.certainty, "proven");
  assert.match(f.message, /strictest lets `later`'s fail-closed block decide \(block, medium\)/);
  assert.ok(f.witness?.args && typeof f.witness.args.size !== "number");
});

test("blocksEveryCall counts failures as blocks and never hides a tool some call may use", () => {
  const policy = compilePolicyText(`
defaults: { approval: block }
rules:
  - { name: small, match: { type: t }, conditions: { param_lt: { size: 10 } }, approval: auto }
`);
  assert.not.ok(blocksEveryCall(policy, { server: "s", tool: "t" }));
  assert.ok(blocksEveryCall(policy, { server: "s", tool: "u" }));
});

test.run();
