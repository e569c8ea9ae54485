// when: comparisons become region constraints: disjoint ranges, overnight windows, string tests and globs are decided exactly.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { analyzePolicy } from "../../compiler/analysis/analyze.ts";
import { compilePolicyText } from "../support/load-guard.ts";
import { checkWitness } from "../support/finding-claims.ts";

const findings = (text: string) => {
  const policy = compilePolicyText(text);
  const list = analyzePolicy(policy);
  for (const f of list) assert.is(checkWitness(policy, f), undefined, `${f.kind}@${f.rule.name}`);
  return list.map((f) => `${f.kind}@${f.rule.name}${f.certainty === "possible" ? "?" : ""}`).sort();
};

test("args.size > 100 and args.size <= 50 in two rules are proven disjoint (no overlap finding)", () => {
  assert.equal(
    findings(`combine: first-match
defaults: { approval: block }
rules:
  - { name: big, when: args.size > 100, approval: approve }
  - { name: small, when: args.size <= 50, approval: auto }
`),
    [],
  );
});

test("overlapping ranges with different outcomes are found, with a witness in the overlap", () => {
  assert.equal(
    findings(`combine: first-match
defaults: { approval: block }
rules:
  - { name: big, when: args.size > 100, approval: approve }
  - { name: medium, when: args.size >= 50 and args.size < 200, approval: auto }
`),
    ["correlation@medium"],
  );
});

test("an overnight window is one window: a rule inside it is shadowed", () => {
  assert.equal(
    findings(`combine: first-match
defaults: { approval: auto }
rules:
  - { name: freeze, when: time between "18:00" and "08:00", approval: block }
  - { name: late, when: time >= "23:00", approval: approve }
  - { name: day, when: time between "09:00" and "17:00", approval: approve }
`),
    ["shadowed@late"],
  );
});

test("the same condition in a when: and in Aegis keys is the same region", () => {
  assert.equal(
    findings(`combine: first-match
defaults: { approval: auto }
rules:
  - { name: aegis, conditions: { param_gt: { size: 10 } }, approval: block }
  - { name: when, when: args.size > 10, approval: approve }
`),
    ["shadowed@when"],
  );
});

test("string tests on tool, server and args are exact", () => {
  assert.equal(
    findings(`combine: first-match
defaults: { approval: auto }
rules:
  - { name: data, when: args.path startsWith "/data/", approval: approve }
  - { name: csv, when: args.path startsWith "/data/" and args.path endsWith ".csv", approval: block }
  - name: prod
    when: server glob "prod-*" and tool in ["write_file", "move_file"]
    approval: block
  - { name: prod_writes, match: { type: write_file, target: prod-db }, approval: block }
`),
    ["correlation@prod", "shadowed@csv", "shadowed@prod_writes"],
  );
});

test("an unsatisfiable when: is reported", () => {
  assert.equal(findings(`rules:\n  - { name: never, when: args.size > 100 and args.size <= 50 }\n`), ["unsatisfiable@never"]);
  assert.equal(findings(`rules:\n  - { name: never, when: tool == "a" and tool startsWith "b" }\n`), ["unsatisfiable@never"]);
});

test.run();
