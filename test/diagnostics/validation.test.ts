// One test per kind of bad policy input: the diagnostic code, the exact underlined text and where it is.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile, one, only, position, underlined } from "./helpers.ts";

const rule = (body: string) => `rules:\n  - name: r\n${body}`;

test("YAML syntax error: a value that ends the flow mapping twice", () => {
  const r = compile("defaults: {risk_level: low}}\n");
  const d = only(r, "AEG1001", "}", "1:28");
  assert.is(d.kind, "syntax");
  assert.match(d.message, /Unexpected flow-map-end/);
});

test("YAML syntax error: tab indentation", () => {
  only(compile("rules:\n\t- name: a\n"), "AEG1001", "\t", "2:1");
});

test("YAML syntax error: a key written twice (PyYAML would keep the last silently)", () => {
  const r = compile("rules:\n  - name: a\n    approval: auto\n    approval: block\n");
  const d = only(r, "AEG1005", "approval", "4:5");
  assert.is(d.kind, "duplicate");
  assert.is(d.notes?.length, 1);
  assert.is(underlined(r, d.notes![0]), "approval");
  assert.is(position(r, d.notes![0]), "3:5");
});

test("YAML: an alias to no anchor and an unknown tag", () => {
  only(compile("rules:\n  - name: a\n    match: *base\n"), "AEG1001", "*base", "3:12");
  only(compile("rules:\n  - name: a\n    approval: !python/name block\n"), "AEG1001", "!python/name", "3:15");
});

test("YAML: several documents in one file", () => {
  const d = one(compile("rules: []\n---\nrules: []\n"), "AEG1001");
  assert.match(d.message, /multiple documents/);
});

test("unknown key at the top level, with did-you-mean", () => {
  const d = only(compile("versoin: 1\nrules: []\n"), "AEG2001", "versoin", "1:1");
  assert.is(d.kind, "unknown-key");
  assert.is(d.hint, "did you mean `version`?");
});

test("unknown key at the top level without a near match lists the allowed keys", () => {
  const d = only(compile("priority: 3\nrules: []\n"), "AEG2001", "priority");
  assert.match(d.hint!, /`version`, `combine`, `timezone`, `description`, `defaults`, `rules`, `scope`, `scope_id`/);
});

test("Aegis's plan_rules is named as unsupported rather than unknown", () => {
  const d = only(compile("rules: []\nplan_rules: {}\n"), "AEG2001", "plan_rules", "2:1");
  assert.match(d.message, /not supported by aegisc/);
});

test("unknown key in a rule: aproval → approval", () => {
  const d = only(compile(rule("    aproval: block\n")), "AEG2001", "aproval", "3:5");
  assert.is(d.hint, "did you mean `approval`?");
  assert.is(d.rule, "r");
});

test("unknown key in match: tpye → type", () => {
  const d = only(compile(rule("    match: { tpye: read_file }\n")), "AEG2001", "tpye", "3:14");
  assert.is(d.hint, "did you mean `type`?");
});

test("unknown key in conditions: time_afer → time_after", () => {
  const d = only(compile(rule('    conditions:\n      time_afer: "18:00"\n')), "AEG2001", "time_afer", "4:7");
  assert.is(d.hint, "did you mean `time_after`?");
});

test("unknown condition key from issue #6 syntax", () => {
  const d = only(compile(rule("    conditions:\n      params: { count: { gt: 100 } }\n")), "AEG2001", "params", "4:7");
  assert.match(d.hint!, /^the keys allowed here are `time_after`, .*`semantic`$/);
});

test("unknown key in defaults: aproval → approval", () => {
  const d = only(compile("defaults:\n  risk_level: low\n  aproval: block\nrules: []\n"), "AEG2001", "aproval", "3:3");
  assert.is(d.hint, "did you mean `approval`?");
});

test("approval: Block is an error with a lower-case hint", () => {
  const d = only(compile(rule("    approval: Block\n")), "AEG2002", "Block", "3:15");
  assert.is(d.kind, "value");
  assert.is(d.hint, "approvals are lower case: `block`");
});

test("approval: blok suggests block; approval: 1 lists the values", () => {
  assert.is(only(compile(rule("    approval: blok\n")), "AEG2002", "blok").hint, "did you mean `block`?");
  assert.is(only(compile(rule("    approval: 1\n")), "AEG2002", "1").hint, "use auto, approve or block");
});

test("defaults.approval: Approve is an error too", () => {
  only(compile("defaults: { approval: Approve }\nrules: []\n"), "AEG2002", "Approve", "1:23");
});

test("risk_level: severe", () => {
  const d = only(compile(rule("    risk_level: severe\n")), "AEG2003", "severe", "3:17");
  assert.is(d.hint, "use low, medium, high or critical");
});

test("risk_level: hihg suggests high", () => {
  assert.is(only(compile(rule("    risk_level: hihg\n")), "AEG2003", "hihg").hint, "did you mean `high`?");
});

test("a glob that YAML reads as a number: type: 5", () => {
  const d = only(compile(rule("    match: { type: 5 }\n")), "AEG2004", "5", "3:20");
  assert.is(d.message, "The `type` pattern must be a string, not the number 5.");
  assert.match(d.hint!, /quote it: `type: "5"`/);
});

test("a glob that YAML 1.1 reads as a boolean: type: on", () => {
  const d = only(compile(rule("    match:\n      type: on\n")), "AEG2004", "on", "4:13");
  assert.is(d.message, "The `type` pattern must be a string, not the boolean true.");
  assert.is(d.hint, 'YAML 1.1 reads unquoted `on` as the boolean true; quote it: `type: "on"`');
});

test("an empty glob value: target:", () => {
  const d = only(compile(rule("    match:\n      target:\n")), "AEG2004", "target", "4:7");
  assert.is(d.hint, 'give a pattern, for example `"*"`');
});

test("match: null", () => {
  const d = only(compile(rule("    match: null\n")), "AEG2005", "null", "3:12");
  assert.match(d.hint!, /remove `match:`/);
});

test("match: with nothing after it points at the key", () => {
  only(compile(rule("    match:\n    approval: block\n")), "AEG2005", "match", "3:5");
});

test("match: a list", () => {
  const d = only(compile(rule("    match: [read_file]\n")), "AEG2005", "[read_file]");
  assert.is(d.message, "`match` must be a mapping, not a list.");
});

test("duplicate rule names: a warning (Aegis accepts them), with a note at the first", () => {
  const r = compile("rules:\n  - name: a\n  - name: b\n  - name: a\n");
  const d = only(r, "AEG2006", "a", "4:11");
  assert.is(d.kind, "duplicate");
  assert.is(d.severity, "warning");
  assert.equal(r.policy!.rules.map((x) => x.name), ["a", "b", "a"]);
  assert.is(d.notes?.[0].message, "the first rule with this name");
  assert.is(position(r, d.notes![0]), "2:11");
  assert.is(underlined(r, d.notes![0]), "a");
});

test('time_after: "25:00"', () => {
  const d = only(compile(rule('    conditions: { time_after: "25:00" }\n')), "AEG2007", '"25:00"', "3:31");
  assert.match(d.message, /hours run 0-23/);
});

test('time_before: "18" and "noon" are not times', () => {
  only(compile(rule('    conditions: { time_before: "18" }\n')), "AEG2007", '"18"');
  only(compile(rule("    conditions: { time_before: noon }\n")), "AEG2007", "noon");
});

test("unquoted time_after: 18:00 is the YAML 1.1 number 1080; hint to quote", () => {
  const d = only(compile(rule("    conditions:\n      time_after: 18:00\n")), "AEG2007", "18:00", "4:19");
  assert.is(d.message, "Unquoted `18:00` is read by YAML 1.1 as the number 1080, not a time.");
  assert.is(d.hint, 'quote it: `time_after: "18:00"`');
});

test("unquoted time_after: 08:00 stays a string in PyYAML and is accepted", () => {
  const r = compile(rule("    conditions:\n      time_after: 08:00\n"));
  assert.equal(r.diagnostics, []);
  const when = r.policy!.rules[0].when;
  assert.equal(when.kind === "clock" && when.minute, 480);
});

test("unquoted time_before: 8:00 is the number 480 in PyYAML", () => {
  const d = only(compile(rule("    conditions:\n      time_before: 8:00\n")), "AEG2007", "8:00");
  assert.match(d.message, /number 480/);
});

test("weekdays: [9]", () => {
  const d = only(compile(rule("    conditions: { weekdays: [1, 9] }\n")), "AEG2008", "9", "3:33");
  assert.match(d.message, /not an ISO weekday/);
});

test("weekdays: 5", () => {
  const d = only(compile(rule("    conditions: { weekdays: 5 }\n")), "AEG2008", "5", "3:29");
  assert.is(d.hint, "write `weekdays: [5]`");
});

test('weekdays: ["Mon"]', () => {
  only(compile(rule('    conditions: { weekdays: ["Mon"] }\n')), "AEG2008", '"Mon"');
});

test('param_gt with a quoted number: accepted, as Aegis does (string order), with a warning and a hint to unquote', () => {
  const r = compile(rule('    conditions:\n      param_gt: { size: "100" }\n'));
  const d = only(r, "AEG2020", '"100"', "4:25");
  assert.is(d.kind, "type");
  assert.is(d.severity, "warning");
  assert.match(d.message, /compares strings by code point/);
  assert.is(d.hint, "to compare numbers, remove the quotes: `size: 100`");
  assert.ok(r.policy);
});

test("param_lte with a word: a warning, no hint", () => {
  const d = only(compile(rule("    conditions:\n      param_lte: { size: big }\n")), "AEG2020", "big");
  assert.is(d.hint, undefined);
});

test("param_gt with a boolean, a list, null or a mapping: accepted with a warning that says what Python does", () => {
  const message = (v: string) => only(compile(rule(`    conditions:\n      param_gt: { size: ${v} }\n`)), "AEG2020", v).message;
  assert.match(message("true"), /orders as the number 1/);
  assert.match(message("[1, 2]"), /compares lists item by item/);
  assert.match(message("null"), /cannot order anything against: every call with `size` set is blocked/);
  assert.match(message("{ a: 1 }"), /a mapping, which Python cannot order/);
  assert.match(message(".nan"), /never holds/);
});

test("param_gt with a number: no warning", () => {
  assert.equal(compile(rule("    conditions:\n      param_gt: { size: 1.5 }\n")).diagnostics, []);
});

test("param_matches with a number or boolean: searched for as Python's str(), with a warning", () => {
  const cases: [string, string][] = [["5", "5"], ["5.0", "5.0"], ["1.0e+16", "1e+16"], ["0.00001", "1e-05"], ["true", "True"], ["010", "8"], ["[1, 'a']", "[1, 'a']"]];
  for (const [text, pattern] of cases) {
    const r = compile(rule(`    conditions:\n      param_matches: { v: ${text} }\n`));
    const d = only(r, "AEG2021", text);
    assert.is(d.severity, "warning");
    assert.ok(d.message.includes(`the pattern ${JSON.stringify(pattern)}`), d.message);
    const when = r.policy!.rules[0].when;
    assert.is(when.kind === "matches" && when.written, pattern);
  }
});

test("param_eq that is not a mapping", () => {
  const d = only(compile(rule("    conditions:\n      param_eq: 5\n")), "AEG2011", "5", "4:17");
  assert.match(d.hint!, /param_eq: \{ size: 100 \}/);
});

test("param_eq with an unquoted date, which YAML 1.1 reads as a timestamp", () => {
  const d = only(compile(rule("    conditions:\n      param_eq: { day: 2024-01-01 }\n")), "AEG2009", "2024-01-01");
  assert.match(d.message, /as a date/);
  assert.is(d.hint, 'quote it: `day: "2024-01-01"`');
});

test('invalid param_matches regex "[a-"', () => {
  const d = only(compile(rule('    conditions:\n      param_matches: { path: "[a-" }\n')), "AEG2010", "[", "4:31");
  assert.match(d.message, /^Python rejects this pattern: unterminated character set/);
});

test('invalid param_matches regex "(abc"', () => {
  const d = one(compile(rule('    conditions:\n      param_matches: { path: "(abc" }\n')), "AEG2010");
  assert.match(d.message, /missing \)/);
});

test("invalid regex in a plain scalar points at the offending character", () => {
  const r = compile(rule("    conditions:\n      param_matches: { path: a+(b }\n"));
  const d = one(r, "AEG2010");
  assert.ok(["(", "a+(b"].includes(underlined(r, d)));
});

test("Python-only regex features compile: verbose mode, scoped flags, atomic groups, named characters", () => {
  for (const q of ["(?x) a b", "(?i:a)b", "(?>ab)c", "a*+", "\\\\N{EM DASH}", "(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\\\\119", "\\\\141\\\\0\\\\a", "[\\\\D]"]) {
    assert.equal(compile(rule(`    conditions:\n      param_matches: { q: "${q}" }\n`)).diagnostics, [], q);
  }
});

test("a regex Python accepts but aegisc cannot match in linear time is refused with AEG2015 under the pattern", () => {
  const d = only(compile(rule('    conditions:\n      param_matches: { q: "(\\\\w+) \\\\1" }\n')), "AEG2015", '"(\\\\w+) \\\\1"', "4:27");
  assert.match(d.message, /^Python accepts this pattern, but aegisc cannot match it in linear time: a back-reference to group 1/);
});

test("param_matches longer than 1000 characters", () => {
  const long = "a".repeat(1001);
  const d = only(compile(rule(`    conditions:\n      param_matches: { q: "${long}" }\n`)), "AEG2014", `"${long}"`, "4:27");
  assert.match(d.message, /1001 characters/);
});

test("param_matches of exactly 1000 characters is fine", () => {
  assert.equal(compile(rule(`    conditions:\n      param_matches: { q: "${"a".repeat(1000)}" }\n`)).diagnostics, []);
});

test("an empty file", () => {
  const r = compile("");
  const d = only(r, "AEG1002", "", "1:1");
  assert.is(d.kind, "empty");
});

test("a file holding only comments", () => {
  const text = "# nothing here yet\n# still nothing\n";
  const d = only(compile(text), "AEG1002", text, "1:1");
  assert.match(d.hint!, /defaults \(block\)/);
});

test("a file holding only a document marker", () => {
  only(compile("---\n"), "AEG1002", "---\n");
});

test("a top level that is a list", () => {
  const d = only(compile("- name: a\n- name: b\n"), "AEG1003", "- name: a\n- name: b\n", "1:1");
  assert.is(d.message, "The top level is a list, not a mapping of policy keys.");
});

test("a top level that is a scalar", () => {
  const d = only(compile("hello\n"), "AEG1003", "hello", "1:1");
  assert.is(d.message, "The top level is a string, not a mapping of policy keys.");
});

test("rules: a mapping instead of a list", () => {
  only(compile("rules:\n  a: { approval: block }\n"), "AEG2011", "a: { approval: block }\n", "2:3");
});

test("a rule that is not a mapping", () => {
  const d = only(compile("rules:\n  - read_file\n"), "AEG2011", "read_file", "2:5");
  assert.is(d.message, "Rule 1 must be a mapping.");
});

test("a rule name that is not a string", () => {
  const d = only(compile("rules:\n  - name: 5\n"), "AEG2011", "5", "2:11");
  assert.match(d.hint!, /name: "5"/);
});

test("combine: a bad mode, with did-you-mean", () => {
  const d = only(compile("combine: first_match\nrules: []\n"), "AEG2012", "first_match", "1:10");
  assert.is(d.hint, "did you mean `first-match`?");
});

test('version: "1.0" is not an int() Aegis accepts', () => {
  only(compile('version: "1.0"\nrules: []\n'), "AEG2013", '"1.0"', "1:10");
});

test("semantic with no keywords is a warning; the policy still compiles", () => {
  const r = compile(rule('    conditions: { semantic: "the and of" }\n'));
  const d = only(r, "AEG2016", '"the and of"');
  assert.is(d.severity, "warning");
  assert.ok(r.policy);
});

test("an empty condition mapping is a warning", () => {
  const r = compile(rule("    conditions: { param_eq: {} }\n"));
  const d = only(r, "AEG2017", "{}");
  assert.is(d.severity, "warning");
  assert.ok(r.policy);
});

test("a merge key whose value is not a mapping", () => {
  const r = compile("base: &b 5\nrules:\n  - name: a\n    match: { <<: *b }\n");
  assert.ok(r.diagnostics.length >= 1);
  assert.is(r.policy, undefined);
});

test.run();
