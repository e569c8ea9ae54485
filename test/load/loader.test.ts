// Loader behaviour that decides what a policy means: Aegis defaults, fallback names, letter case, merging files, YAML 1.1 scalars.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compile, compileMany, one, underlined } from "../diagnostics/helpers.ts";
import { compileSources } from "../../compiler/pipeline.ts";

const names = (text: string) => compile(text).policy!.rules.map((r) => r.name);

test("defaults when absent: defaults block/medium, rules approve/medium", () => {
  const p = compile("rules:\n  - name: a\n").policy!;
  assert.equal([p.defaults.approval, p.defaults.risk], ["block", "medium"]);
  assert.equal([p.rules[0].approval, p.rules[0].risk], ["approve", "medium"]);
  assert.is(p.combine, "strictest");
  assert.is(p.combineExplicit, false);
  assert.is(p.version, 1);
});

test("defaults: null, rules: null and conditions: null are tolerated like Aegis", () => {
  const p = compile("defaults: null\nrules:\n  - name: a\n    conditions: null\n").policy!;
  assert.is(p.defaults.approval, "block");
  assert.is(p.rules[0].when.kind, "const");
  assert.equal(compile("rules: null\n").policy!.rules, []);
});

test("a policy with only defaults compiles with no rules", () => {
  const r = compile("defaults: { approval: auto }\n");
  assert.equal(r.diagnostics, []);
  assert.is(r.policy!.rules.length, 0);
  assert.is(r.policy!.defaults.approval, "auto");
});

test("missing match keys default to *", () => {
  const rule = compile("rules:\n  - name: a\n").policy!.rules[0];
  assert.equal([rule.tool.source, rule.server.source, rule.agent.source], ["*", "*", "*"]);
});

test("risk_level in any letter case; approval lower case only", () => {
  const p = compile("defaults: { risk_level: LOW }\nrules:\n  - name: a\n    risk_level: High\n  - name: b\n    risk_level: cRiTiCaL\n").policy!;
  assert.is(p.defaults.risk, "low");
  assert.equal(p.rules.map((r) => r.risk), ["high", "critical"]);
  for (const bad of ["Auto", "APPROVE", "Block"]) one(compile(`rules:\n  - name: a\n    approval: ${bad}\n`), "AEG2002");
});

test("fallback names: rule_<i> counts within each file, including rules that are not mappings' positions", () => {
  assert.equal(names("rules:\n  - match: { type: a }\n  - name: x\n  - approval: block\n"), ["rule_0", "x", "rule_2"]);
});

test("fallback names: an empty name becomes type@target from the raw patterns", () => {
  assert.equal(names('rules:\n  - name: ""\n    match: { type: "read_*", target: "dev-?" }\n  - name: ""\n'), ["read_*@dev-?", "*@*"]);
});

test("fallback names restart in each file and may repeat after merging (no duplicate error)", () => {
  const r = compileMany({ "a.yaml": "rules:\n  - approval: auto\n", "b.yaml": "rules:\n  - approval: block\n" });
  assert.equal(r.diagnostics, []);
  assert.equal(r.policy!.rules.map((x) => [x.name, x.index, x.indexInFile]), [["rule_0", 0, 0], ["rule_0", 1, 0]]);
});

test("a written name equal to another file's fallback name is a duplicate", () => {
  const r = compileMany({ "a.yaml": "rules:\n  - approval: auto\n", "b.yaml": "rules:\n  - name: rule_0\n" });
  one(r, "AEG2006");
});

test("merging: rules concatenate in the order given, indices run across files", () => {
  const p = compileMany({
    "one.yaml": "rules:\n  - name: a\n  - name: b\n",
    "two.yaml": "rules:\n  - name: c\n",
  }).policy!;
  assert.equal(p.rules.map((r) => [r.name, r.index, r.span.file]), [["a", 0, "one.yaml"], ["b", 1, "one.yaml"], ["c", 2, "two.yaml"]]);
  assert.equal(p.files, ["one.yaml", "two.yaml"]);
});

test("merging: defaults come from the FIRST file, as Aegis's Policy.merge does", () => {
  const r = compileMany({
    "base.yaml": "defaults: { approval: approve, risk_level: low }\nrules: []\n",
    "more.yaml": "defaults: { approval: auto, risk_level: low }\nrules: []\n",
  });
  assert.equal([r.policy!.defaults.approval, r.policy!.defaults.risk], ["approve", "low"]);
  const d = one(r, "AEG2018");
  assert.is(d.severity, "warning");
  assert.is(d.span.file, "more.yaml");
  assert.is(underlined(r, d), "{ approval: auto, risk_level: low }");
});

test("merging: the first file's absent defaults still win over a later file's (fallback block)", () => {
  const r = compileMany({ "a.yaml": "rules: []\n", "b.yaml": "defaults: { approval: auto }\nrules: []\n" });
  assert.is(r.policy!.defaults.approval, "block");
  one(r, "AEG2018");
});

test("merging: equal defaults in a later file give no warning", () => {
  const r = compileMany({ "a.yaml": "defaults: { approval: block }\nrules: []\n", "b.yaml": "defaults: { approval: block, risk_level: medium }\nrules: []\n" });
  assert.equal(r.diagnostics, []);
});

test("merging: a later file's differing combine is a warning; the first stated mode applies", () => {
  const r = compileMany({ "a.yaml": "combine: first-match\nrules: []\n", "b.yaml": "combine: strictest\nrules: []\n" });
  assert.is(r.policy!.combine, "first-match");
  const d = one(r, "AEG2018");
  assert.is(underlined(r, d), "strictest");
  assert.is(underlined(r, d.notes![0]), "first-match");
});

test("merging: combine from a later file applies when the first does not say", () => {
  const p = compileMany({ "a.yaml": "rules: []\n", "b.yaml": "combine: first-match\nrules: []\n" }).policy!;
  assert.is(p.combine, "first-match");
  assert.is(p.combineExplicit, true);
});

test("the combine option overrides the policy", () => {
  const p = compileSources([{ path: "p.yaml", text: "combine: strictest\nrules: []\n" }], { combine: "first-match" }).policy!;
  assert.is(p.combine, "first-match");
});

test("version: 1, \"1\", \" 2 \" are accepted like Python int()", () => {
  for (const [v, n] of [["1", 1], ['"1"', 1], ['" 2 "', 2]] as const) assert.is(compile(`version: ${v}\nrules: []\n`).policy!.version, n);
});

test("description, scope and scope_id are accepted", () => {
  const r = compile('description: "x"\nscope: team\nscope_id: "t1"\nrules:\n  - name: a\n    description: why\n');
  assert.equal(r.diagnostics, []);
  assert.is(r.policy!.rules[0].description, "why");
});

test("YAML 1.1 like PyYAML: y/n stay strings, yes/on are booleans", () => {
  assert.is(compile("rules:\n  - name: a\n    match: { type: y, target: n }\n").policy!.rules[0].tool.source, "y");
  one(compile("rules:\n  - name: a\n    match: { type: yes }\n"), "AEG2004");
  one(compile("rules:\n  - name: a\n    match: { target: off }\n"), "AEG2004");
});

test("YAML 1.1 like PyYAML: 1e5 and 09 are strings, 010 is octal 8, 0x1f is 31", () => {
  const r = compile("rules:\n  - name: a\n    conditions:\n      param_eq: { a: 1e5, b: 09, c: 010, d: 0x1f, e: 1.0e+5, f: -.5 }\n");
  const when = r.policy!.rules[0].when;
  assert.is(when.kind, "and");
  const values = when.kind === "and" ? when.items.map((e) => (e.kind === "compare" ? e.value : undefined)) : [];
  assert.equal(values, ["1e5", "09", 8, 31, 100000, "-.5"]);
});

test("YAML 1.1 like PyYAML even under a %YAML 1.2 directive", () => {
  const r = compile("%YAML 1.2\n---\nrules:\n  - name: a\n    match: { type: on }\n");
  assert.is(one(r, "AEG2004").message, "The `type` pattern must be a string, not the boolean true.");
});

test("YAML 1.1 like PyYAML: a string-valued glob 1e5 stays a pattern", () => {
  assert.is(compile("rules:\n  - name: a\n    match: { type: 1e5 }\n").policy!.rules[0].tool.source, "1e5");
});

test("YAML merge keys (<<) work like PyYAML: explicit keys win, earlier sources win", () => {
  const ok = compile(
    [
      "rules:",
      "  - name: base",
      "    match: &common { target: prod-*, agent: bot }",
      "  - name: a",
      "    match: { <<: *common, type: read_*, agent: ops }",
      "",
    ].join("\n"),
  );
  assert.equal(ok.diagnostics, []);
  const a = ok.policy!.rules[1];
  assert.equal([a.tool.source, a.server.source, a.agent.source], ["read_*", "prod-*", "ops"]);
});

test("merge key lists: earlier mappings take precedence", () => {
  const r = compile(
    [
      "rules:",
      "  - name: one",
      "    match: &one { target: one }",
      "  - name: two",
      "    match: &two { target: two, type: t }",
      "  - name: merged",
      "    match: { <<: [*one, *two] }",
      "",
    ].join("\n"),
  );
  assert.equal(r.diagnostics, []);
  const m = r.policy!.rules[2];
  assert.equal([m.server.source, m.tool.source], ["one", "t"]);
});

test("an unknown key that arrives through a merge key is reported where it is written", () => {
  const r = compile("rules:\n  - name: a\n    description: &d { tpye: x }\n  - name: b\n    match: { <<: *d }\n");
  const d = r.diagnostics.find((x) => x.code === "AEG2001")!;
  assert.is(underlined(r, d), "tpye");
  assert.is(d.rule, "b");
});

test("aliases to mappings and lists work wherever a value is expected", () => {
  const r = compile(
    [
      "defaults: &d { approval: auto }",
      "rules:",
      "  - name: a",
      "    match: &m { type: write_* }",
      "    conditions: &c { weekdays: &w [1, 2], param_eq: *d }",
      "  - name: b",
      "    match: *m",
      "    conditions: *c",
      "  - name: c",
      "    conditions: { weekdays: *w }",
      "",
    ].join("\n"),
  );
  assert.equal(r.diagnostics, []);
  const [a, b, c] = r.policy!.rules;
  assert.is(b.tool.source, "write_*");
  assert.equal(JSON.stringify(b.when).replace(/"span":\{[^}]*\}/g, ""), JSON.stringify(a.when).replace(/"span":\{[^}]*\}/g, ""));
  assert.equal(c.when.kind === "weekday" && c.when.days, [1, 2]);
});

test("an aliased rule that repeats a name is reported at the alias", () => {
  const r = compile("rules:\n  - &r { name: a, approval: auto }\n  - *r\n");
  const d = one(r, "AEG2006");
  assert.is(underlined(r, d), "*r");
  assert.is(underlined(r, d.notes![0]), "a");
});

test("conditions keep their YAML order and desugar to the expression IR", () => {
  const p = compile('rules:\n  - name: a\n    conditions:\n      param_gt: { size: 10 }\n      time_after: "09:00"\n      weekdays: [5, 1]\n').policy!;
  const when = p.rules[0].when;
  assert.is(when.kind, "and");
  assert.equal(when.kind === "and" && when.items.map((e) => e.kind), ["compare", "clock", "weekday"]);
});

test("each run gives the same hash; the hash ignores file names and spans", () => {
  const a = compile("rules:\n  - name: a\n    approval: auto\n", "a.yaml").policy!;
  const b = compile("# comment\nrules:\n  - name: a\n    approval: auto\n", "b.yaml").policy!;
  assert.match(a.hash, /^sha256:[0-9a-f]{64}$/);
  assert.is(a.hash, b.hash);
});

test.run();
