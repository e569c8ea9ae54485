// Append-only JSONL audit trail: one hash-chained file per MCP server.
import { Buffer } from "node:buffer";
import {
  accessSync,
  appendFileSync,
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  writeSync,
  type Stats,
} from "node:fs";
import { access, appendFile, mkdir, open, stat, truncate, type FileHandle } from "node:fs/promises";
import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { GENESIS_HASH, chainHashOf, recordSeal, type AuditHead, type AuditKey, type AuditLineSeal } from "./audit-chain.ts";
import type { AuditOutcomeRecord, AuditRecord, AuditSink } from "./types.ts";

export interface JsonlAuditOptions {
  /** Directory holding `<server>.jsonl` files; created when missing. */
  dir: string;
  /**
   * Check and append with synchronous system calls (a few microseconds each on a local disk)
   * instead of thread-pool round trips. For a process in which every call waits for its record
   * anyway, such as the proxy, this is most of the audit's latency; the checks are the same.
   */
  sync?: boolean;
  /**
   * fdatasync after every record. A record whose write(2) returned is already safe from a crash
   * or kill -9 of the writing process (it is in the kernel's page cache); this also keeps it
   * through a power loss or kernel crash, at the price of a disk flush per governed call.
   */
  fsync?: boolean;
  /**
   * Seals every line with HMAC-SHA256 under this key instead of a plain SHA-256: whoever edits
   * the file cannot recompute the seals without the key (`audit verify --key` checks them).
   */
  key?: AuditKey;
  /**
   * A directory, best on another disk or out of reach of whoever could edit the audit files,
   * where `<file>.head` records each file's length and last seal after every record
   * (`audit verify --head`): a file cut short or rewritten no longer reaches it.
   */
  headDir?: string;
  /** Told when a head anchor is found that the file no longer reaches (the proxy passes its log). */
  log?: (line: string) => void;
}

export interface JsonlAuditSink extends AuditSink {
  readonly dir: string;
  /** The file that records calls to `server`. */
  fileFor(server: string): string;
  prepare(server: string): Promise<void>;
  write(record: AuditRecord | AuditOutcomeRecord): Promise<void>;
  readonly intents: true;
  /** Sync mode only: prepare() as one synchronous step, throwing where prepare() rejects. */
  prepareSync?(server: string): void;
  /** Sync mode only: write() as one synchronous step, throwing where write() rejects. */
  writeSync?(record: AuditRecord | AuditOutcomeRecord): void;
  /** Sync mode only: writeSync() for a line the caller seals itself (an AuditLineText), in `server`'s file. */
  appendSync?(server: string, line: AuditLineSeal): void;
  /** append() for a line the caller seals itself, in either mode. */
  append(server: string, line: AuditLineSeal): Promise<void>;
  /** Where `server`'s chain stands: its file's length and last seal, once the sink has opened it. */
  head(server: string): AuditHead | undefined;
  /** The head file kept for `server`'s file (with `headDir`). */
  headFileFor(server: string): string | undefined;
  /** Closes the files the sink keeps open (sync mode); a later call opens them again. */
  close(): Promise<void>;
}

const KEEP = /^[A-Za-z0-9._-]$/;
const MAX_NAME = 200;
const TAIL_CHUNK = 64 * 1024;

/**
 * A server name as a file name, deterministic and injective: bytes outside [A-Za-z0-9._-] and
 * a leading "." are percent-encoded, so no name can contain a path separator, be "." or "..",
 * or hide itself. Over-long names keep a readable prefix plus a hash of the full name ("~" never
 * appears in an encoded name, so these cannot collide with short ones).
 */
export function auditFileName(server: string): string {
  if (server === "") return "%.jsonl"; // "%" alone is never produced by encoding, so it cannot collide.
  let encoded = "";
  for (const byte of Buffer.from(server, "utf8")) {
    const char = String.fromCharCode(byte);
    encoded += KEEP.test(char) && !(encoded === "" && char === ".") ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (encoded.length > MAX_NAME) {
    const digest = createHash("sha256").update(server, "utf8").digest("hex").slice(0, 16);
    encoded = `${encoded.slice(0, MAX_NAME - 40)}~${digest}`;
  }
  return `${encoded}.jsonl`;
}

interface ChainState {
  path: string;
  lastHash: string;
  /** The file ends in an unfinished line (a crash mid-write): start ours on a fresh line. */
  needsNewline: boolean;
  /** Identity of the file the chain continues, to notice when it was rotated away or replaced. */
  dev: number;
  ino: number;
  /** Bytes known to be in the file; a smaller file was truncated or replaced (inode numbers get reused). */
  size: number;
  /** Writes to one file run one after another, so lines never interleave and the chain stays linear (sync mode needs none). */
  queue: Promise<unknown>;
  /** Sync mode: the file, kept open for appending (an open and a close per record cost more than the write). */
  fd?: number;
  /** A failed write could not be undone: the file's tail must be read again before the next record. */
  stale?: boolean;
  /** With headDir: the head file, kept open to be rewritten in place after every record. */
  headFd?: number;
  headPath?: string;
  /** The head could not be written after the last record: calls stop until it can. */
  headError?: string;
}

/**
 * Records every governed call as one sealed JSON line in `<dir>/<server>.jsonl`. Meant for one
 * writing process per directory: a second process appending to the same files would fork the chain.
 */
export function jsonlAudit(options: JsonlAuditOptions): JsonlAuditSink {
  const dir = resolve(options.dir);
  const chains = new Map<string, Promise<ChainState>>();

  // Remembered per server: every governed call asks twice (prepare, write), and the path work is pure.
  const paths = new Map<string, string>();
  const fileFor = (server: string): string => {
    const known = paths.get(server);
    if (known !== undefined) return known;
    const path = join(dir, auditFileName(server));
    // Defense in depth: auditFileName never yields a separator, but the audit must never leave dir.
    if (resolve(path, "..") !== dir || basename(path) !== auditFileName(server)) throw new Error(`audit file for server ${JSON.stringify(server)} escapes ${dir}`);
    if (paths.size < 10_000) paths.set(server, path);
    return path;
  };

  const headDir = options.headDir !== undefined ? resolve(options.headDir) : undefined;
  const headFileFor = (server: string): string | undefined => (headDir === undefined ? undefined : join(headDir, `${auditFileName(server)}.head`));
  const key = options.key;
  const log = options.log ?? (() => undefined);
  /** The async mode's chains once open, for head(). */
  const asyncStates = new Map<string, ChainState>();

  const chainFor = (server: string): Promise<ChainState> => {
    const path = fileFor(server);
    let chain = chains.get(path);
    if (!chain) {
      chain = openChain(dir, path, headFileFor(server), log);
      void chain.then((state) => asyncStates.set(path, state), () => undefined);
      chains.set(path, chain);
      const opening = chain;
      // A failed open is retried on the next call instead of blocking this server forever.
      opening.catch(() => {
        if (chains.get(path) === opening) chains.delete(path);
      });
    }
    return chain;
  };

  const enqueue = <T>(state: ChainState, job: () => Promise<T>): Promise<T> => {
    const done = state.queue.then(job);
    state.queue = done.catch(() => undefined);
    return done;
  };

  // Sync mode needs no queue: every step is one synchronous run, so two can never interleave.
  // It also spares the proxy a dozen promise hops per call on its way to the client's answer.
  const syncChains = new Map<string, ChainState>();
  // The server asked about last (a proxy usually governs one), found without two map lookups.
  let lastServer: string | undefined;
  let lastState: ChainState | undefined;
  const syncChainFor = (server: string): ChainState => {
    if (server === lastServer && lastState) return lastState;
    const path = fileFor(server);
    let state = syncChains.get(path);
    if (!state) {
      const opening = newChainState(path, headFileFor(server));
      // Not remembered when it fails: the next call tries again.
      reanchorSync(dir, opening, log);
      syncChains.set(path, opening);
      state = opening;
    }
    lastServer = server;
    lastState = state;
    return state;
  };

  const prepareNow = (server: string): void => {
    const state = syncChainFor(server);
    // Moved away (log rotation), deleted or replaced: continue from whatever is there now.
    if (state.stale || !isSameFile(statSync(state.path, { throwIfNoEntry: false }), state)) reanchorSync(dir, state, log);
    // Checked although the file is open: a file made read-only must stop the calls.
    else accessSync(state.path, constants.W_OK);
    if (state.headError !== undefined) writeHead(state);
  };

  const appendNow = (server: string, seal: AuditLineSeal): void => {
    const state = syncChainFor(server);
    if (state.stale) reanchorSync(dir, state, log);
    const { line, hash } = seal.seal(state.lastHash, key);
    const text = `${state.needsNewline ? "\n" : ""}${line}\n`;
    let length: number;
    try {
      // One append per whole line: O_APPEND keeps concurrent writers from splitting it.
      if (state.fd !== undefined) {
        length = writeTextFully(state.fd, text);
        if (options.fsync) fdatasyncSync(state.fd);
      } else {
        // The file could not be reopened (prepare said so); this fails the same way, or writes if it got fixed.
        appendFileSync(state.path, text);
        length = Buffer.byteLength(text);
      }
    } catch (error) {
      undoPartialWrite(state);
      throw error;
    }
    state.size += length;
    state.lastHash = hash;
    state.needsNewline = false;
    if (state.headPath !== undefined) writeHeadQuietly(state);
  };

  const appendAsync = async (server: string, seal: AuditLineSeal): Promise<void> => {
    if (options.sync) return appendNow(server, seal);
    const state = await chainFor(server);
    await enqueue(state, async () => {
      if (state.stale) await reanchor(dir, state, log);
      const { line, hash } = seal.seal(state.lastHash, key);
      const bytes = lineBytes(line, state);
      try {
        if (!options.fsync) {
          await appendFile(state.path, bytes);
        } else {
          const handle = await open(state.path, "a");
          try {
            await handle.appendFile(bytes);
            await handle.datasync();
          } finally {
            await handle.close();
          }
        }
      } catch (error) {
        // A full disk can take part of the line: cut it off again, so that the file ends in a whole record.
        await truncate(state.path, state.size).catch(() => (state.stale = true));
        throw error;
      }
      appended(state, bytes, hash);
      if (state.headPath !== undefined) writeHeadQuietly(state);
    });
  };

  return {
    dir,
    intents: true,
    fileFor,
    headFileFor,
    ...(options.sync
      ? {
          prepareSync: prepareNow,
          writeSync: (record: AuditRecord | AuditOutcomeRecord) => appendNow(record.server, recordSeal(record)),
          appendSync: (server: string, line: AuditLineSeal) => appendNow(server, line),
        }
      : {}),
    async prepare(server) {
      if (options.sync) return prepareNow(server);
      const state = await chainFor(server);
      await enqueue(state, async () => {
        const current = await stat(state.path).catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return undefined;
          throw error;
        });
        if (state.stale || !isSameFile(current, state)) await reanchor(dir, state, log);
        else await access(state.path, constants.W_OK);
        if (state.headError !== undefined) writeHead(state);
      });
    },
    write: (record) => appendAsync(record.server, recordSeal(record)),
    append: appendAsync,
    head(server) {
      const state = options.sync ? syncChains.get(fileFor(server)) : undefined;
      const known = state ?? asyncStates.get(fileFor(server));
      return known && known.dev !== -1 ? { bytes: known.size, hash: known.lastHash } : undefined;
    },
    async close() {
      for (const state of syncChains.values()) closeFd(state);
      syncChains.clear();
      for (const state of asyncStates.values()) closeHead(state);
      lastServer = lastState = undefined;
    },
  };
}

function newChainState(path: string, headPath?: string): ChainState {
  const state: ChainState = { path, lastHash: GENESIS_HASH, needsNewline: false, dev: -1, ino: -1, size: 0, queue: Promise.resolve() };
  if (headPath !== undefined) state.headPath = headPath;
  return state;
}

function lineBytes(line: string, state: ChainState): Buffer {
  return Buffer.from(`${state.needsNewline ? "\n" : ""}${line}\n`, "utf8");
}

function appended(state: ChainState, bytes: Buffer, hash: string): void {
  state.size += bytes.length;
  state.lastHash = hash;
  state.needsNewline = false;
}

/** A short write to a regular file happens only when the disk fills up; the next write then fails, and the caller undoes the part written. */
function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** writeFully for text, without a Buffer of its own unless the write falls short; returns the bytes written. */
function writeTextFully(fd: number, text: string): number {
  const written = writeSync(fd, text);
  const length = Buffer.byteLength(text);
  if (written < length) writeFully(fd, Buffer.from(text, "utf8").subarray(written));
  return length;
}

/**
 * After a failed append (a full disk takes part of a line, then fails): the file is cut back to
 * the bytes known to be whole records, so it never holds half a record that a later one would
 * follow. If even that fails, the tail is read again before the next record.
 */
function undoPartialWrite(state: ChainState): void {
  try {
    if (state.fd !== undefined) ftruncateSync(state.fd, state.size);
    else truncateSync(state.path, state.size);
  } catch {
    state.stale = true;
  }
}

function closeFd(state: ChainState): void {
  closeHead(state);
  if (state.fd === undefined) return;
  const fd = state.fd;
  state.fd = undefined;
  closeSync(fd);
}

function closeHead(state: ChainState): void {
  if (state.headFd === undefined) return;
  const fd = state.headFd;
  state.headFd = undefined;
  closeSync(fd);
}

function isSameFile(current: Stats | undefined, state: ChainState): boolean {
  return current !== undefined && current.isFile() && current.ino === state.ino && current.dev === state.dev && current.size >= state.size;
}

async function openChain(dir: string, path: string, headPath: string | undefined, log: (line: string) => void): Promise<ChainState> {
  const state = newChainState(path, headPath);
  await reanchor(dir, state, log);
  return state;
}

/** reanchor with synchronous calls, keeping the file open: the descriptor that was checked is the one written to. */
function reanchorSync(dir: string, state: ChainState, log: (line: string) => void): void {
  closeFd(state);
  mkdirSync(dir, { recursive: true });
  const fd = openSync(state.path, "a+");
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`${state.path} is not a regular file`);
    const tail = readLastLineSync(fd, stats.size);
    state.dev = stats.dev;
    state.ino = stats.ino;
    state.size = stats.size;
    state.lastHash = tail ? chainHashOf(tail.line) : GENESIS_HASH;
    state.needsNewline = tail !== undefined && !tail.complete;
    state.stale = false;
    anchorHead(state, (bytes) => readLastLineSync(fd, bytes), log);
    state.fd = fd;
  } catch (error) {
    closeHead(state);
    closeSync(fd);
    throw error;
  }
}

/** Creates the file if needed and continues the chain from its last line. */
async function reanchor(dir: string, state: ChainState, log: (line: string) => void): Promise<void> {
  closeHead(state);
  await mkdir(dir, { recursive: true });
  const handle = await open(state.path, "a+");
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${state.path} is not a regular file`);
    state.dev = stats.dev;
    state.ino = stats.ino;
    state.size = stats.size;
    const tail = await readLastLine(handle, stats.size);
    state.lastHash = tail ? chainHashOf(tail.line) : GENESIS_HASH;
    state.needsNewline = tail !== undefined && !tail.complete;
    state.stale = false;
    anchorHead(state, (bytes) => readLastLineSync(handle.fd, bytes), log);
  } finally {
    await handle.close();
  }
}

/** A head file's fixed width: it is rewritten in place, one write, after every record. */
const HEAD_WIDTH = 511;

/** Reads a head file's text as written by writeHead (or by `audit verify`'s users); undefined if it is not one. */
export function parseAuditHead(text: string): AuditHead | undefined {
  try {
    const value = JSON.parse(text.trim()) as { bytes?: unknown; hash?: unknown };
    if (Number.isSafeInteger(value.bytes) && (value.bytes as number) >= 0 && typeof value.hash === "string" && /^[0-9a-f]{64}$/.test(value.hash)) {
      return { bytes: value.bytes as number, hash: value.hash };
    }
  } catch {
    // Not a head file.
  }
  return undefined;
}

/**
 * Opens the head file once the chain is known. A head the file no longer reaches (the file is
 * shorter, or another line ends there: rotated away, truncated or rewritten while no proxy ran)
 * is never overwritten: it is kept beside as `<head>.<time>`, the evidence `audit verify --head`
 * needs, and a new head starts for the file as it is now.
 */
function anchorHead(state: ChainState, lineEndingAt: (bytes: number) => { line: string; complete: boolean } | undefined, log: (line: string) => void): void {
  const headPath = state.headPath;
  if (headPath === undefined) return;
  mkdirSync(resolve(headPath, ".."), { recursive: true });
  const text = readSmallFile(headPath);
  const previous = text === undefined || text.trim() === "" ? undefined : parseAuditHead(text);
  if (text !== undefined && text.trim() !== "") {
    const reached = previous !== undefined && previous.bytes <= state.size && (previous.bytes === 0 || reachesHead(lineEndingAt(previous.bytes), previous.hash));
    if (!reached) {
      const kept = `${headPath}.${new Date().toISOString().replace(/[:.]/g, "-")}`;
      renameSync(headPath, kept);
      log(
        `${state.path} does not reach its head anchor (${previous ? `${previous.bytes} bytes, ${previous.hash.slice(0, 12)}…` : "unreadable"}): it was rotated, truncated or rewritten; ` +
          `the old anchor is kept as ${kept} and a new chain head starts from the file as it is`,
      );
    }
  }
  state.headFd = openSync(headPath, constants.O_RDWR | constants.O_CREAT, 0o644);
  ftruncateSync(state.headFd, 0);
  writeHead(state);
}

function reachesHead(line: { line: string; complete: boolean } | undefined, hash: string): boolean {
  return line !== undefined && line.complete && chainHashOf(line.line) === hash;
}

function readSmallFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(4096);
    return buffer.toString("utf8", 0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** Rewrites the head in place; throws when it cannot (prepare() then refuses calls until it can). */
function writeHead(state: ChainState): void {
  if (state.headFd === undefined) throw new Error(`the head file ${state.headPath} is not open`);
  const json = JSON.stringify({ file: basename(state.path), bytes: state.size, hash: state.lastHash, time: new Date().toISOString() });
  writeSync(state.headFd, `${json.padEnd(HEAD_WIDTH, " ")}\n`, 0, "utf8");
  state.headError = undefined;
}

/** After a record: a head that cannot be written stops the next call (prepare), not this one, whose record is written. */
function writeHeadQuietly(state: ChainState): void {
  try {
    writeHead(state);
  } catch (error) {
    state.headError = error instanceof Error ? error.message : String(error);
  }
}

async function readLastLine(handle: FileHandle, size: number): Promise<{ line: string; complete: boolean } | undefined> {
  if (size === 0) return undefined;
  const complete = (await readAt(handle, size - 1, 1))[0] === 0x0a;
  const chunks: Buffer[] = [];
  let position = complete ? size - 1 : size;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK, position);
    position -= length;
    const chunk = await readAt(handle, position, length);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) {
      chunks.unshift(chunk.subarray(newline + 1));
      break;
    }
    chunks.unshift(chunk);
  }
  return { line: Buffer.concat(chunks).toString("utf8"), complete };
}

function readLastLineSync(fd: number, size: number): { line: string; complete: boolean } | undefined {
  if (size === 0) return undefined;
  const readAtSync = (position: number, length: number): Buffer => {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
  };
  const complete = readAtSync(size - 1, 1)[0] === 0x0a;
  const chunks: Buffer[] = [];
  let position = complete ? size - 1 : size;
  while (position > 0) {
    const length = Math.min(TAIL_CHUNK, position);
    position -= length;
    const chunk = readAtSync(position, length);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) {
      chunks.unshift(chunk.subarray(newline + 1));
      break;
    }
    chunks.unshift(chunk);
  }
  return { line: Buffer.concat(chunks).toString("utf8"), complete };
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
