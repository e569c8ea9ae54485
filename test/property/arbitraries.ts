// fast-check arbitraries for random Aegis policies and tool calls, over small alphabets so that rules and calls collide often.

import fc from "fast-check";
import { stringify } from "yaml";
import type { ToolCall } from "../../compiler/interpret.ts";

const globPiece = fc.constantFrom("a", "b", "_", "-", "*", "?", "[ab]", "[!a]", "[^a]", "[a-", "\\", "é", "😀", "read", "file");
export const globArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant("*") },
  { weight: 6, arbitrary: fc.array(globPiece, { minLength: 0, maxLength: 4 }).map((p) => p.join("")) },
  { weight: 2, arbitrary: fc.constantFrom("read_file", "write_file", "list_*", "*_file", "dev-*", "prod-*", "a*b", "*a*") },
);
const nameChar = fc.constantFrom("a", "b", "_", "-", "é", "😀", "\n", "read", "file", "dev", "prod", "list");
export const nameArb = fc.array(nameChar, { minLength: 0, maxLength: 4 }).map((p) => p.join(""));

const paramName = fc.constantFrom("p", "q", "path", "size");
const scalarValue = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, 1.0, 100),
  fc.constantFrom("a", "b", "ab", "/data/x", "True", ""),
  fc.boolean(),
);
const argValue = fc.oneof(
  { weight: 5, arbitrary: scalarValue },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(scalarValue, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("a", "b"), scalarValue, { maxKeys: 2 }) },
);
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);

const conditionsArb = fc.record(
  {
    time_after: hhmm,
    time_before: hhmm,
    weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
    param_eq: fc.dictionary(paramName, argValue, { minKeys: 1, maxKeys: 2 }),
    param_gt: fc.dictionary(paramName, fc.integer({ min: -2, max: 2 }), { minKeys: 1, maxKeys: 1 }),
    param_lt: fc.dictionary(paramName, fc.constantFrom(0, 1, 2.5), { minKeys: 1, maxKeys: 1 }),
    param_gte: fc.dictionary(paramName, fc.integer({ min: -2, max: 2 }), { minKeys: 1, maxKeys: 1 }),
    param_lte: fc.dictionary(paramName, fc.integer({ min: -2, max: 2 }), { minKeys: 1, maxKeys: 1 }),
    param_contains: fc.dictionary(paramName, fc.oneof(fc.constantFrom("a", "b", "/data"), fc.integer({ min: 0, max: 2 })), { minKeys: 1, maxKeys: 1 }),
    param_matches: fc.dictionary(paramName, fc.constantFrom("^a", "b$", "^/data/", "a|b", "^\\d+$", "^True$", "\\['a'"), { minKeys: 1, maxKeys: 1 }),
    semantic: fc.constantFrom("destructive", "pii", "read or list", "file"),
  },
  { requiredKeys: [] },
);

const ruleArb = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 6 }),
    match: fc.record({ type: globArb, target: globArb, agent: fc.oneof(fc.constant("*"), globArb) }, { requiredKeys: [] }),
    conditions: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: conditionsArb }),
    risk_level: fc.constantFrom("low", "medium", "high", "critical", "LOW", "High"),
    approval: fc.constantFrom("auto", "approve", "block"),
  },
  { requiredKeys: ["match"] },
);

export interface RandomPolicy {
  readonly text: string;
  readonly ruleCount: number;
}

/** Random policy YAML (unique names, both combine modes, optional defaults). */
export const policyArb: fc.Arbitrary<RandomPolicy> = fc
  .record({
    combine: fc.constantFrom(undefined, "strictest", "first-match"),
    defaults: fc.option(fc.record({ risk_level: fc.constantFrom("low", "critical"), approval: fc.constantFrom("auto", "approve", "block") }, { requiredKeys: [] }), { nil: undefined }),
    rules: fc.array(ruleArb, { minLength: 0, maxLength: 8 }),
  })
  .map((p) => {
    const rules = p.rules.map((r, i) => {
      const out: Record<string, unknown> = { ...r, name: `${r.name ?? "r"}#${i}` };
      if (r.name === undefined) delete out.name;
      if (out.conditions === undefined) delete out.conditions;
      return out;
    });
    const doc: Record<string, unknown> = { version: "1", rules };
    if (p.combine) doc.combine = p.combine;
    if (p.defaults) doc.defaults = p.defaults;
    return { text: stringify(doc, { version: "1.1" }), ruleCount: rules.length };
  });

const callString = fc.array(fc.constantFrom("a", "b", "_", "-", "read", "file", "é", "😀", "[", "*", "\\", "^"), { maxLength: 4 }).map((p) => p.join(""));

export const callArb: fc.Arbitrary<ToolCall> = fc.record(
  {
    tool: fc.oneof(callString, fc.constantFrom("read_file", "write_file", "list_x", "x_file", "ab")),
    server: fc.oneof(callString, fc.constantFrom("dev-fs", "prod-fs", "prod-filesystem")),
    agent: fc.oneof(callString, fc.constant("")),
    args: fc.dictionary(paramName, argValue, { maxKeys: 3 }),
    time: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => new Date(ms - (ms % 60000))),
  },
  { requiredKeys: ["tool", "server"] },
);
