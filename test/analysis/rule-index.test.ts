// The rule index against brute force: the rules it finds for a tool name are exactly those whose tool glob matches the name.

import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { RuleIndex } from "../../compiler/analysis/rule-index.ts";
import type { Rule } from "../../compiler/ir/types.ts";
import { compileGlob } from "../../compiler/semantics/glob.ts";
import { globArb, nameArb } from "../property/arbitraries.ts";
import { propertyRun } from "../support/property-seed.ts";

/** The index reads a rule's position and its tool and server patterns only. */
function rulesWithTools(patterns: readonly string[]): Rule[] {
  return patterns.map((tool, index) => ({ index, tool: { source: tool }, server: { source: "*" } }) as unknown as Rule);
}

const byBruteForce = (patterns: readonly string[], name: string) => patterns.flatMap((p, k) => (compileGlob(p).test(name) ? [k] : []));

test("rulesForName finds exactly the rules whose tool glob matches the name (random globs and names)", () => {
  fc.assert(
    fc.property(fc.array(globArb, { minLength: 1, maxLength: 12 }), fc.array(nameArb, { minLength: 1, maxLength: 8 }), (patterns, names) => {
      const index = new RuleIndex(rulesWithTools(patterns));
      for (const name of names) assert.equal([...index.rulesForName(name)], byBruteForce(patterns, name), `${JSON.stringify(name)} against ${JSON.stringify(patterns)}`);
    }),
    propertyRun(500, 0x1de5),
  );
});

test("globs with inner literals and sets: a name without a glob's longest literal is not matched, one with it is tested in full", () => {
  const patterns = ["*search_comment*", "github_[rw]*", "*_delete_*_v[0-9]", "read_file", "*", "a?c*comment"];
  const index = new RuleIndex(rulesWithTools(patterns));
  for (const name of ["k8s_search_comment_x", "search_commen", "github_read_issue", "github_list", "s3_delete_bucket_v2", "s3_delete_bucket_vx", "abc_comment", "abc_commen", "read_file", ""]) {
    assert.equal([...index.rulesForName(name)], byBruteForce(patterns, name), name);
  }
});

test.run();
