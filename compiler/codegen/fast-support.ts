// Fast paths for the commonest conditions, copied into generated modules like semantics/support.ts: each decides the usual operand type inline and leaves every other case to the general helper, so results match it by construction.

import { compareOperand, containsOperand, pyreMatchesOperand, type RegexProgram } from "../semantics/support.ts";

/** `compareOperand(">", actual, limit)` for a number `limit`. */
export function numberAbove(actual: unknown, limit: number): boolean {
  return typeof actual === "number" ? actual > limit : compareOperand(">", actual, limit);
}

/** `compareOperand(">=", actual, limit)` for a number `limit`. */
export function numberAtLeast(actual: unknown, limit: number): boolean {
  return typeof actual === "number" ? actual >= limit : compareOperand(">=", actual, limit);
}

/** `compareOperand("<", actual, limit)` for a number `limit`. */
export function numberBelow(actual: unknown, limit: number): boolean {
  return typeof actual === "number" ? actual < limit : compareOperand("<", actual, limit);
}

/** `compareOperand("<=", actual, limit)` for a number `limit`. */
export function numberAtMost(actual: unknown, limit: number): boolean {
  return typeof actual === "number" ? actual <= limit : compareOperand("<=", actual, limit);
}

/** `compareOperand("==", actual, value)` for a number `value`. */
export function numberEquals(actual: unknown, value: number): boolean {
  return typeof actual === "number" ? actual === value : compareOperand("==", actual, value);
}

/** `compareOperand("!=", actual, text)` for a string `text`: Python's `!=` between a string and anything else is true. */
export function differsFromText(actual: unknown, text: string): boolean {
  return actual !== undefined && actual !== null && actual !== text;
}

/** `containsOperand(actual, text)` for a string `text`. */
export function containsText(actual: unknown, text: string): boolean {
  return typeof actual === "string" ? actual.includes(text) : containsOperand(actual, text);
}

/**
 * Whether a regex that is only literal text finds a match in `s`: `start` for a leading `^`, `end`
 * 1 for JavaScript's `$` (end of input), 2 for Python's `$` (end of input or before a final newline).
 */
export function literalSearch(s: string, text: string, start: boolean, end: 0 | 1 | 2): boolean {
  if (end === 0) return start ? s.startsWith(text) : s.includes(text);
  // Python's `$` also accepts the text right before a final "\n".
  const beforeNewline = end === 2 && s.length > text.length && s.charCodeAt(s.length - 1) === 10;
  if (start) return s.length === text.length ? s === text : beforeNewline && s.length === text.length + 1 && s.startsWith(text);
  return s.endsWith(text) || (beforeNewline && s.endsWith(text, s.length - 1));
}

/** `pyreMatchesOperand(p, actual)` where `p` is literal text (see literalSearch); other operands go through their Python string form. */
export function matchesLiteral(p: RegexProgram, actual: unknown, text: string, start: boolean, end: 0 | 1 | 2): boolean {
  return typeof actual === "string" ? literalSearch(actual, text, start, end) : pyreMatchesOperand(p, actual);
}

/** `stringMatches(re, actual)` where `re` is literal text (see literalSearch). */
export function stringMatchesLiteral(actual: unknown, text: string, start: boolean, end: 0 | 1 | 2): boolean {
  return typeof actual === "string" && literalSearch(actual, text, start, end);
}
