// The rule index against brute force: the rules it finds for a tool name are exactly those whose tool glob matches the name, and a rule's candidates exactly the rules whose tool and server globs both meet its own.

import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { quickIntersect, RuleBits, RuleIndex } from "../../compiler/analysis/rule-index.ts";
import * as Str from "../../compiler/analysis/string-set.ts";
import type { Rule } from "../../compiler/ir/types.ts";
import { classifyGlob, compileGlob } from "../../compiler/semantics/glob.ts";
import { globArb, nameArb } from "../property/arbitraries.ts";
import { propertyRun } from "../support/property-seed.ts";

/** The index reads a rule's position and its tool and server patterns only. */
function rulesWithTools(patterns: readonly string[], servers: readonly string[] = []): Rule[] {
  return patterns.map((tool, index) => ({ index, tool: { source: tool }, server: { source: servers[index] ?? "*" } }) as unknown as Rule);
}

/** Whether two globs match a common string, by automata. */
const globsMeet = (a: string, b: string) => !Str.isEmpty(Str.and(Str.fromGlob(a), Str.fromGlob(b)));

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

test("the named rules for a tool and the rules on any tool for a server together are exactly the rules whose globs match both (random globs, names and servers)", () => {
  const ruleArb = fc.record({ tool: fc.oneof(globArb, fc.constant("*")), server: fc.oneof(globArb, fc.constantFrom("prod-*", "*-github", "dev-github", "*")) });
  fc.assert(
    fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), fc.array(fc.tuple(nameArb, fc.oneof(nameArb, fc.constantFrom("prod-github", "dev-github"))), { minLength: 1, maxLength: 6 }), (specs, calls) => {
      const index = new RuleIndex(rulesWithTools(specs.map((s) => s.tool), specs.map((s) => s.server)));
      for (const [name, server] of calls) {
        const named = index.namedRulesFor(name);
        const anyTool = index.anyToolRulesOn(server);
        assert.ok(named.every((j) => classifyGlob(specs[j].tool).kind !== "any"), "no rule on any tool among the named ones");
        assert.ok(anyTool.every((j) => classifyGlob(specs[j].tool).kind === "any"), "only rules on any tool by server");
        const found = [...named.filter((j) => compileGlob(specs[j].server).test(server)), ...anyTool].sort((a, b) => a - b);
        const expected = specs.flatMap((r, j) => (compileGlob(r.tool).test(name) && compileGlob(r.server).test(server) ? [j] : []));
        assert.equal(found, expected, `${JSON.stringify([name, server])} against ${JSON.stringify(specs)}`);
      }
    }),
    propertyRun(400, 0xa11e),
  );
});

test("globs with inner literals and sets: a name without a glob's longest literal is not matched, one with it is tested in full", () => {
  const patterns = ["*search_comment*", "github_[rw]*", "*_delete_*_v[0-9]", "read_file", "*", "a?c*comment"];
  const index = new RuleIndex(rulesWithTools(patterns));
  for (const name of ["k8s_search_comment_x", "search_commen", "github_read_issue", "github_list", "s3_delete_bucket_v2", "s3_delete_bucket_vx", "abc_comment", "abc_commen", "read_file", ""]) {
    assert.equal([...index.rulesForName(name)], byBruteForce(patterns, name), name);
  }
});

test("globs other than names, prefixes and suffixes: each name finds exactly the globs that match it (random globs of literals, stars, `?` and classes over a small alphabet)", () => {
  const literal = fc.string({ unit: fc.constantFrom("a", "b", "_"), minLength: 1, maxLength: 4 });
  const part = fc.oneof(literal, fc.constantFrom("*", "?", "[ab]", "[!a]"));
  const otherGlob = fc.array(part, { minLength: 2, maxLength: 5 }).map((parts) => parts.join("")).filter((g) => /[*?[]/.test(g) && g !== "*");
  const name = fc.string({ unit: fc.constantFrom("a", "b", "_"), maxLength: 12 });
  fc.assert(
    fc.property(fc.array(otherGlob, { minLength: 1, maxLength: 12 }), fc.array(name, { minLength: 1, maxLength: 8 }), (patterns, names) => {
      const index = new RuleIndex(rulesWithTools(patterns));
      for (const n of names) assert.equal([...index.rulesForName(n)], byBruteForce(patterns, n), `${JSON.stringify(n)} against ${JSON.stringify(patterns)}`);
    }),
    propertyRun(500, 0x7a1d),
  );
});

test("a rule's candidates are exactly the other rules whose tool globs and server globs both meet its own (random globs)", () => {
  const ruleArb = fc.record({ tool: globArb, server: fc.oneof(globArb, fc.constantFrom("prod-*", "*-github", "dev-github", "prod-github", "*")) });
  fc.assert(
    fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 10 }), (specs) => {
      const index = new RuleIndex(rulesWithTools(specs.map((s) => s.tool), specs.map((s) => s.server)));
      for (const [i, own] of specs.entries()) {
        const expected = specs.flatMap((other, j) => (j !== i && globsMeet(own.tool, other.tool) && globsMeet(own.server, other.server) ? [j] : []));
        assert.equal(index.candidates(i), expected, `rule ${i} of ${JSON.stringify(specs)}`);
      }
    }),
    propertyRun(300, 0xca1d),
  );
});

test("a set of rule indexes as bits holds exactly its indexes and lists them in file order, across word boundaries (random sets)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }).chain((size) => fc.tuple(fc.constant(size), fc.uniqueArray(fc.integer({ min: 0, max: size - 1 })))), ([size, indexes]) => {
      const bits = new RuleBits(size, indexes);
      assert.equal(bits.toArray(), [...indexes].sort((a, b) => a - b));
      for (let j = 0; j < size; j++) assert.is(bits.has(j), indexes.includes(j), `index ${j} of ${size}`);
    }),
    propertyRun(300, 0xb175),
  );
  // The top bit of a word reads as a negative number in 32-bit arithmetic.
  assert.equal(new RuleBits(64, [31, 63, 0]).toArray(), [0, 31, 63]);
});

test("two globs' kinds settle whether they meet only when automata agree (exact names, heads and tails of stars)", () => {
  const starGlob = fc.constantFrom("*", "a*", "ab*", "*b", "*ab", "a*b", "ab*b", "*a*", "*ba*", "b*a", "read_*", "*_file", "read*file", "ab", "b", "", "a[b]*", "a?*");
  fc.assert(
    fc.property(fc.oneof(starGlob, globArb), fc.oneof(starGlob, globArb), (a, b) => {
      const quick = quickIntersect(classifyGlob(a), classifyGlob(b));
      if (quick !== undefined) assert.is(quick, globsMeet(a, b), `${JSON.stringify(a)} and ${JSON.stringify(b)}`);
    }),
    propertyRun(2000, 0x9e1d),
  );
  // Cases the kinds settle, both ways.
  assert.is(quickIntersect(classifyGlob("ab*b"), classifyGlob("a*")), true);
  assert.is(quickIntersect(classifyGlob("ab*"), classifyGlob("ac*")), false);
  assert.is(quickIntersect(classifyGlob("*_file"), classifyGlob("read*file")), true);
  assert.is(quickIntersect(classifyGlob("*ab"), classifyGlob("*bb")), false);
  assert.is(quickIntersect(classifyGlob("read_file"), classifyGlob("*_file")), true);
  assert.is(quickIntersect(classifyGlob("read_file"), classifyGlob("*ab*")), false);
});

test.run();
