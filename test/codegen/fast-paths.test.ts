// The generated module's fast paths (codegen/fast-support.ts, literal regexes) agree with the general helpers they stand in for, on every operand type.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { literalSearchCode, type LiteralSearch } from "../../compiler/codegen/expr-emitter.ts";
import * as fast from "../../compiler/codegen/fast-support.ts";
import { compilePythonRegex, WHEN_REGEX_FLAGS } from "../../compiler/semantics/python-regex.ts";
import { compareOperand, containsOperand, pyreMatchesOperand, pyreStringMatches } from "../../compiler/semantics/support.ts";

function compiled(source: string, flags = "") {
  const tr = compilePythonRegex(source, [...flags].reduce((acc, f) => acc | WHEN_REGEX_FLAGS[f], 0));
  if (!tr.ok) throw new Error(`${source}: ${tr.message}`);
  return tr.regex;
}

const operands: unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 1.5, 99, 100, 101, 1e21, NaN, Infinity, -Infinity,
  "", "a", "100", "secret", "my-secret-file", ["secret"], { secret: 1 }, [1, 2], {},
];
const numbers = [0, -0, 1, 100, 1.5, -1, NaN, Infinity, -Infinity];

test("number comparisons decide as compareOperand on every operand type", () => {
  const cases: [(a: unknown, n: number) => boolean, string][] = [
    [fast.numberAbove, ">"],
    [fast.numberAtLeast, ">="],
    [fast.numberBelow, "<"],
    [fast.numberAtMost, "<="],
    [fast.numberEquals, "=="],
  ];
  for (const [fn, op] of cases) {
    for (const actual of operands) for (const n of numbers) assert.is(fn(actual, n), compareOperand(op, actual, n), `${op} ${String(actual)} ${n}`);
  }
});

test("string equality, inequality and contains decide as the general helpers", () => {
  for (const actual of operands) {
    for (const text of ["", "a", "100", "secret"]) {
      assert.is(actual === text, compareOperand("==", actual, text), `== ${String(actual)} ${text}`);
      assert.is(fast.differsFromText(actual, text), compareOperand("!=", actual, text), `!= ${String(actual)} ${text}`);
      assert.is(fast.containsText(actual, text), containsOperand(actual, text), `contains ${String(actual)} ${text}`);
    }
  }
});

const subjects = [
  "", "\n", "a", "/etc/", "/etc/passwd", "x/etc/", "key.pem", "key.pem\n", "key.pem\n\n", ".pem", ".pe", "key.pemx",
  "tmp", "/data/tmp/x", "abc", "abc\n", "abcabc", "\nabc", "ab", "a-x", "-x", "a\nb", "a\nb\n", "😀", "x😀y", "\ud83d", "A", "a]",
];

test("regexes that are only literal text are recognized, and searching by text agrees with the automaton", () => {
  const python = ["^/etc/", "\\.pem$", "tmp", "^abc$", "abc$", "^abc", "\\-x", "a\\nb$", "\\x41", "a\\]", "😀", "", "^", "^$", "$", "\\Aabc\\Z", "abc\\Z", "(?s)x"];
  for (const source of python) {
    const regex = compiled(source);
    const literal = regex.literal;
    assert.ok(literal, `${source} is literal text`);
    for (const s of [...subjects, 5, 1.5, true, null, ["tmp"]]) {
      assert.is(fast.matchesLiteral(regex.program, s, literal.text, literal.start, literal.end), pyreMatchesOperand(regex.program, s), `${source} on ${JSON.stringify(s)}`);
      assert.is(fast.stringMatchesLiteral(s, literal.text, literal.start, literal.end), pyreStringMatches(regex.program, s), `${source} on ${JSON.stringify(s)}`);
    }
  }
});

test("the literal search the table form writes out (unit by unit for short texts) agrees with literalSearch", () => {
  const texts = ["", "a", "/etc/", ".pem", "abc", "\n", "a\nb", "😀", "x".repeat(16), "x".repeat(17), "/data/reports/q3.csv/".repeat(2)];
  const strings = [...subjects, "x".repeat(15), "x".repeat(16), "x".repeat(17), "x".repeat(17) + "\n", "y" + "x".repeat(17), "/data/reports/q3.csv/".repeat(2) + "\n"];
  for (const text of texts) {
    for (const start of [false, true]) {
      for (const end of [0, 1, 2] as const) {
        const literal: LiteralSearch = { text, start, end };
        const search = new Function("s", `return ${literalSearchCode("s", literal)};`) as (s: string) => boolean;
        for (const s of strings) assert.is(search(s), fast.literalSearch(s, text, start, end), `${JSON.stringify(literal)} on ${JSON.stringify(s)}`);
      }
    }
  }
});

test("regexes with operators, escapes that are not literal or flags that change matching keep the automaton", () => {
  const notLiteral: [string, string][] = [
    ["a.b", ""], ["a|b", ""], ["a*", ""], ["a{2}", ""], ["[ab]", ""], ["(a)", ""], ["\\d", ""], ["\\bword", ""], ["abc", "i"], ["(?i)abc", ""],
    ["^abc", "m"], ["abc$", "m"], ["\\ud83d", ""], ["\\udc00x", ""], ["a$b", ""], ["a^", ""],
  ];
  for (const [pattern, flags] of notLiteral) assert.is(compiled(pattern, flags).literal, undefined, `/${pattern}/${flags}`);
  // Case-insensitive text without cased characters stays literal.
  assert.equal(compiled("123-", "i").literal, { text: "123-", start: false, end: 0 });
});

test.run();
