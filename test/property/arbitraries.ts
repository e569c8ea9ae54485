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
/** What Aegis's param_gt/lt/gte/lte accept: numbers mostly, and strings, booleans, lists, null (Python orders or raises). */
const orderValue = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -2, max: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom("a", "ab", "b", "", "True") },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, ["a"], [1, 2], [], { a: 1 }) },
);
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);

const conditionsArb = fc.record(
  {
    time_after: hhmm,
    time_before: hhmm,
    weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
    param_eq: fc.dictionary(paramName, argValue, { minKeys: 1, maxKeys: 2 }),
    param_gt: fc.dictionary(paramName, orderValue, { minKeys: 1, maxKeys: 1 }),
    param_lt: fc.dictionary(paramName, fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1, 2.5) }, { weight: 1, arbitrary: orderValue }), { minKeys: 1, maxKeys: 1 }),
    param_gte: fc.dictionary(paramName, orderValue, { minKeys: 1, maxKeys: 1 }),
    param_lte: fc.dictionary(paramName, orderValue, { minKeys: 1, maxKeys: 1 }),
    param_contains: fc.dictionary(paramName, fc.oneof(fc.constantFrom("a", "b", "/data"), fc.integer({ min: 0, max: 2 }), fc.constantFrom(true, null, ["a"], { a: 1 })), { minKeys: 1, maxKeys: 1 }),
    // Non-string patterns are searched for as their Python str() (5 → "5", true → "True").
    param_matches: fc.dictionary(paramName, fc.oneof(fc.constantFrom("^a", "b$", "^/data/", "a|b", "^\\d+$", "^True$", "\\['a'"), fc.constantFrom(1, 0.5, true, false)), { minKeys: 1, maxKeys: 1 }),
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
  // Every call carries its time: a call without one is decided at "now", which the interpreter and
  // the module would read at different instants, making the comparison depend on the clock.
  { requiredKeys: ["tool", "server", "time"] },
);

const whenPath = fc.constantFrom("args.p", "args.q", "args.size", 'args["odd key"]', "args.list[0]", "args.a.b");
/** `when:` atoms over the same paths and values as the calls, covering every operator of the expression language. */
const whenAtom = fc.oneof(
  fc.tuple(whenPath, fc.constantFrom("==", "!="), fc.constantFrom("1", "0.5", '"a"', '"ab"', "true", "null", "-2")).map(([p, op, v]) => `${p} ${op} ${v}`),
  // Ordering compares numbers only; anything else is a compile-time type error.
  fc.tuple(whenPath, fc.constantFrom("<", "<=", ">", ">="), fc.constantFrom("1", "0.5", "0", "-2", "100")).map(([p, op, v]) => `${p} ${op} ${v}`),
  fc.constantFrom(
    'args.path startsWith "/data"',
    'args.p endsWith "b"',
    'args.q in [1, "a", true]',
    'args.p not in ["b", 2]',
    "len(args.p) >= 2",
    "len(args.q) == 0",
    "exists(args.q)",
    'args.path glob "/d*/?"',
    "args.p matches /^a|b$/i",
    'args.q contains "a"',
    'time between "18:00" and "08:00"',
    "weekday in [sat, sun]",
    "weekday == wed",
    'time >= "12:00"',
    'tool == "read_file"',
    'tool glob "*_file"',
    'server endsWith "-fs"',
    'agent == ""',
    'agent startsWith "a"',
  ),
);
const whenArb = fc
  .tuple(fc.array(whenAtom, { minLength: 1, maxLength: 3 }), fc.constantFrom(" and ", " or "), fc.boolean())
  .map(([atoms, join, negate]) => (negate ? `not (${atoms.join(join)})` : atoms.join(join)));

/** Random policies whose rules also carry `when:` expressions, sometimes under a policy time zone. */
export const whenPolicyArb: fc.Arbitrary<RandomPolicy> = fc
  .record({
    combine: fc.constantFrom(undefined, "first-match"),
    timezone: fc.option(fc.constantFrom("America/New_York", "Asia/Kolkata"), { nil: undefined, freq: 5 }),
    rules: fc.array(fc.record({ rule: ruleArb, when: fc.option(whenArb, { nil: undefined, freq: 4 }) }), { minLength: 1, maxLength: 8 }),
  })
  .map((p) => {
    const rules = p.rules.map(({ rule, when }, i) => {
      const out: Record<string, unknown> = { ...rule, name: `${rule.name ?? "r"}#${i}` };
      if (out.conditions === undefined) delete out.conditions;
      if (when !== undefined) out.when = when;
      return out;
    });
    const doc: Record<string, unknown> = { version: "1", rules };
    if (p.combine) doc.combine = p.combine;
    if (p.timezone) doc.timezone = p.timezone;
    return { text: stringify(doc, { version: "1.1" }), ruleCount: rules.length };
  });
