// The JSON Schema for editors: valid policies pass, bad ones fail, and its key lists equal the loader's.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ajv2020 } from "ajv/dist/2020.js";
import { DiagnosticBag } from "../../compiler/diagnostics/diagnostic.ts";
import { CONDITION_KEYS, DEFAULTS_KEYS, MATCH_KEYS, RULE_KEYS, TOP_LEVEL_KEYS } from "../../compiler/load/build-ir.ts";
import { parsePolicyYaml } from "../../compiler/load/parse-yaml.ts";
import { compile } from "../diagnostics/helpers.ts";

const root = new URL("../../", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("schema/policy.schema.json", root), "utf8"));
const validate = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true }).compile(schema);

/** The policy as the loader sees it: YAML 1.1 read like PyYAML. */
function load(text: string): unknown {
  const doc = parsePolicyYaml({ path: "p.yaml", text }, new DiagnosticBag());
  assert.ok(doc, "fixture is not YAML");
  return doc.toJS();
}

const valid = (text: string) => {
  const ok = validate(load(text));
  return { ok, errors: JSON.stringify(validate.errors) };
};

const EVERY_KEY = `
version: "1"
combine: first-match
description: every key the loader accepts
scope: team
scope_id: "t-1"
defaults:
  risk_level: Medium
  approval: block
rules:
  - name: everything
    description: uses every rule, match and condition key
    match: { type: "write_*", target: "prod-?", agent: "bot-[!x]*" }
    conditions:
      time_after: "08:00"
      time_before: "18:30"
      weekdays: [1, 2, 3, 4, 5]
      param_eq: { mode: "overwrite", tags: [a, b] }
      param_gt: { size: 100 }
      param_lt: { size: 1000000 }
      param_gte: { count: 1.5 }
      param_lte: { count: 10 }
      param_contains: { path: "/etc" }
      param_matches: { path: "^/srv/.*\\\\.conf$" }
      semantic: destructive
    risk_level: CRITICAL
    approval: approve
  - name: minimal
`;

test("the seed policy validates", () => {
  const r = valid(readFileSync(new URL("examples/quickstart/policy.yaml", root), "utf8"));
  assert.ok(r.ok, r.errors);
});

test("a policy using every key validates, and the loader accepts it too", () => {
  const r = valid(EVERY_KEY);
  assert.ok(r.ok, r.errors);
  assert.equal(compile(EVERY_KEY).diagnostics, []);
});

test("nulls the loader tolerates validate", () => {
  assert.ok(valid("defaults: null\nrules:\n  - name: a\n    conditions: null\n    description: null\n").ok);
  assert.ok(valid("rules: null\n").ok);
});

test("bad policies fail", () => {
  const bad = [
    "rules:\n  - name: a\n    aproval: block\n",
    "rules:\n  - name: a\n    approval: Block\n",
    "rules:\n  - name: a\n    risk_level: severe\n",
    "priority: 1\n",
    "defaults: { aproval: block }\n",
    "rules:\n  - match: { tpye: x }\n",
    "rules:\n  - match: null\n",
    "rules:\n  - match: { type: 5 }\n",
    "rules:\n  - match: { type: on }\n",
    "rules:\n  - conditions: { time_afterr: \"18:00\" }\n",
    "rules:\n  - conditions: { time_after: \"25:00\" }\n",
    "rules:\n  - conditions: { time_after: 18:00 }\n",
    "rules:\n  - conditions: { weekdays: [9] }\n",
    "rules:\n  - conditions: { weekdays: 5 }\n",
    "rules:\n  - conditions: { param_gt: { size: \"100\" } }\n",
    `rules:\n  - conditions: { param_matches: { q: "${"a".repeat(1001)}" } }\n`,
    "combine: first_match\n",
    'version: "1.0"\n',
    "rules:\n  - name: 5\n",
  ];
  for (const text of bad) assert.not.ok(validate(load(text)), `should fail: ${text}`);
});

test("risk_level any case and approval lower case, as the loader", () => {
  for (const risk of ["low", "LOW", "Medium", "hIgH", "critical"]) assert.ok(valid(`defaults: { risk_level: ${risk} }\n`).ok, risk);
  for (const approval of ["Auto", "APPROVE", "Block"]) assert.not.ok(valid(`defaults: { approval: ${approval} }\n`).ok, approval);
});

test("the time pattern agrees with the loader on tricky strings", () => {
  const samples = ["18:00", "8:5", "00:00", "23:59", "24:00", "12:60", " 9:05 ", "18:00:30", "18", "18:", ":30", "-1:00", "-0:00", "+9:00", "009:05", "9:x", "a:b", "18:00:xx"];
  for (const t of samples) {
    const text = `rules:\n  - conditions: { time_after: "${t}" }\n`;
    const loaderOk = compile(text).diagnostics.length === 0;
    assert.is(validate(load(text)), loaderOk, `"${t}": loader ${loaderOk ? "accepts" : "rejects"}`);
  }
});

test("version forms agree with the loader", () => {
  for (const v of ["1", '"1"', '" 2 "', '"1.0"', '"v1"', "-3"]) {
    const text = `version: ${v}\n`;
    assert.is(validate(load(text)), compile(text).diagnostics.length === 0, v);
  }
});

const keysOf = (o: { properties: Record<string, unknown> }) => Object.keys(o.properties).sort();

test("the schema's key lists equal the loader's, so they cannot drift", () => {
  const rule = schema.$defs.rule;
  assert.equal(keysOf(schema), [...TOP_LEVEL_KEYS].sort());
  assert.equal(keysOf(schema.properties.defaults), [...DEFAULTS_KEYS].sort());
  assert.equal(keysOf(rule), [...RULE_KEYS].sort());
  assert.equal(keysOf(rule.properties.match), [...MATCH_KEYS].sort());
  assert.equal(keysOf(rule.properties.conditions), [...CONDITION_KEYS].sort());
});

test("every object that the loader closes is closed in the schema, and every property is documented", () => {
  const rule = schema.$defs.rule;
  for (const o of [schema, schema.properties.defaults, rule, rule.properties.match, rule.properties.conditions]) assert.is(o.additionalProperties, false);
  const undocumented: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== "object") return;
    const props = (node as { properties?: Record<string, { description?: string }> }).properties;
    for (const [k, v] of Object.entries(props ?? {})) {
      if (!v.description) undocumented.push(`${path}.${k}`);
      walk(v, `${path}.${k}`);
    }
  };
  walk(schema, "");
  walk(rule, "rule");
  assert.equal(undocumented, []);
});

test("the package exports the schema as aegisc/schema.json", () => {
  const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
  assert.is(pkg.exports["./schema.json"], "./schema/policy.schema.json");
  assert.ok(pkg.files.includes("schema"));
  assert.ok(fileURLToPath(new URL("schema/policy.schema.json", root)));
});

test.run();
