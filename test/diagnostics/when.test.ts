// when: static errors, each with its caret at the right line and column of the YAML file, in every scalar style.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile, only } from "./helpers.ts";

const rule = (when: string) => `rules:\n  - name: r\n    when: ${when}\n`;

test("syntax error in a plain scalar: expected `)`", () => {
  // At the end of the expression the caret sits just past its last character, like tsc's "')' expected".
  const d = only(compile(rule('tool == "a" and (server == "b" or server == "c"')), "AEG2501", "\n", "3:58");
  assert.is(d.message, "Expected `)` but found the end of the expression.");
});

test("syntax error in a double-quoted scalar, after escapes", () => {
  // The value is: tool == "a\"" and ), so the caret sits under `)` past the escaped quotes.
  only(compile(rule('"tool == \\"a\\\\\\"\\" and )"')), "AEG2501", ")", "3:34");
});

test("syntax error in a single-quoted scalar with a doubled quote", () => {
  only(compile(rule(`'args.s == ''it''''s'' @'`)), "AEG2501", "@", "3:34");
});

test("errors in a literal block scalar point into the right line", () => {
  const text = 'rules:\n  - name: r\n    when: |\n      tool == "a" and\n        weekday == funday\n';
  const d = only(compile(text), "AEG2502", "funday", "5:20");
  assert.is(d.message, "Unknown weekday `funday`.");
});

test("errors in a folded block scalar point into the right line", () => {
  const text = 'rules:\n  - name: r\n    when: >\n      tool == "a" and\n      len(3) > 1\n';
  only(compile(text), "AEG2503", "3", "5:11");
});

test("unknown path root, with did-you-mean", () => {
  const d = only(compile(rule('tol == "a"')), "AEG2502", "tol", "3:11");
  assert.is(d.hint, "did you mean `tool`?");
});

test("fields on a root that has none", () => {
  only(compile(rule("tool.name == 1")), "AEG2502", ".name", "3:15");
});

test("unknown function, with did-you-mean", () => {
  const d = only(compile(rule("lenn(args.items) > 2")), "AEG2502", "lenn", "3:11");
  assert.is(d.hint, "did you mean `len`?");
});

test("type clash: ordering against a string (the issue's args.size > \"10\")", () => {
  const d = only(compile(rule('args.size > "10"')), "AEG2503", '"10"', "3:23");
  assert.is(d.hint, "remove the quotes: 10");
});

test("type clash: len of a literal", () => {
  only(compile(rule("len(3) > 1")), "AEG2503", "3", "3:15");
});

test("type clash: ordering on a string root", () => {
  only(compile(rule("tool < 3")), "AEG2503", "<", "3:16");
});

test("comparisons that can never hold", () => {
  only(compile(rule("tool == 5")), "AEG2504", "5", "3:19");
  only(compile(rule("len(args.items) < 0")), "AEG2504", "len(args.items) < 0", "3:11");
  only(compile(rule('server in [1, 2]')), "AEG2504", "[1, 2]", "3:21");
  only(compile(rule('time between "08:00" and "08:00"')), "AEG2504", 'time between "08:00" and "08:00"', "3:11");
});

test("invalid times", () => {
  only(compile(rule('time between "25:00" and "08:00"')), "AEG2505", '"25:00"', "3:24");
  only(compile(rule('time > "7pm"')), "AEG2505", '"7pm"', "3:18");
});

test("regexes that backtrack catastrophically in Python compile: their automata run in linear time", () => {
  assert.equal(compile(rule("args.q matches /(a+)+$/")).diagnostics, []);
  assert.equal(compile(rule("args.q matches /\\s*x\\s*$/")).diagnostics, []);
});

test("a regex that is not regular (a back-reference to an unbounded group) is refused as a limit", () => {
  const d = only(compile(rule("args.q matches /(\\w+) \\1/")), "AEG2506", "/(\\w+) \\1/", "3:26");
  assert.match(d.message, /linear time: a back-reference/);
  assert.match(d.hint!, /README/);
});

test("an invalid regex, a bad flag, and an over-long regex", () => {
  const invalid = only(compile(rule("args.q matches /a(/")), "AEG2506", "(", "3:28");
  assert.match(invalid.message, /missing \), unterminated subpattern/);
  only(compile(rule("args.q matches /a/g")), "AEG2506", "/a/g", "3:26");
  const d = only(compile(rule(`args.q matches /${"a".repeat(1001)}/`)), "AEG2506", `/${"a".repeat(1001)}/`, "3:26");
  assert.match(d.message, /1001 characters long/);
});

test("a bare path needs an operator", () => {
  const d = only(compile(rule("args.dry_run")), "AEG2501", "args.dry_run", "3:11");
  assert.match(d.hint!, /args\.dry_run == true/);
});

test("when must be a string", () => {
  only(compile("rules:\n  - name: r\n    when: [1]\n"), "AEG2011", "[1]", "3:11");
});

test("an invalid timezone", () => {
  only(compile('timezone: "Mars/Olympus"\nrules: []\n'), "AEG2019", '"Mars/Olympus"', "1:11");
});

test("several when: errors in several rules are all reported in one run", () => {
  const r = compile('rules:\n  - name: a\n    when: tol == 1\n  - name: b\n    when: args.x > "1"\n  - name: c\n    when: (\n');
  assert.equal(r.diagnostics.map((d) => d.code), ["AEG2502", "AEG2503", "AEG2501"]);
});

test("hostile input: 10,000 levels of nesting and a 1 MB string give a diagnostic, not a crash", () => {
  const deep = compile(rule(`"${"(".repeat(10_000)}tool == 'a'${")".repeat(10_000)}"`));
  assert.is(deep.diagnostics[0].code, "AEG2501");
  const nested = compile(rule(`"${"(".repeat(5_000)}tool == 'a'${")".repeat(5_000)}"`));
  assert.match(nested.diagnostics[0].message, /nests more than/);
  const huge = compile(rule(`'args.s == "${"x".repeat(1_000_000)}"'`));
  assert.is(huge.diagnostics[0].code, "AEG2501");
});

test.run();
