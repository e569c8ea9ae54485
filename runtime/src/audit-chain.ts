// The audit trail's chain: how a line is sealed (SHA-256, or HMAC-SHA256 with a key), and how a whole file is verified.
import { Buffer } from "node:buffer";
import * as crypto from "node:crypto";

/** `prev` of the first line of a file. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * A key for HMAC-sealed lines (`--audit-key`). Without it a line's seal is a plain SHA-256,
 * which anyone who edits the file can recompute; with it only a holder of the key can.
 */
export type AuditKey = Uint8Array | string;

/** Node's one-shot hash (20.12+) skips building a Hash object per line; the digest is the same. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

function sha256(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

function hmac(key: AuditKey, text: string): string {
  return crypto.createHmac("sha256", key).update(text, "utf8").digest("hex");
}

/** A sealed line (without its newline) and the value the next line's `prev` must repeat. */
export interface AuditSeal {
  line: string;
  hash: string;
}

/**
 * The format, one JSON object per line, every line ending in exactly
 * `"prev":"<64 hex>","hash":"<64 hex>"}` (or `"hmac"` for a keyed line): `prev` is the previous
 * line's hash or hmac (GENESIS_HASH for the first), and the seal is SHA-256 (or HMAC-SHA256 under
 * the key) of the line's text with the seal member cut out, that is, up to and including `prev`'s
 * value, then "}". The seal covers the exact text and the previous seal, so editing, reordering,
 * inserting or deleting any line breaks the chain from there on.
 *
 * `open` is a JSON object's text without its closing brace ("{" for an empty object).
 */
export function sealOpenObject(open: string, prev: string, key?: AuditKey): AuditSeal {
  const body = `${open}${open.length > 1 ? "," : ""}"prev":"${prev}"}`;
  const hash = key === undefined ? sha256(body) : hmac(key, body);
  return { line: `${body.slice(0, -1)},"${key === undefined ? "hash" : "hmac"}":"${hash}"}`, hash };
}

/** Seals a record object; its own `prev`, `hash` and `hmac` members (only a tampered line has them) are dropped. */
export function sealAuditLine(record: object, prev: string, key?: AuditKey): AuditSeal {
  let sealed = record;
  if (Object.hasOwn(record, "prev") || Object.hasOwn(record, "hash") || Object.hasOwn(record, "hmac")) {
    const { prev: _p, hash: _h, hmac: _m, ...rest } = record as Record<string, unknown>;
    sealed = rest;
  }
  return sealOpenObject(recordJson(sealed).slice(0, -1), prev, key);
}

/** A record's JSON, always an object: a member that cannot be written out whole (see toJson) is written as a note, not the whole record. */
export function recordJson(record: object): string {
  const json = toJson(record);
  if (json.startsWith("{")) return json;
  const members: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    const text = toJson(value);
    if (text !== undefined) members.push(`${JSON.stringify(name)}:${text}`);
  }
  return `{${members.join(",")}}`;
}

/** What a sink appends: a line that is sealed once the previous line's hash (and the sink's key) is known. */
export interface AuditLineSeal {
  seal(prev: string, key?: AuditKey): AuditSeal;
}

/**
 * A record given as JSON text (without its closing brace), for records that embed text they did
 * not serialize themselves, such as a tool call's arguments exactly as the client sent them.
 */
export class AuditLineText implements AuditLineSeal {
  readonly open: string;
  constructor(open: string) {
    this.open = open;
  }
  seal(prev: string, key?: AuditKey): AuditSeal {
    return sealOpenObject(this.open, prev, key);
  }
}

/** A record object as an AuditLineSeal. */
export function recordSeal(record: object): AuditLineSeal {
  return { seal: (prev, key) => sealAuditLine(record, prev, key) };
}

/** The members of a JSON object's text, without braces: "" for an empty object. */
export function jsonMembers(value: object): string {
  const json = recordJson(value);
  return json.length > 2 ? json.slice(1, -1) : "";
}

const SEAL_TAIL = /(?:^\{|,)"prev":"([0-9a-f]{64})","(hash|hmac)":"([0-9a-f]{64})"\}$/;
/** `,"hash":"<64 hex>"}`: what is cut from a line to get the text its seal covers (then "}" is put back). */
const SEAL_MEMBER_LENGTH = ',"hash":"'.length + 64 + '"}'.length;

interface SealParts {
  prev: string;
  keyed: boolean;
  hash: string;
}

function sealParts(line: string): SealParts | undefined {
  const match = SEAL_TAIL.exec(line);
  return match ? { prev: match[1], keyed: match[2] === "hmac", hash: match[3] } : undefined;
}

/** The hash to continue a chain from, given the last line of an existing file (a damaged line is anchored on its own SHA-256). */
export function chainHashOf(line: string): string {
  return sealParts(line)?.hash ?? sha256(line);
}

export type AuditProblemKind =
  /** A line was edited, inserted, removed or reordered, or sealed under another key. */
  | "tampered"
  /** A line cut short by a crash mid-write (the last line, or one the chain continued from). */
  | "torn"
  /** The file does not reach its head anchor: records were cut off the end, or the file was rewritten. */
  | "truncated";

export interface AuditProblem {
  /** 1-based line number. */
  line: number;
  message: string;
  kind: AuditProblemKind;
}

/** Where a chain stood at some moment: the file's length in bytes and the seal of the line that ended there. */
export interface AuditHead {
  bytes: number;
  hash: string;
}

export interface AuditVerifyOptions {
  /** Checks HMAC-sealed lines; with a key, every line from the first keyed one on must be sealed with it. */
  key?: AuditKey;
  /** A head recorded outside the file (`--audit-head`): the file must still contain it. */
  head?: AuditHead;
}

export interface AuditVerification {
  /** No problem of any kind. */
  ok: boolean;
  /** Number of lines whose seal is intact and whose link to the previous line holds. */
  valid: number;
  lines: number;
  problems: AuditProblem[];
  /** Calls recorded as forwarded whose outcome record never came (the proxy stopped, or the disk filled, first). */
  open?: { line: number; id: string }[];
  /** Lines sealed with a key (HMAC); without `key` their seals could not be checked, only their links. */
  keyed?: number;
  /** Keyed lines are there but no key was given: their seals are unchecked. */
  unchecked?: boolean;
  /** The chain's head now: the file's length in bytes and the last line's seal (absent for an empty file). */
  head?: AuditHead;
}

interface ParsedLine {
  text: string;
  record?: Record<string, unknown>;
  seal?: SealParts;
  /** Why the line does not verify, with the kind to classify it by when no better one is known. */
  problem?: string;
}

/**
 * Checks a JSONL audit file's text: every line sealed, every line linked to the one before, every
 * outcome record closing a call recorded as forwarded, and (given a head) nothing cut off the end.
 */
export function verifyAuditLog(text: string, options: AuditVerifyOptions = {}): AuditVerification {
  const problems: AuditProblem[] = [];
  if (text === "") {
    const empty: AuditVerification = { ok: true, valid: 0, lines: 0, problems };
    if (options.head && options.head.bytes > 0) {
      problems.push({ line: 0, kind: "truncated", message: `the file is empty, but its head anchor says ${options.head.bytes} bytes: records were cut off` });
      empty.ok = false;
    }
    return empty;
  }
  const lines = text.split("\n");
  const complete = lines.pop() === "";
  if (!complete) lines.push(text.slice(text.lastIndexOf("\n") + 1));
  const parsed = lines.map(parseLine);
  const { key } = options;
  let expectedPrev = GENESIS_HASH;
  let valid = 0;
  let keyed = 0;
  let sawKeyed = false;
  let unchecked = false;
  const open = new Map<string, { line: number; server: unknown; tool: unknown }>();
  const seen = new Set<string>();
  // Byte offsets of line ends, for the head anchor.
  let offset = 0;
  let headLine: number | undefined;
  let head: AuditHead | undefined;

  parsed.forEach((line, i) => {
    const lineNumber = i + 1;
    const last = i === parsed.length - 1;
    offset += Buffer.byteLength(line.text, "utf8") + (last && !complete ? 0 : 1);
    if (options.head && offset === options.head.bytes) headLine = lineNumber;
    const chainHash = line.seal?.hash ?? sha256(line.text);
    const report = (message: string, kind: AuditProblemKind = "tampered") => problems.push({ line: lineNumber, message, kind });
    const next = parsed[i + 1];
    if (line.problem !== undefined) {
      // Cut short by a crash: the last line, or one a restarted writer continued the chain from.
      const torn = line.record === undefined && (last || (next?.seal !== undefined && next.seal.prev === sha256(line.text)));
      report(torn ? `${line.problem}: a torn line (a write cut short by a crash)` : line.problem, torn ? "torn" : "tampered");
    } else {
      const seal = line.seal as SealParts;
      let sealOk = true;
      if (seal.keyed) {
        sawKeyed = true;
        keyed++;
        if (key === undefined) unchecked = true;
        else if (hmac(key, sealedBody(line.text)) !== seal.hash) {
          sealOk = false;
          report("the hmac does not match the content under this key (a wrong key, or the line was edited)");
        }
      } else if (sha256(sealedBody(line.text)) !== seal.hash) {
        sealOk = false;
        report(reformatted(line) ? "the line's text was reformatted" : "the hash does not match the content (the line was edited)");
      } else if (key !== undefined && sawKeyed) {
        sealOk = false;
        report("sealed without the key after keyed lines (a line was replaced, or the file re-hashed without the key)");
      }
      if (sealOk && seal.prev !== expectedPrev) {
        sealOk = false;
        report("prev does not match the previous line's hash (a line was removed, inserted or reordered)");
      }
      // Paired even when its seal failed (that is reported already), so that one edit is one problem.
      const pairing = pairRecord(line.record as Record<string, unknown>, lineNumber, open, seen);
      if (sealOk) {
        if (!last || complete) valid++;
        else report("the last line is whole but has no newline (a write cut short by a crash)", "torn");
        if (pairing) report(pairing);
      }
    }
    expectedPrev = chainHash;
    head = { bytes: offset, hash: chainHash };
  });

  if (key !== undefined && !sawKeyed) problems.push({ line: 1, kind: "tampered", message: "no line is sealed with a key (the file was written without --audit-key, or re-hashed without it)" });
  if (options.head) {
    const anchor = options.head;
    const total = offset;
    if (anchor.bytes > total) {
      problems.push({ line: parsed.length, kind: "truncated", message: `the file has ${total} bytes, but its head anchor says ${anchor.bytes}: records were cut off the end` });
    } else if (anchor.bytes > 0 && headLine === undefined) {
      problems.push({ line: parsed.length, kind: "truncated", message: `no line ends at byte ${anchor.bytes}, where the head anchor says one does: the file was rewritten` });
    } else if (headLine !== undefined) {
      const line = parsed[headLine - 1];
      if ((line.seal?.hash ?? sha256(line.text)) !== anchor.hash) {
        problems.push({ line: headLine, kind: "truncated", message: "this line is not the anchored head (its seal differs): the file was rewritten or re-hashed up to here" });
      }
    }
  }

  problems.sort((a, b) => a.line - b.line);
  const result: AuditVerification = { ok: problems.length === 0, valid, lines: parsed.length, problems };
  if (open.size > 0) result.open = [...open].map(([id, { line }]) => ({ line, id }));
  if (keyed > 0) result.keyed = keyed;
  if (unchecked) result.unchecked = true;
  if (head) result.head = head;
  return result;
}

/** The text a line's seal covers: the line without its seal member, closed again. */
function sealedBody(line: string): string {
  return `${line.slice(0, line.length - SEAL_MEMBER_LENGTH)}}`;
}

function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { text, problem: "not valid JSON" };
  }
  if (!isObject(value)) return { text, problem: "not a JSON object" };
  const seal = sealParts(text);
  if (!seal) {
    if (typeof value.hash !== "string" && typeof value.hmac !== "string") return { text, record: value, problem: "no hash (the line is not sealed)" };
    if (typeof value.prev !== "string") return { text, record: value, problem: "no prev hash" };
    return { text, record: value, problem: reformattedRecord(value) ? "the line's text was reformatted" : "the seal is not at the end of the line (the line was edited)" };
  }
  return { text, record: value, seal };
}

/** Whether the line's record, written out again as the writer writes it, has the line's own plain seal. */
function reformatted(line: ParsedLine): boolean {
  return line.record !== undefined && reformattedRecord(line.record);
}

function reformattedRecord(record: Record<string, unknown>): boolean {
  const { hash, prev } = record;
  if (typeof hash !== "string" || typeof prev !== "string") return false;
  return sealAuditLine(record, prev).hash === hash;
}

/**
 * The pairing of a proxy's records: `status: "forwarded"` opens a call (its intent, written
 * before the call reached the server), `phase: "outcome"` closes it; every other record is a
 * call whole. Returns a problem, if any.
 */
function pairRecord(record: Record<string, unknown>, line: number, open: Map<string, { line: number; server: unknown; tool: unknown }>, seen: Set<string>): string | undefined {
  const { id, status, phase } = record;
  if (phase === "outcome") {
    if (typeof id !== "string") return "an outcome record without a call id";
    const intent = open.get(id);
    if (!intent) return `an outcome for call ${id}, which no earlier record shows forwarded (a record was removed, or the outcome repeated)`;
    open.delete(id);
    if (intent.server !== record.server || intent.tool !== record.tool) return `the outcome of call ${id} names another server or tool than its forwarded record (line ${intent.line})`;
    if (status !== "success" && status !== "failed") return `the outcome of call ${id} has status ${JSON.stringify(status)}, not success or failed`;
    return undefined;
  }
  if (typeof id !== "string") return status === "forwarded" ? "a forwarded record without a call id" : undefined;
  if (seen.has(id)) return `call id ${id} is recorded twice`;
  seen.add(id);
  if (status === "forwarded") open.set(id, { line, server: record.server, tool: record.tool });
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * JSON that never throws on what tool arguments may contain: bigints become strings, circular
 * references become "[Circular]", and a value nested too deeply for JSON.stringify (a stack
 * overflow) becomes a note saying so. Throwing here would fail every call with such args.
 */
export function toJson(value: unknown): string {
  try {
    // Without a replacer first: calling one for every value made this a visible part of each
    // proxied call. Its output is the same: JSON.stringify throws rather than skip a bigint.
    return JSON.stringify(value);
  } catch {
    // A bigint, a cycle, or a stack overflow.
  }
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    // A cycle, or a stack overflow.
  }
  try {
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
  } catch {
    return JSON.stringify("[aegisc: a value nested too deeply to write out]");
  }
}
