// normalize-conditions: desugars each rule's Aegis `conditions:` map into the expression IR, checking every value.

import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import { span, type Span } from "../ir/span.ts";
import type { AegisCondition, CompareOp, ConditionEntry, Expr, Value } from "../ir/types.ts";
import { typeName } from "../load/build-ir.ts";
import { PYYAML } from "../load/parse-yaml.ts";
import { pyFloatRepr, pyStr } from "../semantics/support.ts";
import { compilePythonRegex } from "../semantics/python-regex.ts";
import { semanticKeywords } from "../semantics/semantic-keywords.ts";
import type { Pass } from "./pass.ts";

const COMPARE_KEYS: Readonly<Record<string, CompareOp>> = {
  param_eq: "==",
  param_gt: ">",
  param_lt: "<",
  param_gte: ">=",
  param_lte: "<=",
};

/** Aegis skips patterns longer than this (the condition then never holds). */
export const MAX_PARAM_REGEX_LENGTH = 1000;

export const normalizeConditions: Pass = {
  name: "normalize-conditions",
  run(policy, { diagnostics }) {
    for (const rule of policy.rules) {
      const from = diagnostics.size;
      const leaves: Expr[] = [];
      // Aegis evaluates the keys in the order written, stopping at the first that is false, and
      // `semantic` after all the others: the order decides whether a condition that raises is reached.
      const ordered = [...rule.conditions.filter((c) => c.key !== "semantic"), ...rule.conditions.filter((c) => c.key === "semantic")];
      for (const cond of ordered) {
        const expr = desugar(cond, diagnostics);
        if (expr) leaves.push(expr);
      }
      rule.when = leaves.length === 0 ? { kind: "const", value: true, span: rule.span } : leaves.length === 1 ? leaves[0] : { kind: "and", items: leaves, span: rule.span };
      diagnostics.attachRule(from, rule.name);
    }
  },
};

function desugar(cond: AegisCondition, bag: DiagnosticBag): Expr | undefined {
  const whole = span(cond.keySpan.file, cond.keySpan.start, cond.valueSpan.end);
  switch (cond.key) {
    case "time_after":
    case "time_before": {
      const minute = parseTime(cond, bag);
      if (minute === undefined) return undefined;
      // Aegis's clock conditions are always UTC, whatever the policy's `timezone:` says.
      return { kind: "clock", op: cond.key === "time_after" ? ">=" : "<", minute, zone: "UTC", span: whole };
    }
    case "weekdays":
      return weekdays(cond, whole, bag);
    case "semantic": {
      if (typeof cond.value !== "string") {
        bag.add(Diagnostics.wrongType, `\`semantic\` must be a string, not ${typeName(cond.value)}.`, cond.valueSpan);
        return undefined;
      }
      const keywords = semanticKeywords(cond.value);
      if (keywords.length === 0) bag.add(Diagnostics.semanticEmpty, "This semantic condition has no keywords, so the rule never matches.", cond.valueSpan);
      return { kind: "semantic", text: cond.value, keywords, span: whole };
    }
    default:
      return paramConditions(cond, whole, bag);
  }
}

function paramConditions(cond: AegisCondition, whole: Span, bag: DiagnosticBag): Expr | undefined {
  if (!cond.entries) {
    bag.add(Diagnostics.wrongType, `\`${cond.key}\` must be a mapping of parameter names to values, not ${typeName(cond.value)}.`, cond.valueSpan, {
      hint: `for example \`${cond.key}: { size: 100 }\``,
    });
    return undefined;
  }
  if (cond.entries.length === 0) {
    bag.add(Diagnostics.emptyConditionSpec, `\`${cond.key}\` has no entries, so it always holds.`, cond.valueSpan, {
      hint: `remove it, or name a parameter: \`${cond.key}: { name: value }\``,
    });
  }
  const leaves: Expr[] = [];
  let ok = true;
  for (const entry of cond.entries) {
    if (typeof entry.key !== "string") {
      bag.add(Diagnostics.wrongType, `Parameter names must be strings, not ${typeName(entry.key)}.`, entry.keySpan);
      ok = false;
      continue;
    }
    const leaf = paramLeaf(cond.key, entry as ConditionEntry & { key: string }, bag);
    if (leaf) leaves.push(leaf);
    else ok = false;
  }
  if (!ok) return undefined;
  if (leaves.length === 1) return leaves[0];
  return { kind: leaves.length === 0 ? "const" : "and", ...(leaves.length === 0 ? { value: true } : { items: leaves }), span: whole } as Expr;
}

function paramLeaf(key: string, entry: ConditionEntry & { key: string }, bag: DiagnosticBag): Expr | undefined {
  const path = { root: "args" as const, keys: [entry.key] };
  const leafSpan = span(entry.keySpan.file, entry.keySpan.start, entry.valueSpan.end);
  const odd = notJsonLike(entry.value);
  if (odd !== undefined) {
    // Call arguments arrive as JSON, so a YAML date or binary value can never equal or order against them.
    bag.add(Diagnostics.paramValueType, `YAML 1.1 reads \`${entry.valueText}\` as ${typeName(odd)}, which no call argument can be.`, entry.valueSpan, {
      hint: odd instanceof Date ? `quote it: \`${entry.key}: "${entry.valueText}"\`` : "use a string, number, boolean, list or mapping",
    });
    return undefined;
  }
  const op = COMPARE_KEYS[key];
  if (op === "==") return { kind: "compare", op, path, value: entry.value as Value, span: leafSpan };
  if (op) {
    const note = orderingNote(key, entry);
    if (note) bag.add(Diagnostics.orderingNotNumber, note.message, entry.valueSpan, note.hint ? { hint: note.hint } : {});
    // Python raises ordering values it cannot compare (a string and a number, anything and None): the rule then fails closed.
    return { kind: "compare", op, path, value: entry.value as Value, raises: true, span: leafSpan };
  }
  // `x in value` raises for a number value, or a non-string item in a string.
  if (key === "param_contains") return { kind: "contains", path, value: entry.value as Value, raises: true, span: leafSpan };
  // param_matches: Aegis searches for str(value), so a number or boolean is a pattern too.
  const pattern = typeof entry.value === "string" ? entry.value : pythonStrOfPolicyValue(entry.value, entry.valueText);
  if (typeof entry.value !== "string") {
    bag.add(Diagnostics.regexNotString, `\`param_matches\` takes a regular expression; Aegis searches for ${typeName(entry.value)} as the pattern ${JSON.stringify(pattern)} (Python's str()).`, entry.valueSpan, {
      hint: `quote it if that is meant: \`${entry.key}: "${pattern.replace(/"/g, '\\"')}"\``,
    });
  }
  if (pattern.length > MAX_PARAM_REGEX_LENGTH) {
    bag.add(Diagnostics.regexTooLong, `This pattern is ${pattern.length} characters long; Aegis ignores patterns over ${MAX_PARAM_REGEX_LENGTH}, so it never matches.`, entry.valueSpan);
    return undefined;
  }
  const tr = compilePythonRegex(pattern);
  if (!tr.ok) {
    if (tr.limit) {
      bag.add(Diagnostics.unsupportedRegex, `Python accepts this pattern, but aegisc cannot match it in linear time: ${tr.message}.`, entry.valueSpan, {
        hint: "see the README's list of regex limits",
      });
    } else bag.add(Diagnostics.invalidRegex, `Python rejects this pattern: ${tr.message}.`, regexSpan(entry, tr.offset));
    return undefined;
  }
  return { kind: "matches", path, regex: tr.regex, written: pattern, operand: "python-str", span: leafSpan };
}

/** What a user probably did not mean when ordering against a value that is not a number (Aegis accepts it all). */
function orderingNote(key: string, entry: ConditionEntry & { key: string }): { message: string; hint?: string } | undefined {
  const v = entry.value;
  const what = `\`${key}\` orders \`${entry.key}\``;
  if (typeof v === "number") return Number.isNaN(v) ? { message: `${what} against nan: every comparison with nan is false, so this never holds.` } : undefined;
  if (typeof v === "string") {
    const numeric = v.trim() !== "" && !Number.isNaN(Number(v));
    return {
      message: `${what} against the string ${JSON.stringify(v)}: Python compares strings by code point (so "9" > "10"), and blocks a call whose \`${entry.key}\` is a number (Aegis raises).`,
      ...(numeric ? { hint: `to compare numbers, remove the quotes: \`${entry.key}: ${v.trim()}\`` } : {}),
    };
  }
  if (typeof v === "boolean") return { message: `${what} against ${v}, which Python orders as the number ${v ? 1 : 0}.`, hint: `write the number if that is meant: \`${entry.key}: ${v ? 1 : 0}\`` };
  if (Array.isArray(v)) return { message: `${what} against a list: Python compares lists item by item, and blocks a call whose \`${entry.key}\` is not a list (Aegis raises).` };
  return { message: `${what} against ${typeName(v)}, which Python cannot order anything against: every call with \`${entry.key}\` set is blocked (Aegis raises).` };
}

/**
 * Python's str() of a YAML value that Aegis uses as a pattern. A plain number written with a
 * decimal point or exponent is a float in PyYAML (`5.0` → "5.0", `1.0e+16` → "1e+16"); any
 * other number is an int. Numbers inside lists and mappings are written as pyRepr has them.
 */
export function pythonStrOfPolicyValue(value: unknown, text: string): string {
  if (typeof value === "number") {
    const plain = text.trim();
    const float = PYYAML.float.test(plain) || PYYAML.floatExp.test(plain) || PYYAML.floatTime.test(plain) || PYYAML.floatNaN.test(plain) || /^!!float\b/.test(plain);
    if (!float && Number.isInteger(value)) return BigInt(value).toString();
    return Number.isFinite(value) ? pyFloatRepr(value) : pyStr(value);
  }
  return pyStr(value);
}

/** Points at the offending character when the scalar is written plainly, else at the whole value. */
function regexSpan(entry: ConditionEntry, offset: number): Span {
  const raw = entry.valueText;
  const quoted = raw.startsWith('"') || raw.startsWith("'");
  const body = quoted ? raw.slice(1, -1) : raw;
  if (body === entry.value && offset < body.length) {
    const start = entry.valueSpan.start + (quoted ? 1 : 0) + offset;
    return span(entry.valueSpan.file, start, start + 1);
  }
  return entry.valueSpan;
}

/** Aegis's parse: strip, split on ":", int() of the first two parts, then `datetime.time(hour, minute)`. */
function parseTime(cond: AegisCondition, bag: DiagnosticBag): number | undefined {
  const v = cond.value;
  if (typeof v !== "string") {
    const looksLikeTime = cond.plainScalar && /^\s*\d+:\d+/.test(cond.valueText);
    bag.add(Diagnostics.invalidTime, looksLikeTime ? `Unquoted \`${cond.valueText}\` is read by YAML 1.1 as the number ${String(v)}, not a time.` : `\`${cond.key}\` must be a "HH:MM" string, not ${typeName(v)}.`, cond.valueSpan, {
      hint: looksLikeTime ? `quote it: \`${cond.key}: "${cond.valueText}"\`` : 'write for example `"18:00"`',
    });
    return undefined;
  }
  const parts = v.trim().split(":");
  const intPart = (s: string | undefined) => (s !== undefined && /^\s*[+-]?\d+\s*$/.test(s) ? Number(s) : NaN);
  const hour = intPart(parts[0]);
  const minute = intPart(parts[1]);
  if (Number.isNaN(hour) || Number.isNaN(minute)) {
    bag.add(Diagnostics.invalidTime, `\`${v}\` is not a time of the form "HH:MM".`, cond.valueSpan);
    return undefined;
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    bag.add(Diagnostics.invalidTime, `\`${v}\` is not a valid time: hours run 0-23 and minutes 0-59.`, cond.valueSpan);
    return undefined;
  }
  return hour * 60 + minute;
}

function weekdays(cond: AegisCondition, whole: Span, bag: DiagnosticBag): Expr | undefined {
  const v = cond.value;
  if (!Array.isArray(v)) {
    bag.add(Diagnostics.invalidWeekdays, `\`weekdays\` must be a list of ISO day numbers, not ${typeName(v)}.`, cond.valueSpan, {
      hint: typeof v === "number" ? `write \`weekdays: [${v}]\`` : "Monday is 1 and Sunday is 7: `weekdays: [1, 2, 3, 4, 5]`",
    });
    return undefined;
  }
  let ok = true;
  const days = new Set<number>();
  v.forEach((d, i) => {
    const at = cond.itemSpans?.[i] ?? cond.valueSpan;
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > 7) {
      bag.add(Diagnostics.invalidWeekdays, typeof d === "number" ? `\`${d}\` is not an ISO weekday; days run from 1 (Monday) to 7 (Sunday).` : `Weekdays are numbers 1-7, not ${typeName(d)}.`, at);
      ok = false;
    } else days.add(d);
  });
  if (!ok) return undefined;
  return { kind: "weekday", days: [...days].sort(), zone: "UTC", span: whole };
}

/** The first value inside `v` that JSON cannot hold (YAML timestamps, binary, sets), if any. */
function notJsonLike(v: unknown): unknown {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return undefined;
  if (Array.isArray(v)) {
    for (const item of v) {
      const bad = notJsonLike(item);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) return notJsonLike(Object.values(v as object));
  return v;
}
