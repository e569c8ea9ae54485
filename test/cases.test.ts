// Decision cases as data (test/cases/*.yaml), each run against the reference interpreter and the generated module.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { decide, decideAmong, decideWithout, precedenceOrder, ruleFailsOnCall, ruleMatchesCall } from "../compiler/interpret.ts";
import { loadCaseSuites } from "./support/cases.ts";
import { compilePolicyText, loadGeneratedGuard } from "./support/load-guard.ts";

const suites = loadCaseSuites();

test("there are decision cases", () => {
  assert.ok(suites.length > 50);
});

for (const suite of suites) {
  test(`${suite.file}: ${suite.name}`, async () => {
    const policy = compilePolicyText(suite.policy, suite.combine ? { combine: suite.combine } : {});
    const generated = await loadGeneratedGuard(policy);
    for (const c of suite.cases) {
      const label = `${JSON.stringify(c.call)}${c.note ? ` (${c.note})` : ""}`;
      for (const [impl, decision] of [
        ["interpreter", decide(policy, c.call)],
        ["generated", generated.decide(c.call)],
      ] as const) {
        const actual: Record<string, unknown> = {};
        for (const k of Object.keys(c.expect)) actual[k] = (decision as unknown as Record<string, unknown>)[k];
        assert.equal(actual, c.expect, `${impl}: ${label}`);
      }
    }
  });
}

test("decideAmong over the rules that match a call or fail on it, in precedence order, decides as decide (the analysis checks witnesses this way)", () => {
  let checked = 0;
  for (const suite of suites) {
    const policy = compilePolicyText(suite.policy, suite.combine ? { combine: suite.combine } : {});
    const order = precedenceOrder(policy);
    for (const c of suite.cases) {
      const matching = order.filter((i) => ruleMatchesCall(policy.rules[i], c.call) || ruleFailsOnCall(policy.rules[i], c.call));
      assert.equal(decideAmong(policy, c.call, matching), decide(policy, c.call), JSON.stringify(c.call));
      assert.equal(decideAmong(policy, c.call, order), decide(policy, c.call));
      for (const skip of matching.slice(0, 1)) assert.equal(decideAmong(policy, c.call, matching, skip), decideWithout(policy, c.call, skip));
      checked++;
    }
  }
  assert.ok(checked > 50);
});

test.run();
