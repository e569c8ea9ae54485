// Masks argument values named by `--redact` paths before a call's arguments reach the audit trail.

/** What a redacted value is replaced with. */
export const REDACTED = "[REDACTED]";

export interface RedactPath {
  /** As the user wrote it, for the record's `redacted` list. */
  readonly text: string;
  /** Object keys or array indexes (as strings); `*` matches any one, `**` any number (none too). */
  readonly segments: readonly string[];
  /** The segments in lower case: keys match whatever their letter case (`authorization` masks `Authorization`). */
  readonly folded: readonly string[];
}

/** More segments than this do not fit the matcher's bit sets. */
const MAX_SEGMENTS = 30;
/** Below this depth a value under a `**` path is masked whole rather than searched (the safe side, and no deep recursion). */
const MAX_SEARCH_DEPTH = 1000;

/**
 * Parses `content`, `args.content`, `headers.authorization`, `items[0].secret`, `env.*`,
 * `**.token`, `args["odd key"]`: the path syntax of the policy's `when:` expressions, plus `*`
 * (any one key or index) and `**` (any number of them, none included). Keys match in any letter case.
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
        if (!/^(\d+|\*|\*\*)$/.test(inner)) fail(`expected an index, "*", "**" or a quoted key inside [ ]`);
        segments.push(inner);
        i = close + 1;
      }
    }
  }
  // `args.` is how policies spell the arguments; the audit record's `args` is the root already.
  if (segments.length > 1 && segments[0] === "args") segments.shift();
  if (segments.length > MAX_SEGMENTS) fail(`more than ${MAX_SEGMENTS} segments`);
  return { text, segments, folded: segments.map((segment) => segment.toLowerCase()) };
}

/**
 * The paths as automata over keys: for each path, a bit set of how many of its segments the keys
 * so far have matched (bit i: the first i). `**` keeps its bit and lets the next one through.
 */
export function startMasks(paths: readonly RedactPath[]): number[] {
  return paths.map((path) => closure(path, 1));
}

function closure(path: RedactPath, mask: number): number {
  let out = mask;
  for (let i = 0; i < path.segments.length; i++) if (out & (1 << i) && path.segments[i] === "**") out |= 1 << (i + 1);
  return out;
}

/** The masks one key (or index, as a string) further down. */
export function stepMasks(paths: readonly RedactPath[], masks: readonly number[], key: string): readonly number[] {
  let any = false;
  for (const mask of masks) if (mask !== 0) any = true;
  if (!any) return masks;
  const folded = key.toLowerCase();
  const out: number[] = new Array(paths.length);
  for (let p = 0; p < paths.length; p++) {
    const mask = masks[p];
    const { segments } = paths[p];
    let next = 0;
    if (mask !== 0) {
      for (let i = 0; i < segments.length; i++) {
        if (!(mask & (1 << i))) continue;
        const segment = segments[i];
        if (segment === "**") next |= 1 << i;
        else if (segment === "*" || paths[p].folded[i] === folded) next |= 1 << (i + 1);
      }
    }
    out[p] = next === 0 ? 0 : closure(paths[p], next);
  }
  return out;
}

/** The first path whose every segment is matched, or -1. */
export function matchedMask(paths: readonly RedactPath[], masks: readonly number[]): number {
  for (let p = 0; p < paths.length; p++) if (masks[p] & (1 << paths[p].segments.length)) return p;
  return -1;
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
  if (paths.length === 0) return { args, redacted: [] };
  const used = new Set<number>();
  const outcome = mask(args, paths, startMasks(paths), 0, used);
  return { args: outcome.value as Record<string, unknown>, redacted: paths.filter((_p, n) => used.has(n)).map((p) => p.text) };
}

function mask(value: unknown, paths: readonly RedactPath[], masks: readonly number[], depth: number, used: Set<number>): { value: unknown; changed: boolean } {
  let hit = false;
  for (let p = 0; p < paths.length; p++) {
    if (masks[p] & (1 << paths[p].segments.length)) {
      used.add(p);
      hit = true;
    }
  }
  if (hit) return { value: REDACTED, changed: true };
  if (typeof value !== "object" || value === null || masks.every((m) => m === 0)) return { value, changed: false };
  if (depth >= MAX_SEARCH_DEPTH) {
    for (let p = 0; p < paths.length; p++) if (masks[p] !== 0) used.add(p);
    return { value: REDACTED, changed: true };
  }
  let copy: Record<string, unknown> | unknown[] | undefined;
  for (const key of Object.keys(value)) {
    const next = stepMasks(paths, masks, key);
    if (next.every((m) => m === 0)) continue;
    const child = (value as Record<string, unknown>)[key];
    const outcome = mask(child, paths, next, depth + 1, used);
    if (!outcome.changed) continue;
    copy ??= Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
    // defineProperty, not assignment: a key named "__proto__" must be masked, not hit the prototype setter.
    Object.defineProperty(copy, key, { value: outcome.value, enumerable: true, writable: true, configurable: true });
  }
  return copy ? { value: copy, changed: true } : { value, changed: false };
}
