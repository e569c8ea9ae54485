// The audit trail's hash chain: how a line is sealed, and how a whole file is verified.
import * as crypto from "node:crypto";

/** `prev` of the first line of a file. */
export const GENESIS_HASH = "0".repeat(64);

/** Node's one-shot hash (20.12+) skips building a Hash object per line; the digest is the same. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

function sha256(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Serializes `record` plus `prev` and appends `hash` = sha256 of everything before it. Because
 * the hash covers the exact JSON text and the previous line's hash, editing, reordering,
 * inserting or deleting any line breaks the chain from there on.
 */
export function sealAuditLine(record: object, prev: string): { line: string; hash: string } {
  const body = withPrev(record, prev);
  const hash = sha256(body);
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}`, hash };
}

/**
 * toJson({ ...record, prev }), without copying the record: `prev` is written after its last
 * key. A record that has a `prev` of its own (only a tampered line's) takes the copy, where
 * the spread keeps the key's place.
 */
function withPrev(record: object, prev: string): string {
  if (Object.hasOwn(record, "prev")) return toJson({ ...record, prev });
  const json = toJson(record);
  return `${json.length > 2 ? `${json.slice(0, -1)},` : "{"}"prev":${JSON.stringify(prev)}}`;
}

/** What a sink appends: a line that is sealed once the previous line's hash is known. */
export interface AuditLineSeal {
  seal(prev: string): { line: string; hash: string };
}

/**
 * A record serialized and hashed in two parts: its leading fields as soon as they are known
 * (the proxy knows all but a call's outcome once it has forwarded the call, and has time then),
 * the rest and `prev` when the line is written. SHA-256 takes its input in pieces, so the
 * head's hashing is done ahead too. seal() gives the line sealAuditLine({ ...head, ...tail },
 * prev) gives, as long as no tail key is a head key, `prev` or `hash`.
 */
export class PresealedRecord implements AuditLineSeal {
  /** The head's JSON without its closing brace. */
  readonly #head: string;
  readonly #hash: crypto.Hash;
  /** The tail's members without braces, "" for none. */
  #tail = "";

  constructor(head: object) {
    this.#head = toJson(head).slice(0, -1);
    this.#hash = crypto.createHash("sha256").update(this.#head, "utf8");
  }

  /** The record's remaining fields, in order, after the head's. */
  complete(tail: object): this {
    const json = toJson(tail);
    this.#tail = json.length > 2 ? json.slice(1, -1) : "";
    return this;
  }

  seal(prev: string): { line: string; hash: string } {
    const comma = this.#head.length > 1 ? "," : "";
    const rest = `${comma}${this.#tail ? `${this.#tail},` : ""}"prev":${JSON.stringify(prev)}`;
    const hash = this.#hash.update(`${rest}}`, "utf8").digest("hex");
    return { line: `${this.#head}${rest},"hash":"${hash}"}`, hash };
  }
}

/** The hash to continue a chain from, given the last line of an existing file. */
export function chainHashOf(line: string): string {
  try {
    const parsed: unknown = JSON.parse(line);
    if (isObject(parsed) && typeof parsed.hash === "string" && /^[0-9a-f]{64}$/.test(parsed.hash)) return parsed.hash;
  } catch {
    // A damaged last line still anchors the chain; verification reports the damage itself.
  }
  return sha256(line);
}

export interface AuditProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Number of lines whose seal is intact and whose link to the previous line holds. */
  valid: number;
  lines: number;
  problems: AuditProblem[];
}

/** Checks a JSONL audit file's text: every line sealed, every line linked to the one before. */
export function verifyAuditLog(text: string): AuditVerification {
  const problems: AuditProblem[] = [];
  if (text === "") return { ok: true, valid: 0, lines: 0, problems };
  const lines = text.split("\n");
  const complete = lines.pop() === "";
  if (!complete) problems.push({ line: lines.length + 1, message: "the file does not end with a newline (an unfinished or truncated write)" });
  let expectedPrev = GENESIS_HASH;
  let valid = 0;
  lines.forEach((line, i) => {
    const lineNumber = i + 1;
    const problem = lineProblem(line, expectedPrev);
    if (problem) problems.push({ line: lineNumber, message: problem });
    else valid++;
    expectedPrev = chainHashOf(line);
  });
  return { ok: problems.length === 0, valid, lines: lines.length + (complete ? 0 : 1), problems };
}

function lineProblem(line: string, expectedPrev: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return "not valid JSON";
  }
  if (!isObject(parsed)) return "not a JSON object";
  const { hash, ...sealed } = parsed;
  if (typeof hash !== "string") return "no hash (the line is not sealed)";
  if (typeof sealed.prev !== "string") return "no prev hash";
  const resealed = sealAuditLine(withoutPrev(sealed), sealed.prev);
  if (resealed.line !== line) return resealed.hash === hash ? "the line's text was reformatted" : "the hash does not match the content (the line was edited)";
  if (sealed.prev !== expectedPrev) return "prev does not match the previous line's hash (a line was removed, inserted or reordered)";
  return undefined;
}

function withoutPrev(record: Record<string, unknown>): Record<string, unknown> {
  const { prev: _prev, ...rest } = record;
  return rest;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * JSON that never throws on what tool arguments may contain: bigints become strings, circular
 * references become "[Circular]". Throwing here would fail every call with such args.
 */
export function toJson(value: unknown): string {
  try {
    // Without a replacer first: calling one for every value made this a visible part of each
    // proxied call. Its output is the same: JSON.stringify throws rather than skip a bigint.
    return JSON.stringify(value);
  } catch {
    // A bigint or a cycle.
  }
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    const ancestors: object[] = [];
    return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
      if (typeof v === "bigint") return v.toString();
      if (typeof v !== "object" || v === null) return v;
      // `this` is the object holding v: drop ancestors that are no longer on the path.
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
      if (ancestors.includes(v)) return "[Circular]";
      ancestors.push(v);
      return v;
    });
  }
}
