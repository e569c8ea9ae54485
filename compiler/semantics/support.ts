// Run-time operations shared by the interpreter and the generated module, which copies them verbatim.
// Every function here is self-contained (no imports, no module state) and never throws. Like the modules that copy
// them, they type-check with every strict flag a project may set (noUncheckedIndexedAccess included, see
// test/codegen/golden.test.ts): indexes that are in range by construction say so with `!`, which costs nothing at run time.

/** Own-property lookup, so `__proto__`, `constructor` and `prototype` are plain keys. */
export function ownValue(container: unknown, key: string | number): unknown {
  if (container === null || typeof container !== "object") return undefined;
  if (Array.isArray(container)) {
    if (typeof key !== "number" || !Number.isInteger(key) || key < 0 || key >= container.length) return undefined;
    return container[key];
  }
  const k = String(key);
  return Object.prototype.hasOwnProperty.call(container, k) ? (container as Record<string, unknown>)[k] : undefined;
}

/** Python `==` on JSON-like values: numbers and booleans compare numerically, lists and mappings deeply. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === "number" || typeof a === "boolean") && (typeof b === "number" || typeof b === "boolean")) {
    return Number(a) === Number(b);
  }
  if (a === null || b === null || a === undefined || b === undefined) return a === b || (a == null && b == null);
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!pyEquals(a[i], b[i])) return false;
    return true;
  }
  const ak = Object.keys(a as object);
  const bk = Object.keys(b as object);
  if (ak.length !== bk.length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!pyEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Python ordering: -1, 0 or 1; NaN where Python answers False to every ordering (a NaN number);
 * undefined where Python raises TypeError (string vs number, anything vs None or a mapping).
 */
export function pyCompare(a: unknown, b: unknown): number | undefined {
  if ((typeof a === "number" || typeof a === "boolean") && (typeof b === "number" || typeof b === "boolean")) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") {
    // By code point, not UTF-16 unit: compare code point by code point.
    const ia = a[Symbol.iterator]();
    const ib = b[Symbol.iterator]();
    for (;;) {
      const ra = ia.next();
      const rb = ib.next();
      if (ra.done || rb.done) return ra.done && rb.done ? 0 : ra.done ? -1 : 1;
      const ca = ra.value.codePointAt(0)!;
      const cb = rb.value.codePointAt(0)!;
      if (ca !== cb) return ca < cb ? -1 : 1;
    }
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    // Python compares the first pair of items that are not equal, else the lengths.
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (pyEquals(a[i], b[i])) continue;
      return pyCompare(a[i], b[i]);
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  return undefined;
}

/**
 * Python `item in container`: substring, list membership, or mapping key; undefined where Python
 * raises TypeError (a non-string in a string, anything in a number or boolean, a list or mapping
 * as a mapping key). JSON mapping keys are strings, so no other item is a key.
 */
export function pyContains(container: unknown, item: unknown): boolean | undefined {
  if (typeof container === "string") return typeof item === "string" ? container.includes(item) : undefined;
  if (Array.isArray(container)) {
    for (const el of container) if (pyEquals(el, item)) return true;
    return false;
  }
  if (container !== null && typeof container === "object") {
    if (typeof item === "string") return Object.prototype.hasOwnProperty.call(container, item);
    return item !== null && typeof item === "object" ? undefined : false;
  }
  return typeof container === "number" || typeof container === "boolean" ? undefined : false;
}

/** Python `str(value)` for JSON-like values (`True`, `None`, `['a', 1]`, `{'k': 'v'}`, `1e-05`). */
export function pyStr(value: unknown): string {
  if (typeof value === "string") return value;
  return pyRepr(value);
}

/**
 * Python `repr` of a JSON-like value. JavaScript numbers do not say whether Python would hold an
 * int or a float: an integral number up to 2^53 is taken as an int (`5`), anything else as a
 * float, written as Python writes floats (shortest digits; exponent form below 1e-4 and from 1e16).
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) return String(value === 0 ? 0 : value);
    return pyFloatRepr(value);
  }
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of value) {
      const cp = ch.codePointAt(0)!;
      if (ch === "\\") out += "\\\\";
      else if (ch === quote) out += "\\" + quote;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (cp !== 0x20 && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch)) {
        // Python escapes what str.isprintable() rejects: \xhh, \uhhhh or \Uhhhhhhhh.
        const hex = cp.toString(16);
        out += cp < 0x100 ? "\\x" + hex.padStart(2, "0") : cp < 0x10000 ? "\\u" + hex.padStart(4, "0") : "\\U" + hex.padStart(8, "0");
      } else out += ch;
    }
    return out + quote;
  }
  if (Array.isArray(value)) return "[" + value.map(pyRepr).join(", ") + "]";
  if (typeof value === "object") {
    return "{" + Object.keys(value as object).map((k) => pyRepr(k) + ": " + pyRepr((value as Record<string, unknown>)[k])).join(", ") + "}";
  }
  return "None";
}

/** Python `repr(float(x))` of a finite number: `1.5`, `5.0`, `1e-05`, `1e+16`, `1.2345678901234568e+17`. */
export function pyFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  // toExponential() gives the shortest digits that read back as x, as Python's repr does.
  const [mantissa, exponent] = x.toExponential().split("e");
  const e = Number(exponent);
  if (e < -4 || e >= 16) return mantissa + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  const fixed = String(x);
  return fixed.includes(".") ? fixed : fixed + ".0";
}

/** Milliseconds since the epoch for a call's `time`, or now; NaN for an invalid time. */
export function callTimeMs(time: unknown): number {
  if (time === undefined || time === null) return Date.now();
  if (time instanceof Date) return time.getTime();
  if (typeof time === "number") return time;
  if (typeof time === "string") return Date.parse(time);
  return Number.NaN;
}

/**
 * Minute of the UTC day (0-1439), or NaN for an invalid time, so that every comparison with it is false.
 * Arithmetic rather than `new Date(ms)`, so that guards allocate nothing: Date's TimeClip (NaN past
 * ±8.64e15 ms, fractions truncated), then the position within the day (the UTC day has no leap seconds).
 */
export function utcMinuteOfDay(ms: number): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return Number.NaN;
  const t = Math.trunc(ms);
  return Math.floor((((t % 86400000) + 86400000) % 86400000) / 60000);
}

/** ISO weekday of the UTC date (1 = Monday … 7 = Sunday), or 0 for an invalid time; day 0 (1970-01-01) was a Thursday. */
export function utcIsoWeekday(ms: number): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return 0;
  const day = (((Math.floor(Math.trunc(ms) / 86400000) + 3) % 7) + 7) % 7;
  return day + 1;
}

/** Tokens of a call for Aegis's keyword evaluator: tool, server, param keys and string param values. */
export function semanticTokens(tool: string, server: string, args: unknown): Set<string> {
  const tokens = new Set<string>();
  const add = (text: string) => {
    const found = text.toLowerCase().match(/[a-z0-9_]+/g);
    if (!found) return;
    for (const tok of found) {
      tokens.add(tok);
      if (tok.includes("_")) for (const part of tok.split("_")) if (part) tokens.add(part);
    }
  };
  add(tool);
  add(server);
  if (args !== null && typeof args === "object" && !Array.isArray(args)) {
    for (const key of Object.keys(args as object)) {
      add(key);
      const v = (args as Record<string, unknown>)[key];
      if (typeof v === "string") add(v);
    }
  }
  return tokens;
}

export function semanticMatch(keywords: readonly string[], tokens: Set<string>): boolean {
  for (const k of keywords) if (tokens.has(k)) return true;
  return false;
}

/** An Aegis comparison condition: the operand must be present and not null, then Python's operator applies. */
export function compareOperand(op: string, actual: unknown, expected: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  if (op === "==") return pyEquals(actual, expected);
  if (op === "!=") return !pyEquals(actual, expected);
  const c = pyCompare(actual, expected);
  if (c === undefined) return false;
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : op === ">=" ? c >= 0 : false;
}

/** `param_contains`: the operand must be present and not null; false where Python raises. */
export function containsOperand(actual: unknown, expected: unknown): boolean {
  return actual !== undefined && actual !== null && pyContains(actual, expected) === true;
}

/** Whether Aegis raises on an ordering condition (`param_gt` …): the operand is present, not null, and Python cannot order it against `expected`. */
export function orderingFails(actual: unknown, expected: unknown): boolean {
  return actual !== undefined && actual !== null && pyCompare(actual, expected) === undefined;
}

/** Whether Aegis raises on `param_contains`: the operand is present, not null, and Python's `expected in actual` raises. */
export function containsFails(actual: unknown, expected: unknown): boolean {
  return actual !== undefined && actual !== null && pyContains(actual, expected) === undefined;
}

/** Minute of the UTC day for a call's time (or now), NaN when the time is invalid. */
export function callMinuteOfDay(time: unknown): number {
  return utcMinuteOfDay(callTimeMs(time));
}

/** ISO weekday of a call's time (or now) in UTC, 0 when the time is invalid. */
export function callIsoWeekday(time: unknown): number {
  return utcIsoWeekday(callTimeMs(time));
}

/** `in [..]` / `not in [..]`: the operand must be present and not null either way. */
export function inValues(actual: unknown, values: readonly unknown[], negated: boolean): boolean {
  if (actual === undefined || actual === null) return false;
  let found = false;
  for (const v of values) {
    if (pyEquals(actual, v)) {
      found = true;
      break;
    }
  }
  return negated ? !found : found;
}

/** `startsWith` / `endsWith` on string operands only. */
export function textTest(op: string, actual: unknown, text: string): boolean {
  if (typeof actual !== "string") return false;
  return op === "startsWith" ? actual.startsWith(text) : op === "endsWith" ? actual.endsWith(text) : false;
}

/** A regex (or compiled glob) test on string operands only. */
export function stringMatches(re: RegExp, actual: unknown): boolean {
  if (typeof actual !== "string") return false;
  re.lastIndex = 0;
  return re.test(actual);
}

export function existsValue(actual: unknown): boolean {
  return actual !== undefined && actual !== null;
}

/** `len(…)`: code points of a string, items of a list, keys of a mapping; undefined for anything else. */
export function lengthOf(actual: unknown): number | undefined {
  if (typeof actual === "string") {
    let n = 0;
    for (const _ of actual) n++;
    return n;
  }
  if (Array.isArray(actual)) return actual.length;
  if (actual !== null && typeof actual === "object") return Object.keys(actual).length;
  return undefined;
}

/** `time between from and to`: from inclusive, to exclusive, wrapping past midnight when from > to. */
export function minuteInWindow(minute: number, from: number, to: number): boolean {
  if (Number.isNaN(minute)) return false;
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** Minute of the day and ISO weekday of a call's time in an IANA zone, through Intl; NaN / 0 when invalid. */
export function zonedClock(time: unknown, zone: string): { minute: number; weekday: number } {
  const ms = callTimeMs(time);
  if (zone === "UTC") return { minute: utcMinuteOfDay(ms), weekday: utcIsoWeekday(ms) };
  if (!Number.isFinite(ms)) return { minute: Number.NaN, weekday: 0 };
  try {
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", weekday: "short" }).formatToParts(new Date(ms));
    let hour = Number.NaN;
    let minute = Number.NaN;
    let weekday = 0;
    for (const p of parts) {
      if (p.type === "hour") hour = Number(p.value);
      else if (p.type === "minute") minute = Number(p.value);
      else if (p.type === "weekday") weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(p.value) + 1;
    }
    return { minute: hour * 60 + minute, weekday };
  } catch {
    return { minute: Number.NaN, weekday: 0 };
  }
}

/**
 * A compiled Python regex (python-re/compile.ts): states of four numbers (op, a, b, next; opcodes
 * in regex-ops.ts), code point sets as sorted inclusive ranges, lookarounds (behind, negate,
 * width or -1 when unbounded, start state), and the sizes of the registers that back-references
 * and conditionals read.
 */
export interface RegexProgram {
  readonly ops: readonly number[];
  readonly sets: readonly (readonly number[])[];
  readonly looks: readonly number[];
  readonly regs: readonly number[];
  readonly start: number;
  /** The pattern starts with `\A`: the search is not restarted after the first position. */
  readonly anchored: boolean;
}

/** Whether the sorted inclusive ranges hold `cp` (binary search). */
export function rangesHave(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]!) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Python's `re.search(pattern, s) is not None` for a compiled program. A breadth-first simulation
 * of the automaton (all paths at once, each state at most once per position), so it takes time
 * linear in `s`: at most (states × register values) closure steps per code point, plus bounded
 * lookaround scans. `meter`, when given, counts the steps.
 */
export function pyreSearch(p: RegexProgram, s: string, meter?: { steps: number }): boolean {
  return pyreRun(p, s, p.start, 0, -1, !p.anchored, 0, meter);
}

/**
 * Runs the automaton from state `start` at UTF-16 index `from`. `restart`: a new attempt begins at
 * every position (a search). `until` >= 0: only a match ending exactly there counts, and the scan
 * stops there (lookbehind); otherwise the first match anywhere counts. `regs` is the register values
 * the run starts with (a lookaround reads the groups matched before it).
 */
export function pyreRun(p: RegexProgram, s: string, start: number, from: number, until: number, restart: boolean, regs: number, meter?: { steps: number }): boolean {
  const ops = p.ops;
  const nStates = ops.length >> 2;
  let nRegs = 1;
  for (const size of p.regs) nRegs *= size;
  const size = nStates * nRegs;
  // Threads waiting on a code point (state * nRegs + register values), for this position and the next.
  const cur = new Int32Array(size);
  const nxt = new Int32Array(size);
  let curLen = 0;
  let nxtLen = 0;
  // Each thread is taken into a closure at most once per position: mark[t] holds the position's generation.
  const mark = new Int32Array(size);
  let gen = 0;
  // Each thread is expanded once per position and pushes at most two others; the seeds add at most `size` + 1.
  const stack = new Int32Array(3 * size + 2);
  const n = s.length;
  let i = from;
  let prev = -1;
  if (i > 0) {
    const lo = s.charCodeAt(i - 1);
    prev = lo >= 0xdc00 && lo <= 0xdfff && i >= 2 && s.charCodeAt(i - 2) >= 0xd800 && s.charCodeAt(i - 2) <= 0xdbff ? s.codePointAt(i - 2)! : lo;
  }
  let steps = 0;
  for (;;) {
    if (until >= 0 && i > until) break;
    const c = i < n ? s.codePointAt(i)! : -1;
    gen++;
    // Seeds: the threads that consumed the previous code point, and a new attempt.
    let top = 0;
    for (let k = nxtLen - 1; k >= 0; k--) stack[top++] = nxt[k]!;
    if (restart || i === from) stack[top++] = start * nRegs + regs;
    nxtLen = 0;
    curLen = 0;
    if (top === 0) break;
    while (top > 0) {
      const t = stack[--top]!;
      if (mark[t] === gen) continue;
      mark[t] = gen;
      steps++;
      const st = (t / nRegs) | 0;
      const held = t - st * nRegs;
      const at = st << 2;
      const op = ops[at]!;
      const a = ops[at + 1]!;
      const b = ops[at + 2]!;
      const next = ops[at + 3]!;
      if (op === 0 || op === 8) {
        // MATCH / SUCCEED
        if (until < 0 || i === until) {
          if (meter) meter.steps += steps;
          return true;
        }
      } else if (op === 1) {
        cur[curLen++] = t;
      } else if (op === 2) {
        if (mark[b * nRegs + held] !== gen) stack[top++] = b * nRegs + held;
        if (mark[a * nRegs + held] !== gen) stack[top++] = a * nRegs + held;
      } else if (op === 3) {
        let ok: boolean;
        if (a === 0) ok = i === 0;
        else if (a === 1) ok = i === n;
        else if (a === 2) ok = i === n || (i === n - 1 && c === 10);
        else if (a === 3) ok = i === 0 || prev === 10;
        else if (a === 4) ok = i === n || c === 10;
        else {
          // \b and \B: never in an empty string; else whether the word-ness of the characters around differs.
          const words = p.sets[b]!;
          ok = n > 0 && (prev >= 0 && rangesHave(words, prev)) !== (c >= 0 && rangesHave(words, c)) === (a === 5);
        }
        if (ok && mark[next * nRegs + held] !== gen) stack[top++] = next * nRegs + held;
      } else if (op === 4) {
        if (pyreLook(p, s, a, i, held, meter) && mark[next * nRegs + held] !== gen) stack[top++] = next * nRegs + held;
      } else if (op === 5) {
        // SETREG: replace register a's value (b is already multiplied by its stride).
        let stride = 1;
        for (let k = 0; k < a; k++) stride *= p.regs[k]!;
        const old = Math.floor(held / stride) % p.regs[a]!;
        stack[top++] = next * nRegs + held - old * stride + b;
      } else if (op === 6 || op === 7) {
        let stride = 1;
        for (let k = 0; k < a; k++) stride *= p.regs[k]!;
        const value = Math.floor(held / stride) % p.regs[a]!;
        if (op === 6 ? value * stride === b : (value !== 0) === (b === 1)) stack[top++] = next * nRegs + held;
      }
    }
    if (i >= n) break;
    // Step over code point c.
    for (let k = 0; k < curLen; k++) {
      const t = cur[k]!;
      const st = (t / nRegs) | 0;
      if (rangesHave(p.sets[ops[(st << 2) + 1]!]!, c)) nxt[nxtLen++] = ops[(st << 2) + 3]! * nRegs + (t - st * nRegs);
    }
    steps += curLen;
    prev = c;
    i += c > 0xffff ? 2 : 1;
  }
  if (meter) meter.steps += steps;
  return false;
}

/** Whether lookaround `id` holds at UTF-16 index `i`: a lookbehind matches the `width` code points before, a lookahead what follows. */
export function pyreLook(p: RegexProgram, s: string, id: number, i: number, regs: number, meter?: { steps: number }): boolean {
  const behind = p.looks[id * 4] === 1;
  const negate = p.looks[id * 4 + 1] === 1;
  const width = p.looks[id * 4 + 2]!;
  const start = p.looks[id * 4 + 3]!;
  let found: boolean;
  if (behind) {
    let j = i;
    let k = 0;
    for (; k < width && j > 0; k++) {
      const lo = s.charCodeAt(j - 1);
      j -= lo >= 0xdc00 && lo <= 0xdfff && j >= 2 && s.charCodeAt(j - 2) >= 0xd800 && s.charCodeAt(j - 2) <= 0xdbff ? 2 : 1;
    }
    found = k === width && pyreRun(p, s, start, j, i, false, regs, meter);
  } else found = pyreRun(p, s, start, i, -1, false, regs, meter);
  return found !== negate;
}

/** `param_matches`: the operand must be present and not null; its Python string form is searched. */
export function pyreMatchesOperand(p: RegexProgram, actual: unknown): boolean {
  return actual !== undefined && actual !== null && pyreSearch(p, pyStr(actual));
}

/** A `when:` regex: string operands only. */
export function pyreStringMatches(p: RegexProgram, actual: unknown): boolean {
  return typeof actual === "string" && pyreSearch(p, actual);
}
