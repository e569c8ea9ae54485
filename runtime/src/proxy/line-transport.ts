// MCP's stdio framing (one JSON-RPC message per line) on any pair of streams, answering bad input instead of dying on it.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** What the transport needs from its output: a stream's `write`, and its events when it has them. */
export interface LineOutput {
  write(chunk: string): unknown;
  once?(event: "drain", listener: () => void): unknown;
  on?(event: "error", listener: (error: Error) => void): unknown;
  off?(event: "error", listener: (error: Error) => void): unknown;
  readonly writableNeedDrain?: boolean;
}

export interface LineTransportOptions {
  /** A longer line is answered with a parse error and skipped; default 64 MiB. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** The longest line either side may send; longer ones are skipped whole. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Cuts a byte stream into lines (without their "\n" or "\r\n"), decoding each as UTF-8 once it
 * is whole, so that a character split between chunks survives. A line longer than `maxLineBytes`
 * is dropped up to its end and reported instead of growing the buffer without bound.
 */
/** How much of an over-long line's start and end is kept, to tell whose answer it was. */
const EDGE_BYTES = 256;

export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onOverLong: (head: string, tail: string) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Inside an over-long line: everything up to its end is dropped, but its first and last bytes. */
  #skipping = false;
  #skippedHead = "";
  #skippedTail: Buffer = Buffer.alloc(0);
  #stopped = false;

  /** `onOverLong` gets the skipped line's first and last EDGE_BYTES bytes (the id of an answer is in one of them). */
  constructor(maxLineBytes: number, onLine: (line: string) => void, onOverLong: (head: string, tail: string) => void) {
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
    this.#onOverLong = onOverLong;
  }

  /** No more lines are delivered, not even the rest of the current chunk's. */
  stop(): void {
    this.#stopped = true;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1 && !this.#stopped; end = bytes.indexOf(NEWLINE, start)) {
      const lineStart = start;
      start = end + 1;
      if (this.#skipping) {
        this.#skipping = false;
        const tail = Buffer.concat([this.#skippedTail, bytes.subarray(lineStart, end)]);
        this.#onOverLong(this.#skippedHead, tail.subarray(Math.max(0, tail.length - EDGE_BYTES)).toString("utf8"));
        continue;
      }
      if (this.#pendingBytes + end - lineStart > this.#maxLineBytes) {
        const whole = Buffer.concat([...this.#pending, bytes.subarray(lineStart, end)]);
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#onOverLong(whole.subarray(0, EDGE_BYTES).toString("utf8"), whole.subarray(Math.max(0, whole.length - EDGE_BYTES)).toString("utf8"));
        continue;
      }
      let line: string;
      if (this.#pending.length === 0) {
        // The usual case, a whole line in one chunk: decoded straight from the chunk, no copy.
        line = bytes.toString("utf8", lineStart, end > lineStart && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end);
      } else {
        const whole = Buffer.concat([...this.#pending, bytes.subarray(lineStart, end)]);
        this.#pending = [];
        this.#pendingBytes = 0;
        line = whole.toString("utf8", 0, whole.length > 0 && whole[whole.length - 1] === CARRIAGE_RETURN ? whole.length - 1 : whole.length);
      }
      this.#onLine(line);
    }
    if (start >= bytes.length || this.#stopped) return;
    const rest = bytes.length - start;
    if (this.#skipping) {
      // Only the last bytes are kept while a line is skipped.
      const tail = Buffer.concat([this.#skippedTail, bytes.subarray(start)]);
      this.#skippedTail = Buffer.from(tail.subarray(Math.max(0, tail.length - EDGE_BYTES)));
      return;
    }
    if (this.#pendingBytes + rest > this.#maxLineBytes) {
      const head = Buffer.concat([...this.#pending, bytes.subarray(start)]);
      this.#skippedHead = head.subarray(0, EDGE_BYTES).toString("utf8");
      this.#skippedTail = Buffer.from(head.subarray(Math.max(0, head.length - EDGE_BYTES)));
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#skipping = true;
      return;
    }
    // Copied, so that a short rest does not keep a whole large chunk alive.
    this.#pending.push(Buffer.from(bytes.subarray(start)));
    this.#pendingBytes += rest;
  }
}

/** Whether a line holds nothing but whitespace (skipped, as an empty line is); a message starts with "{" and is never asked. */
export function isBlank(line: string): boolean {
  return line.charCodeAt(0) !== 0x7b && line.trim() === "";
}

/**
 * Unlike the SDK's StdioServerTransport, this one closes when its input ends (so the proxy
 * notices a client that went away), answers unparseable lines with JSON-RPC errors instead of
 * dropping them silently, and survives over-long lines instead of closing.
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Used instead of onmessage when set: the message with the line it came in, for callers that pass the client's own bytes on. */
  onmessageWithLine?: (message: JSONRPCMessage, line: string) => void;

  readonly #input: NodeJS.ReadableStream;
  readonly #output: LineOutput;
  readonly #maxLineBytes: number;
  readonly #lines: LineSplitter;
  #started = false;
  #closed = false;
  #drainWaiters: (() => void)[] = [];

  constructor(input: NodeJS.ReadableStream, output: LineOutput, options: LineTransportOptions = {}) {
    this.#input = input;
    this.#output = output;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#lines = new LineSplitter(
      this.#maxLineBytes,
      (line) => this.#handleLine(line),
      (head, tail) => this.#rejectOverLong(head, tail),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error("LineTransport already started");
    this.#started = true;
    // Closed before it started (a stop during startup): report the close to whoever listens now.
    if (this.#closed) {
      queueMicrotask(() => this.onclose?.());
      return;
    }
    this.#input.on("data", this.#onData);
    this.#input.on("end", this.#onEnd);
    this.#input.on("close", this.#onEnd);
    this.#input.on("error", this.#onInputError);
    this.#output.on?.("error", this.#onOutputError);
    this.#input.resume();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error("Not connected: the MCP client has gone away");
    this.#write(JSON.stringify(message) + "\n");
    if (this.#output.writableNeedDrain && this.#output.once) {
      await new Promise<void>((resolve) => {
        // One listener for all waiters: a thousand concurrent answers must not pile up listeners.
        if (this.#drainWaiters.push(resolve) === 1) this.#output.once?.("drain", () => this.#releaseDrainWaiters());
      });
    }
  }

  /**
   * Writes a message now, without send()'s promise and wait for the output to drain: for the
   * answers the proxy writes itself (the written text is buffered either way). False when closed.
   */
  write(message: JSONRPCMessage): boolean {
    if (this.#closed) return false;
    this.#write(JSON.stringify(message) + "\n");
    return true;
  }

  /** write(), or false (with the reason to onerror) when the message cannot be written out (nested too deeply for JSON.stringify). */
  tryWrite(message: JSONRPCMessage): boolean {
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    return this.writeText(text);
  }

  /** write() for a message that is JSON text already (one line, no newline). */
  writeText(json: string): boolean {
    if (this.#closed) return false;
    this.#write(json + "\n");
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.off("data", this.#onData);
    this.#input.off("end", this.#onEnd);
    this.#input.off("close", this.#onEnd);
    // Keep an error listener: an input that fails after we stopped listening must not crash the process.
    this.#input.off("error", this.#onInputError);
    this.#input.on("error", () => undefined);
    this.#output.off?.("error", this.#onOutputError);
    this.#output.on?.("error", () => undefined);
    this.#input.pause();
    this.#lines.stop();
    this.#releaseDrainWaiters();
    this.onclose?.();
  }

  #write(text: string): void {
    try {
      this.#output.write(text);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      void this.close();
    }
  }

  #releaseDrainWaiters(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  readonly #onData = (chunk: Buffer | string): void => {
    this.#lines.push(chunk);
  };

  #handleLine(line: string): void {
    if (isBlank(line)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      this.#reject(null, ErrorCode.ParseError, `Parse error: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (isPlainRequest(parsed)) {
      this.#deliver(parsed, line);
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (!message.success) {
      const id = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as { id?: unknown }).id : undefined;
      const isRequest = typeof parsed === "object" && parsed !== null && "method" in parsed;
      // Answer what looks like a request; a malformed response or notification has nobody waiting for an answer.
      if (isRequest || id === undefined || Array.isArray(parsed)) {
        this.#reject(typeof id === "string" || typeof id === "number" ? id : null, ErrorCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
      }
      this.onerror?.(new Error(`Ignored an invalid JSON-RPC message: ${line.slice(0, 200)}`));
      return;
    }
    this.#deliver(message.data as JSONRPCMessage, line);
  }

  #deliver(message: JSONRPCMessage, line: string): void {
    try {
      if (this.onmessageWithLine) this.onmessageWithLine(message, line);
      else this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #rejectOverLong(head: string, tail: string): void {
    // The request's id, where JSON-RPC writers put it (first, or last as the SDK does), so that its caller is answered.
    const id = /^\{"jsonrpc":"2\.0","id":(-?\d{1,15}|"(?:[^"\\]|\\.){0,100}")[,}]/.exec(head)?.[1] ?? /,"id":(-?\d{1,15}|"(?:[^"\\]|\\.){0,100}")\}\s*$/.exec(tail)?.[1];
    let parsed: string | number | null = null;
    if (id !== undefined) {
      try {
        parsed = JSON.parse(id) as string | number;
      } catch {
        parsed = null;
      }
    }
    this.#reject(parsed, ErrorCode.ParseError, `Parse error: a message longer than ${this.#maxLineBytes} bytes was skipped`);
  }

  #reject(id: string | number | null, code: number, message: string): void {
    if (this.#closed) return;
    this.#write(JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } }) + "\n");
    this.onerror?.(new Error(message));
  }

  readonly #onEnd = (): void => {
    void this.close();
  };

  readonly #onInputError = (error: Error): void => {
    this.onerror?.(error);
    void this.close();
  };

  readonly #onOutputError = (error: Error): void => {
    // EPIPE and friends: nobody reads our answers any more, which is a disconnected client.
    this.onerror?.(error);
    void this.close();
  };
}

const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);

/**
 * A request that JSONRPCMessageSchema certainly accepts as it is (a strict envelope, params a
 * record whose `_meta` holds at most a progress token), checked by hand: the schema's union
 * cost more per message than the rest of a line's handling. Anything else goes to the schema.
 */
function isPlainRequest(value: unknown): value is JSONRPCMessage {
  if (!isRecord(value) || value.jsonrpc !== "2.0" || typeof value.method !== "string" || !isRequestId(value.id)) return false;
  for (const key in value) if (!REQUEST_KEYS.has(key)) return false;
  const { params } = value;
  if (params === undefined) return true;
  if (!isRecord(params)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isRecord(meta)) return false;
  for (const key in meta) if (key !== "progressToken") return false;
  return meta.progressToken === undefined || isRequestId(meta.progressToken);
}

function isRequestId(value: unknown): boolean {
  return typeof value === "string" || Number.isSafeInteger(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
