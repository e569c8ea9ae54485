// Differential property: aegisc's ordering, equality, containment and str() agree with a model of Python's rules (checked against CPython's answers) on random values, in the interpreter and in generated modules.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import type { Strategy } from "../../compiler/codegen/plan.ts";
import { decide, type Decision, type ToolCall } from "../../compiler/interpret.ts";
import { compareOperand, containsFails, containsOperand, orderingFails, pyEquals, pyStr } from "../../compiler/semantics/support.ts";
import { compilePolicyText, importJs, transpileToJs, type GuardModule } from "../support/load-guard.ts";
import { propertyRun } from "../support/property-seed.ts";

// ---- A model of Python's rules, written from the language reference rather than from aegisc's helpers.

type Outcome = boolean | "raise";
type Op = "<" | "<=" | ">" | ">=";
const OPS: readonly Op[] = ["<", "<=", ">", ">="];

const isNumber = (v: unknown): v is number | boolean => typeof v === "number" || typeof v === "boolean";
const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const apply = (op: Op, x: number, y: number) => (op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y);

/** `a op b`: numbers (booleans are 0 and 1) by value, strings by code point, lists by their first unequal items, then length; anything else raises. */
function modelOrder(op: Op, a: unknown, b: unknown): Outcome {
  if (isNumber(a) && isNumber(b)) return apply(op, Number(a), Number(b));
  if (typeof a === "string" && typeof b === "string") {
    const x = Array.from(a, (c) => c.codePointAt(0)!);
    const y = Array.from(b, (c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return apply(op, x[i]!, y[i]!);
    return apply(op, x.length, y.length);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (!modelEquals(a[i], b[i])) return modelOrder(op, a[i], b[i]);
    return apply(op, a.length, b.length);
  }
  return "raise";
}

function modelEquals(a: unknown, b: unknown): boolean {
  if (isNumber(a) && isNumber(b)) return Number(a) === Number(b);
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => modelEquals(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && modelEquals(a[k], b[k]));
  }
  return false;
}

/** `item in container`: substring of a string (a non-string raises), member of a list, key of a mapping (a list or mapping key raises); a number raises. */
function modelIn(container: unknown, item: unknown): Outcome {
  if (typeof container === "string") return typeof item === "string" ? container.includes(item) : "raise";
  if (Array.isArray(container)) return container.some((x) => modelEquals(x, item));
  if (isMapping(container)) return item !== null && typeof item === "object" ? "raise" : typeof item === "string" && Object.prototype.hasOwnProperty.call(container, item);
  return "raise";
}

/** Python's repr of a float: the fewest significant digits that read back as it, exponent form below 1e-4 and from 1e16. */
function modelFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  let p = 1;
  while (Number(x.toPrecision(p)) !== x) p++;
  const [mantissa, exponent] = x.toExponential(p - 1).split("e") as [string, string];
  const e = Number(exponent);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const sign = x < 0 ? "-" : "";
  const digits = mantissa.replace(/^-/, "").replace(".", "");
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  return `${sign}${whole}.${digits.slice(e + 1) || "0"}`;
}

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function modelRepr(v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    // A JavaScript number does not say int or float; integral numbers up to 2^53 are taken as ints.
    return Number.isSafeInteger(v) ? BigInt(v).toString() : modelFloat(v);
  }
  if (typeof v === "string") {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    const named: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", [quote]: `\\${quote}` };
    return (
      quote +
      Array.from(v, (c) => {
        if (named[c]) return named[c];
        const cp = c.codePointAt(0)!;
        if (c === " " || !NOT_PRINTABLE.test(c)) return c;
        const hex = cp.toString(16);
        return cp <= 0xff ? `\\x${hex.padStart(2, "0")}` : cp <= 0xffff ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
      }).join("") +
      quote
    );
  }
  if (Array.isArray(v)) return `[${v.map(modelRepr).join(", ")}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `${modelRepr(k)}: ${modelRepr(x)}`).join(", ")}}`;
}

const modelStr = (v: unknown) => (typeof v === "string" ? v : modelRepr(v));

// ---- aegisc's answers, as its Aegis conditions see them (the operand present and not null).

function aegiscOrder(op: Op, a: unknown, b: unknown): Outcome {
  return orderingFails(a, b) ? "raise" : compareOperand(op, a, b);
}
function aegiscIn(container: unknown, item: unknown): Outcome {
  return containsFails(container, item) ? "raise" : containsOperand(container, item);
}

// ---- CPython's answers (tools/gen-python-operands.py).

interface Table {
  readonly python: string;
  readonly values: readonly string[];
  readonly str: readonly string[];
  readonly pairs: readonly (readonly number[])[];
}
const table = JSON.parse(readFileSync(new URL("../semantics/fixtures/python-operands.json", import.meta.url), "utf8")) as Table;
const tableValues = table.values.map((text) => JSON.parse(text) as unknown);
const fromCode = (c: number): Outcome => (c === 2 ? "raise" : c === 1);
/** JSON numbers Python reads as floats that JavaScript holds as integral numbers: str() cannot tell them from ints (a documented limit). */
const floatLooksInt = (text: string) => /(?<![\w"])-?\d+\.0\b/.test(text);

test(`the model agrees with CPython ${table.python} on ${table.pairs.length} pairs, and so does aegisc`, () => {
  let checked = 0;
  for (const [i, j, ...codes] of table.pairs) {
    const a = tableValues[i!];
    const b = tableValues[j!];
    const expected = codes.map(fromCode);
    const label = `${table.values[i!]} vs ${table.values[j!]}`;
    for (const [k, op] of OPS.entries()) {
      assert.is(modelOrder(op, a, b), expected[k], `model: ${label} ${op}`);
      // Aegis's conditions never reach None: a missing or null operand is false before any comparison.
      if (a !== null) assert.is(aegiscOrder(op, a, b), expected[k], `aegisc: ${label} ${op}`);
    }
    assert.is(modelEquals(a, b), expected[4], `model: ${label} ==`);
    assert.is(pyEquals(a, b), expected[4], `aegisc: ${label} ==`);
    assert.is(modelIn(a, b), a === null ? "raise" : expected[5], `model: ${table.values[j!]} in ${table.values[i!]}`);
    if (a !== null) assert.is(aegiscIn(a, b), expected[5], `aegisc: ${table.values[j!]} in ${table.values[i!]}`);
    checked++;
  }
  for (const [i, v] of tableValues.entries()) {
    if (floatLooksInt(table.values[i]!)) continue;
    assert.is(modelStr(v), table.str[i], `model: str(${table.values[i]})`);
    assert.is(pyStr(v), table.str[i], `aegisc: str(${table.values[i]})`);
  }
  assert.ok(checked > 3000);
  // The limit is real and shows: str(1.0) is "1.0" in Python, "1" here.
  assert.is(pyStr(JSON.parse("1.0")), "1");
  assert.is(table.str[table.values.indexOf("1.0")], "1.0");
});

// ---- Random values.

const CHARS = ["", "a", "b", "A", "é", "😀", "～", "'", '"', "\\", "\n", "\t", "\u0000", "\u007f", "\u0085", "\u00a0", "\u00ad", "\u2028", "\ufeff", " ", "1"];
const stringArb = fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((p) => p.join(""));
const numberArb = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, 1e-5, 1e-7, 0.0001, 1e16, 2 ** 53, 2 ** 53 - 1, 1e22, 0.1, 0.1 + 0.2, 123.456, -2.5, 1e300, 5e-324),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const scalarArb = fc.oneof(stringArb, numberArb, fc.boolean(), fc.constant(null));
// Mapping keys that are not array indices: JavaScript would order those first, where Python keeps the JSON text's order.
const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalarArb,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "k"), tie("value"), { maxKeys: 2 }),
  ),
}));

test("aegisc orders, compares, tests membership and stringifies random values as the model does", () => {
  fc.assert(
    fc.property(valueArb, valueArb, (a, b) => {
      if (a !== null) {
        for (const op of OPS) assert.is(aegiscOrder(op, a, b), modelOrder(op, a, b), `${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`);
        assert.is(aegiscIn(a, b), modelIn(a, b), `${JSON.stringify(b)} in ${JSON.stringify(a)}`);
      }
      assert.is(pyEquals(a, b), modelEquals(a, b));
      assert.is(pyStr(a), modelStr(a));
    }),
    propertyRun(3000, 2020),
  );
  // NaN, which JSON cannot carry but a JavaScript caller can: every ordering is false, nothing raises against a number.
  for (const op of OPS) assert.is(aegiscOrder(op, Number.NaN, 1), modelOrder(op, Number.NaN, 1));
  assert.is(pyStr(Number.NaN), "nan");
});

// ---- Through decisions: policies whose conditions hold these values, in the interpreter and in both forms of module.

/** A YAML scalar or flow collection that PyYAML (and aegisc's loader) reads back as `v`: floats always with a decimal point. */
function yamlValue(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return String(v);
    const [m, e] = v.toExponential().split("e") as [string, string];
    return `${m.includes(".") ? m : `${m}.`}e${e}`;
  }
  if (typeof v === "string") return JSON.stringify(v).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029").replace(/[\u007f-\u009f\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (v === null || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(", ")}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `${JSON.stringify(k)}: ${yamlValue(x)}`).join(", ")}}`;
}

/** Python's re.escape of the characters that are special in a pattern. */
const reEscape = (s: string) => s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : c === "\v" ? "\\v" : c === "\f" ? "\\f" : `\\${c}`));

const KEYS = ["param_lt", "param_lte", "param_gt", "param_gte"] as const;
const OP_OF: Record<(typeof KEYS)[number], Op> = { param_lt: "<", param_lte: "<=", param_gt: ">", param_gte: ">=" };

interface Expected {
  readonly tool: string;
  readonly arg: unknown;
  readonly outcome: Outcome;
}

test("decisions on random values: the interpreter and both forms of module decide as the model", async () => {
  const seenOutcomes = { raise: 0, true: 0, false: 0, str: 0 };
  // Strings without NUL or other characters a policy file may not hold.
  const literalArb = valueArb.filter((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ud800-\udfff\ufffe\uffff]/u.test(JSON.stringify(v) ?? ""));
  await fc.assert(
    fc.asyncProperty(fc.array(literalArb, { minLength: 1, maxLength: 4 }), fc.array(valueArb, { minLength: 1, maxLength: 6 }), async (literals, actuals) => {
      const rules: string[] = [];
      const expected: Expected[] = [];
      literals.forEach((lit, i) => {
        for (const key of KEYS) rules.push(`  - { name: ${key}_${i}, match: { type: ${key}_${i} }, conditions: { ${key}: { x: ${yamlValue(lit)} } }, approval: approve }`);
        rules.push(`  - { name: eq_${i}, match: { type: eq_${i} }, conditions: { param_eq: { x: ${yamlValue(lit)} } }, approval: approve }`);
        rules.push(`  - { name: in_${i}, match: { type: in_${i} }, conditions: { param_contains: { x: ${yamlValue(lit)} } }, approval: approve }`);
        for (const arg of actuals) {
          if (arg === null) continue;
          for (const key of KEYS) expected.push({ tool: `${key}_${i}`, arg, outcome: modelOrder(OP_OF[key], arg, lit) });
          expected.push({ tool: `eq_${i}`, arg, outcome: modelEquals(arg, lit) });
          expected.push({ tool: `in_${i}`, arg, outcome: modelIn(arg, lit) });
        }
      });
      actuals.forEach((arg, j) => {
        const text = modelStr(arg);
        if (arg === null || text.length > 300 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ud800-\udfff\ufffe\uffff]/u.test(text)) return;
        rules.push(`  - { name: str_${j}, match: { type: str_${j} }, conditions: { param_matches: { x: ${JSON.stringify(`^${reEscape(text)}\\Z`)} } }, approval: approve }`);
        for (const other of actuals) if (other !== null) expected.push({ tool: `str_${j}`, arg: other, outcome: modelStr(other) === text });
      });
      const policy = compilePolicyText(`defaults: { approval: auto, risk_level: low }\nrules:\n${rules.join("\n")}\n`);
      const modules = await Promise.all((["straight", "tables"] as Strategy[]).map((strategy) => importJs(transpileToJs(emitGuardModule(policy, { strategy })))));
      for (const e of expected) {
        seenOutcomes[String(e.outcome) as "raise" | "true" | "false"]++;
        if (e.tool.startsWith("str_") && e.outcome === true) seenOutcomes.str++;
        const call: ToolCall = { tool: e.tool, server: "s", args: { x: e.arg } };
        const want = e.outcome === "raise" ? { approval: "block", failClosed: true } : { approval: e.outcome ? "approve" : "auto", failClosed: undefined };
        const label = `${e.tool} on ${JSON.stringify(e.arg)}`;
        const seen = (d: Decision) => ({ approval: d.approval, failClosed: d.failClosed });
        assert.equal(seen(decide(policy, call)), want, `interpreter: ${label}`);
        for (const [k, m] of modules.entries()) assert.equal(seen((m as GuardModule).decide(call)), want, `${k === 0 ? "straight" : "tables"}: ${label}`);
      }
    }),
    propertyRun(60, 2021),
  );
  console.log(`decided ${JSON.stringify(seenOutcomes)}`);
  assert.ok(seenOutcomes.raise > 100 && seenOutcomes.true > 100 && seenOutcomes.false > 100 && seenOutcomes.str > 50, JSON.stringify(seenOutcomes));
});

test.run();
