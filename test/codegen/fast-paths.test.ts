// The generated module's fast paths (codegen/fast-support.ts, literal regexes) agree with the general helpers they stand in for, on every operand type.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { literalRegex, literalSearchCode, type LiteralSearch } from "../../compiler/codegen/expr-emitter.ts";
import * as fast from "../../compiler/codegen/fast-support.ts";
import { compareOperand, containsOperand, matchesOperand, stringMatches } from "../../compiler/semantics/support.ts";
import { translatePythonRegex } from "../../compiler/semantics/python-regex.ts";

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

test("regexes that are only literal text are recognized, and searching by text agrees with the regex", () => {
  const python = ["^/etc/", "\\.pem$", "tmp", "^abc$", "abc$", "^abc", "\\-x", "a\\nb$", "\\x41", "a\\]", "😀", "", "^", "^$", "$"];
  for (const source of python) {
    const tr = translatePythonRegex(source);
    if (!tr.ok) throw new Error(source);
    const literal = literalRegex(tr.pattern, tr.flags);
    assert.ok(literal, `${source} is literal text`);
    const re = new RegExp(tr.pattern, tr.flags);
    for (const s of [...subjects, 5, 1.5, true, null, ["tmp"]]) {
      assert.is(fast.matchesLiteral(re, s, literal.text, literal.start, literal.end), matchesOperand(re, s), `${source} on ${JSON.stringify(s)}`);
    }
  }
  // `when:` regexes keep JavaScript's `$`.
  for (const [pattern, flags] of [["^abc$", "u"], ["abc$", ""], ["\\.pem$", "u"], ["^\\/etc\\/", ""], ["\\u{1F600}", "u"], ["x", "s"]]) {
    const literal = literalRegex(pattern, flags);
    assert.ok(literal, `/${pattern}/${flags} is literal text`);
    const re = new RegExp(pattern, flags);
    for (const s of [...subjects, 5, null]) {
      assert.is(fast.stringMatchesLiteral(s, literal.text, literal.start, literal.end), stringMatches(re, s), `/${pattern}/${flags} on ${JSON.stringify(s)}`);
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

test("regexes with operators, escapes that are not literal or flags that change matching keep the regex", () => {
  const notLiteral: [string, string][] = [
    ["a.b", "u"], ["a|b", "u"], ["a*", "u"], ["a{2}", "u"], ["[ab]", "u"], ["(a)", "u"], ["\\d", "u"], ["\\bword", "u"],
    ["a\\$", "u"], ["abc", "i"], ["abc", "g"], ["abc", "y"], ["abc", "m"], ["abc", "v"], ["\\u{41}", ""], ["\\uD83D", "u"], ["\\u{d83d}", "u"],
    ["(?:(?<![\\s\\S])|(?<=\\n))abc", "u"], ["abc(?=\\n|(?![\\s\\S]))", "u"],
  ];
  for (const [pattern, flags] of notLiteral) assert.is(literalRegex(pattern, flags), undefined, `/${pattern}/${flags}`);
});

test.run();
