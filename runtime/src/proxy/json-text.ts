// JSON text read without building values: where a member's value lies in a line, repeated keys, and redaction of the text itself, all without recursion (any depth).
import { REDACTED, startMasks, stepMasks, matchedMask, type RedactPath } from "./redact.ts";

/** Index just past the string whose opening quote is at `at`: the next quote, unless escapes come first (then character by character). */
function stringEnd(text: string, at: number): number {
  const quote = text.indexOf('"', at + 1);
  if (quote < 0) return text.length;
  const backslash = text.indexOf("\\", at + 1);
  if (backslash < 0 || backslash > quote) return quote + 1;
  for (let i = backslash; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return text.length;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
  }
  return i;
}

/** Index just past a number, true, false or null starting at `at`. */
function literalEnd(text: string, at: number): number {
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) break;
  }
  return i;
}

/** Index just past the JSON value starting at `at` (in valid JSON text), counting brackets instead of recursing. */
export function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === 0x22) return stringEnd(text, at);
  if (first !== 0x7b && first !== 0x5b) return literalEnd(text, at);
  let depth = 0;
  for (let i = at; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return text.length;
}

function keyOf(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  // Escapes spell the same key in other ways ("\u0061" is "a"): those are decoded to compare.
  return raw.includes("\\") ? (JSON.parse(text.slice(start, end)) as string) : raw;
}

export interface Span {
  start: number;
  end: number;
}

/**
 * The spans of the members of the object at `at` (valid JSON text), the last one of each key
 * (as JSON.parse keeps it): one level, without looking inside the values.
 */
export function memberSpans(text: string, at: number): Map<string, Span> | undefined {
  let i = skipSpace(text, at);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  const members = new Map<string, Span>();
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return members;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) return undefined;
    const keyEnd = stringEnd(text, i);
    const key = keyOf(text, i, keyEnd);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return undefined;
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    members.set(key, { start, end });
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return members;
    if (c !== 0x2c) return undefined;
    i = skipSpace(text, i + 1);
  }
}

/** The span of `params.arguments` in a JSON-RPC request's line, or undefined when it has none (or the line is not an object). */
export function argumentsSpan(line: string): Span | undefined {
  const top = memberSpans(line, 0);
  const params = top?.get("params");
  if (!params) return undefined;
  return memberSpans(line, params.start)?.get("arguments");
}

export interface ArgumentsText {
  /** The arguments' text with every redacted value replaced by "[REDACTED]". */
  text: string;
  /** The redaction paths (as written) that masked something. */
  redacted: string[];
  /** A key that appears twice in one object, with where ("args.a.b"): set, the call must not go on. */
  repeated?: string;
}

interface Frame {
  object: boolean;
  masks: readonly number[];
  keys?: Set<string>;
  index: number;
  /** The key or index this container has in its parent ("" for the arguments). */
  label: string;
}

/** `args.a[0].b` for the containers on the stack (built only for a message: paths of deep values are long). */
function pathOf(stack: readonly Frame[]): string {
  let path = "args";
  for (let j = 1; j < stack.length; j++) path += stack[j - 1].object ? `.${stack[j].label}` : `[${stack[j].label}]`;
  return path;
}

/** Object members in JSON text: its colons outside strings (a colon is nothing else there). */
function memberCount(text: string, span: Span): number {
  let count = 0;
  for (let i = span.start; i < span.end; ) {
    const colon = text.indexOf(":", i);
    const quote = text.indexOf('"', i);
    if (colon < 0 || colon >= span.end) return count;
    if (quote >= 0 && quote < colon) {
      i = stringEnd(text, quote);
      continue;
    }
    count++;
    i = colon + 1;
  }
  return count;
}

/** Own keys of every object in a parsed value, counted with an explicit stack. */
function keyCount(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === "object" && item !== null) stack.push(item);
      continue;
    }
    for (const key in v) {
      count++;
      const child = (v as Record<string, unknown>)[key];
      if (typeof child === "object" && child !== null) stack.push(child);
    }
  }
  return count;
}

/**
 * readArgumentsText for the usual call, given the arguments JSON.parse made of the same text: with
 * nothing to redact and as many members in the text as keys in the value, no key is repeated, and
 * the text is taken as it is without walking it.
 */
export function argumentsText(text: string, span: Span, parsed: unknown, paths: readonly RedactPath[]): ArgumentsText {
  if (paths.length === 0 && memberCount(text, span) === keyCount(parsed)) return { text: text.slice(span.start, span.end), redacted: [] };
  return readArgumentsText(text, span, paths);
}

/**
 * Reads the arguments' text once, to the bottom, with an explicit stack: finds a key repeated
 * within one object (JSON.parse keeps the last, but a server's parser may keep the first, so the
 * policy might not have decided what runs) and masks the values the redaction paths name.
 */
export function readArgumentsText(text: string, span: Span, paths: readonly RedactPath[]): ArgumentsText {
  const stack: Frame[] = [];
  const masked: { start: number; end: number }[] = [];
  const used = new Set<number>();
  let i = skipSpace(text, span.start);
  let masks: readonly number[] = startMasks(paths);
  let label = "";
  let repeated: string | undefined;
  outer: for (;;) {
    // A value starts at i, reached by `label`, with `masks`.
    const hit = paths.length > 0 ? matchedMask(paths, masks) : -1;
    const c = text.charCodeAt(i);
    if (hit >= 0) {
      const end = valueEnd(text, i);
      masked.push({ start: i, end });
      for (let p = 0; p < paths.length; p++) if (masks[p] & (1 << paths[p].segments.length)) used.add(p);
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      const object = c === 0x7b;
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) === (object ? 0x7d : 0x5d)) i++;
      else {
        const frame: Frame = { object, masks, index: 0, label };
        if (object) frame.keys = new Set();
        stack.push(frame);
        if (!object) {
          masks = stepMasks(paths, frame.masks, "0");
          label = "0";
          continue;
        }
        // A key follows.
        const keyEnd = stringEnd(text, i);
        const key = keyOf(text, i, keyEnd);
        frame.keys?.add(key);
        i = skipSpace(text, skipSpace(text, keyEnd) + 1);
        masks = stepMasks(paths, frame.masks, key);
        label = key;
        continue;
      }
    } else {
      i = c === 0x22 ? stringEnd(text, i) : literalEnd(text, i);
    }
    // After a value: the next member or element, or the end of its container.
    for (;;) {
      const frame = stack[stack.length - 1];
      if (!frame) break outer;
      i = skipSpace(text, i);
      const next = text.charCodeAt(i);
      if (next === 0x2c) {
        i = skipSpace(text, i + 1);
        if (frame.object) {
          const keyEnd = stringEnd(text, i);
          const key = keyOf(text, i, keyEnd);
          if (frame.keys?.has(key)) repeated ??= `${JSON.stringify(key)} in ${pathOf(stack)}`;
          frame.keys?.add(key);
          i = skipSpace(text, skipSpace(text, keyEnd) + 1);
          masks = stepMasks(paths, frame.masks, key);
          label = key;
        } else {
          frame.index++;
          masks = stepMasks(paths, frame.masks, String(frame.index));
          label = String(frame.index);
        }
        continue outer;
      }
      // "}" or "]": the container ends.
      stack.pop();
      i++;
    }
  }
  let out = "";
  let from = span.start;
  for (const m of masked) {
    out += `${text.slice(from, m.start)}${JSON.stringify(REDACTED)}`;
    from = m.end;
  }
  out += text.slice(from, span.end);
  const result: ArgumentsText = { text: out, redacted: paths.filter((_p, n) => used.has(n)).map((p) => p.text) };
  if (repeated !== undefined) result.repeated = repeated;
  return result;
}
