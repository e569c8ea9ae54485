// Python regexes: what CPython accepts compiles, what it rejects is refused with its message, matches mean what they mean in Python, and matching takes linear time (counted in steps).

import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compilePythonRegex } from "../../compiler/semantics/python-regex.ts";
import { pyreSearch } from "../../compiler/semantics/support.ts";

interface Table {
  readonly accept: [string, [string, boolean][]][];
  readonly meaning: [string, [string, boolean][]][];
  readonly refused: [string, string][];
}
const table = JSON.parse(readFileSync(new URL("./data/python-regex-meaning.json", import.meta.url), "utf8")) as Table;

function compiled(source: string) {
  const tr = compilePythonRegex(source);
  if (!tr.ok) throw new Error(`${source}: ${tr.message}`);
  return tr.regex;
}

for (const part of ["accept", "meaning"] as const) {
  test(`${part}: every pattern compiles and searches as Python's re.search`, () => {
    for (const [source, strings] of table[part]) {
      const regex = compiled(source);
      for (const [s, expected] of strings) assert.is(pyreSearch(regex.program, s), expected, `${source} on ${JSON.stringify(s)}`);
    }
  });
}

test("what Python rejects is refused with Python's message and a position", () => {
  for (const [source, message] of table.refused) {
    const tr = compilePythonRegex(source);
    assert.ok(!tr.ok && !tr.limit, source);
    if (!tr.ok) assert.is(tr.message, message, source);
  }
  const tr = compilePythonRegex("ab[cd");
  assert.equal(tr.ok ? undefined : [tr.message, tr.offset], ["unterminated character set", 2]);
  // Offsets are UTF-16 offsets into the pattern as written, past astral characters.
  const astral = compilePythonRegex("😀\\q");
  assert.equal(astral.ok ? undefined : [astral.message, astral.offset], ["bad escape \\q", 2]);
});

test("limits: patterns Python accepts that are not regular, or that the rewrites cannot make linear, are refused as limits", () => {
  for (const source of ["(\\w+)\\s+\\1", "(.)\\1", "(?>a*?b|a)", "(?:a|ab)*+c", "x(?=.*y)", "(?=(a))\\1", "(a)(?=(\\w+)\\2)", "(?:a{1000}){1000}"]) {
    const tr = compilePythonRegex(source);
    assert.ok(!tr.ok && tr.limit, source);
  }
  // …while a back-reference to a group with few possible contents is regular, and decided exactly.
  const quotes = compiled(`(['"])[^'"]*\\1`);
  assert.ok(pyreSearch(quotes.program, `say "hi"`));
  assert.not.ok(pyreSearch(quotes.program, `say "hi'`));
});

/** Steps of one search, as counted by the automaton. */
function steps(source: string, s: string): { found: boolean; steps: number } {
  const meter = { steps: 0 };
  const found = pyreSearch(compiled(source).program, s, meter);
  return { found, steps: meter.steps };
}

test("linear time: patterns that backtrack catastrophically in Python take steps proportional to the text", () => {
  for (const [source, unit, tail] of [
    ["(a+)+$", "a", "!"],
    ["(a|aa)*b", "a", ""],
    ["(\\w+\\s?)*$", "ab ", "!"],
    ["^(a|a?)+$", "a", "b"],
    ["(x+x+)+y", "x", ""],
    ["(.*a){10}", "a", "b"],
    ["\\s*x\\s*$", " ", "y"],
    ["(?<=a)b|(?<!c)d", "ac", ""],
  ]) {
    const small = steps(source, unit.repeat(1000) + tail);
    const large = steps(source, unit.repeat(4000) + tail);
    const program = compiled(source).program;
    // A bound by construction: each state is taken into the closure and stepped at most once per position, and each lookaround scan is bounded.
    const perPosition = 2 * (program.ops.length / 4 + 1);
    assert.ok(large.steps <= perPosition * (unit.length * 4000 + tail.length + 1) * (1 + program.looks.length), `${source}: ${large.steps} steps`);
    // Four times the text, at most about four times the steps.
    assert.ok(large.steps <= 4 * small.steps + 4 * perPosition, `${source}: ${small.steps} then ${large.steps} steps`);
  }
});

test("the unanchored search restarts at every position but shares states, so a failing search is linear too", () => {
  const a = steps("a{5}b", "a".repeat(2000));
  const b = steps("a{5}b", "a".repeat(8000));
  assert.not.ok(a.found);
  assert.ok(b.steps <= 4 * a.steps + 100, `${a.steps} then ${b.steps}`);
});

test("a literal pattern compiles to a text search, a pattern with operators to an automaton", () => {
  assert.equal(compiled("^/etc/").literal, { text: "/etc/", start: true, end: 0 });
  assert.equal(compiled("\\.pem$").literal, { text: ".pem", start: false, end: 2 });
  assert.equal(compiled("key\\Z").literal, { text: "key", start: false, end: 1 });
  assert.is(compiled("a.b").literal, undefined);
  assert.is(compiled("(?i)abc").literal, undefined);
});

test("the analysis gets the language of plain patterns (anchors at the ends only), and none for assertions inside", () => {
  assert.equal(compiled("^/data/.*\\.csv$").language?.start, true);
  assert.equal(compiled("^/data/.*\\.csv$").language?.end, 2);
  assert.is(compiled("\\bfoo").language, undefined);
  assert.is(compiled("a*+").language, undefined);
  assert.is(compiled("(a)\\1").language, undefined);
});

test.run();
