// Append-only JSONL audit trail: one hash-chained file per MCP server.
import { Buffer } from "node:buffer";
import { accessSync, appendFileSync, closeSync, constants, fdatasyncSync, fstatSync, mkdirSync, openSync, readSync, statSync, writeSync, type Stats } from "node:fs";
import { access, appendFile, mkdir, open, stat, type FileHandle } from "node:fs/promises";
import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { GENESIS_HASH, chainHashOf, sealAuditLine, type AuditLineSeal } from "./audit-chain.ts";
import type { AuditRecord, AuditSink } from "./types.ts";

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
}

export interface JsonlAuditSink extends AuditSink {
  readonly dir: string;
  /** The file that records calls to `server`. */
  fileFor(server: string): string;
  prepare(server: string): Promise<void>;
  write(record: AuditRecord): Promise<void>;
  /** Sync mode only: prepare() as one synchronous step, throwing where prepare() rejects. */
  prepareSync?(server: string): void;
  /** Sync mode only: write() as one synchronous step, throwing where write() rejects. */
  writeSync?(record: AuditRecord): void;
  /** Sync mode only: writeSync() for a line the caller seals itself (a PresealedRecord), in `server`'s file. */
  appendSync?(server: string, line: AuditLineSeal): void;
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

  const chainFor = (server: string): Promise<ChainState> => {
    const path = fileFor(server);
    let chain = chains.get(path);
    if (!chain) {
      chain = openChain(dir, path);
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
      const opening = newChainState(path);
      // Not remembered when it fails: the next call tries again.
      reanchorSync(dir, opening);
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
    if (!isSameFile(statSync(state.path, { throwIfNoEntry: false }), state)) reanchorSync(dir, state);
    // Checked although the file is open: a file made read-only must stop the calls.
    else accessSync(state.path, constants.W_OK);
  };

  const appendNow = (server: string, record: AuditRecord | undefined, seal: AuditLineSeal | undefined): void => {
    const state = syncChainFor(server);
    const { line, hash } = seal ? seal.seal(state.lastHash) : sealAuditLine(record as AuditRecord, state.lastHash);
    const text = `${state.needsNewline ? "\n" : ""}${line}\n`;
    let length: number;
    // One append per whole line: O_APPEND keeps concurrent writers from splitting it.
    if (state.fd !== undefined) {
      length = writeTextFully(state.fd, text);
      if (options.fsync) fdatasyncSync(state.fd);
    } else {
      // The file could not be reopened (prepare said so); this fails the same way, or writes if it got fixed.
      appendFileSync(state.path, text);
      length = Buffer.byteLength(text);
    }
    state.size += length;
    state.lastHash = hash;
    state.needsNewline = false;
  };

  return {
    dir,
    fileFor,
    ...(options.sync
      ? {
          prepareSync: prepareNow,
          writeSync: (record: AuditRecord) => appendNow(record.server, record, undefined),
          appendSync: (server: string, line: AuditLineSeal) => appendNow(server, undefined, line),
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
        if (!isSameFile(current, state)) await reanchor(dir, state);
        else await access(state.path, constants.W_OK);
      });
    },
    async write(record) {
      if (options.sync) return appendNow(record.server, record, undefined);
      const state = await chainFor(record.server);
      await enqueue(state, async () => {
        const { bytes, hash } = sealedBytes(record, state);
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
        appended(state, bytes, hash);
      });
    },
    async close() {
      for (const state of syncChains.values()) closeFd(state);
      syncChains.clear();
      lastServer = lastState = undefined;
    },
  };
}

function newChainState(path: string): ChainState {
  return { path, lastHash: GENESIS_HASH, needsNewline: false, dev: -1, ino: -1, size: 0, queue: Promise.resolve() };
}

function sealedBytes(record: AuditRecord, state: ChainState): { bytes: Buffer; hash: string } {
  const { line, hash } = sealAuditLine(record, state.lastHash);
  return { bytes: lineBytes(line, state), hash };
}

function lineBytes(line: string, state: ChainState): Buffer {
  return Buffer.from(`${state.needsNewline ? "\n" : ""}${line}\n`, "utf8");
}

function appended(state: ChainState, bytes: Buffer, hash: string): void {
  state.size += bytes.length;
  state.lastHash = hash;
  state.needsNewline = false;
}

/** A short write to a regular file happens only when the disk fills up; what was written stays, as with appendFile. */
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

function closeFd(state: ChainState): void {
  if (state.fd === undefined) return;
  const fd = state.fd;
  state.fd = undefined;
  closeSync(fd);
}

function isSameFile(current: Stats | undefined, state: ChainState): boolean {
  return current !== undefined && current.isFile() && current.ino === state.ino && current.dev === state.dev && current.size >= state.size;
}

async function openChain(dir: string, path: string): Promise<ChainState> {
  const state = newChainState(path);
  await reanchor(dir, state);
  return state;
}

/** reanchor with synchronous calls, keeping the file open: the descriptor that was checked is the one written to. */
function reanchorSync(dir: string, state: ChainState): void {
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
    state.fd = fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Creates the file if needed and continues the chain from its last line. */
async function reanchor(dir: string, state: ChainState): Promise<void> {
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
  } finally {
    await handle.close();
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
