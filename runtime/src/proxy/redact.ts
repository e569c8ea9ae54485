// Masks argument values named by `--redact` paths before a call's arguments reach the audit trail.

/** What a redacted value is replaced with. */
export const REDACTED = "[REDACTED]";

export interface RedactPath {
  /** As the user wrote it, for the record's `redacted` list. */
  readonly text: string;
  /** Object keys or array indexes (as strings); `*` matches any one. */
  readonly segments: readonly string[];
}

/**
 * Parses `content`, `args.content`, `headers.authorization`, `items[0].secret`, `env.*`,
 * `args["odd key"]`: the path syntax of the policy's `when:` expressions, plus `*`.
 */
export function parseRedactPath(text: string): RedactPath {
  const segments: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`invalid --redact path ${JSON.stringify(text)}: ${why}`);
  };
  const readName = (): string => {
    const start = i;
    while (i < text.length && text[i] !== "." && text[i] !== "[") i++;
    if (i === start) fail(`expected a key at offset ${start}`);
    return text.slice(start, i);
  };
  segments.push(readName());
  while (i < text.length) {
    if (text[i] === ".") {
      i++;
      segments.push(readName());
    } else {
      const close = text[i + 1] === '"' ? findClosingQuote(text, i + 1) : text.indexOf("]", i);
      if (close === -1) fail("unclosed [");
      if (text[i + 1] === '"') {
        if (text[close + 1] !== "]") fail(`expected ] at offset ${close + 1}`);
        try {
          segments.push(JSON.parse(text.slice(i + 1, close + 1)) as string);
        } catch {
          fail("bad quoted key");
        }
        i = close + 2;
      } else {
        const inner = text.slice(i + 1, close).trim();
        if (!/^(\d+|\*)$/.test(inner)) fail(`expected an index, "*" or a quoted key inside [ ]`);
        segments.push(inner);
        i = close + 1;
      }
    }
  }
  // `args.` is how policies spell the arguments; the audit record's `args` is the root already.
  if (segments.length > 1 && segments[0] === "args") segments.shift();
  return { text, segments };
}

function findClosingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

export interface Redaction {
  args: Record<string, unknown>;
  /** The paths (as written) that masked at least one value. */
  redacted: string[];
}

/** Copies only what it changes: the caller's arguments are never modified. */
export function redactArgs(args: Record<string, unknown>, paths: readonly RedactPath[]): Redaction {
  let result: unknown = args;
  const redacted: string[] = [];
  for (const path of paths) {
    const outcome = mask(result, path.segments, 0);
    if (outcome.changed) {
      result = outcome.value;
      redacted.push(path.text);
    }
  }
  return { args: result as Record<string, unknown>, redacted };
}

function mask(value: unknown, segments: readonly string[], depth: number): { value: unknown; changed: boolean } {
  if (depth === segments.length) return { value: REDACTED, changed: true };
  if (typeof value !== "object" || value === null) return { value, changed: false };
  const segment = segments[depth];
  const keys = segment === "*" ? Object.keys(value) : Object.prototype.hasOwnProperty.call(value, segment) ? [segment] : [];
  let copy: Record<string, unknown> | unknown[] | undefined;
  for (const key of keys) {
    const child = (value as Record<string, unknown>)[key];
    const outcome = mask(child, segments, depth + 1);
    if (!outcome.changed) continue;
    copy ??= Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
    // defineProperty, not assignment: a key named "__proto__" must be masked, not hit the prototype setter.
    Object.defineProperty(copy, key, { value: outcome.value, enumerable: true, writable: true, configurable: true });
  }
  return copy ? { value: copy, changed: true } : { value, changed: false };
}
