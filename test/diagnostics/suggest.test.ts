// Unit tests for "did you mean" suggestions.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { closest } from "../../compiler/load/suggest.ts";

test("suggests the nearest key", () => {
  assert.is(closest("aproval", ["approval", "risk_level"]), "approval");
  assert.is(closest("Block", ["auto", "approve", "block"]), "block");
  assert.is(closest("tpye", ["type", "target", "agent"]), "type");
});

test("does not suggest something unrelated", () => {
  assert.is(closest("priority", ["name", "match", "conditions"]), undefined);
});

test.run();
