// One real MCP server behind the proxy: launched over stdio, connected with the SDK Client, watched until it exits.
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createRequire } from "node:module";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolResultSchema,
  ErrorCode,
  JSONRPCMessageSchema,
  McpError,
  type CallToolResult,
  type ClientCapabilities,
  type Implementation,
  type JSONRPCMessage,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, isBlank } from "./line-transport.ts";

/**
 * A tools/call the proxy forwarded itself, told how it ended: exactly one of `answered` and
 * `failed` is called, once, unless the proxy cancels the call first.
 */
export interface ForwardedCall {
  /** `text`, when given, is `result` as the server wrote it (the same JSON value), to pass on as it is. */
  answered(result: CallToolResult, text?: string): void;
  failed(error: unknown): void;
  /** The client asked for progress: the server is asked for it too, and it goes to progress(). */
  readonly progressWanted: boolean;
  progress(update: Record<string, unknown>): void;
}

/** setTimeout's ceiling, which the proxy uses for "no timeout": no timer is armed for it. */
const NO_TIMER_MS = 2_147_483_647;

type Spawn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

let spawner: Spawn | undefined;

/**
 * The spawner the SDK's own stdio transport uses (cross-spawn, the SDK's dependency), so that
 * server commands start as they did under it: on Windows, `npx` is a .cmd shim that
 * child_process.spawn cannot start without a shell. Node's spawn if it cannot be found.
 */
function spawnServer(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  if (!spawner) {
    try {
      const sdkRequire = createRequire(import.meta.resolve("@modelcontextprotocol/sdk/client/stdio.js"));
      spawner = sdkRequire("cross-spawn") as Spawn;
    } catch {
      spawner = nodeSpawn as Spawn;
    }
  }
  return spawner(command, args, options);
}

interface ServerProcessSpec {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string;
}

/**
 * The server's stdio as an SDK transport, in place of the SDK's StdioClientTransport (whose
 * start, send and close it does the same way), so that each line the server writes is parsed
 * once: the answers to the proxy's own tools/call requests are taken here, checked by hand when
 * their shape is the usual one, and never reach the SDK client, whose schema checks of every
 * message were most of what the proxy added to a call on the way back. Those requests carry
 * string ids ("aegisc-N"), which the SDK client (numeric ids) never uses, so the two cannot
 * mistake each other's answers.
 */
class ServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #spec: ServerProcessSpec;
  readonly #lines: LineSplitter;
  readonly #forwarded = new Map<string, ForwardedCall>();
  /** Only for calls with a timeout (--call-timeout), restarted by their progress. */
  readonly #timers = new Map<string, { timer: ReturnType<typeof setTimeout>; ms: number }>();
  #child?: ChildProcess;
  #started = false;
  #closed = false;
  #nextId = 0;
  #drainWaiters: (() => void)[] = [];

  constructor(spec: ServerProcessSpec) {
    this.#spec = spec;
    this.#lines = new LineSplitter(
      DEFAULT_MAX_LINE_BYTES,
      (line) => this.#onLine(line),
      (head, tail) => {
        const message = `the server wrote a line longer than ${DEFAULT_MAX_LINE_BYTES} bytes; it was skipped`;
        if (!this.#failAnswer(head, tail, `The server's answer was longer than ${DEFAULT_MAX_LINE_BYTES} bytes, so it was not passed on`)) this.onerror?.(new Error(message));
      },
    );
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  start(): Promise<void> {
    if (this.#started) throw new Error("ServerTransport already started");
    this.#started = true;
    return new Promise((resolve, reject) => {
      const { command, args, env, cwd } = this.#spec;
      const child = spawnServer(command, args, {
        env,
        // The server's log lines go where the proxy's go: the MCP client's log for this server.
        stdio: ["pipe", "pipe", "inherit"],
        shell: false,
        windowsHide: process.platform === "win32",
        ...(cwd !== undefined ? { cwd } : {}),
      });
      this.#child = child;
      child.on("error", (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on("spawn", () => resolve());
      child.on("close", () => this.#onClose());
      child.stdin?.on("error", (error) => this.onerror?.(error));
      child.stdout?.on("data", (chunk: Buffer) => this.#lines.push(chunk));
      child.stdout?.on("error", (error) => this.onerror?.(error));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closed) return Promise.reject(new Error("Not connected"));
    let text: string;
    try {
      text = JSON.stringify(message) + "\n";
    } catch (error) {
      // Nested too deeply to write out: this request fails, the connection does not.
      return Promise.reject(error);
    }
    if (stdin.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      // One listener for all waiters: a thousand concurrent calls must not pile up "drain" listeners.
      if (this.#drainWaiters.push(resolve) === 1) stdin.once("drain", () => this.#releaseDrainWaiters());
    });
  }

  /** Ends the server's stdin, then SIGTERM and SIGKILL, two seconds apart, until it exits (the SDK's schedule). */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    try {
      child.stdin?.end();
    } catch {
      // Already gone.
    }
    await Promise.race([closed, delay(2000)]);
    if (!exited()) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await Promise.race([closed, delay(2000)]);
    }
    if (!exited()) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  /**
   * Sends a tools/call whose answer comes back to `call` instead of the SDK client: no promise,
   * timer or schema check per call. Returns the request's id, or undefined when the server is gone.
   */
  forward(params: (id: string) => string, call: ForwardedCall, timeoutMs: number): string | undefined {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closed) return undefined;
    const id = `aegisc-${this.#nextId++}`;
    // Made before the call is registered: params that cannot be written out (it throws) leave nothing behind.
    const text = `{"jsonrpc":"2.0","id":"${id}","method":"tools/call","params":${params(id)}}\n`;
    this.#forwarded.set(id, call);
    if (timeoutMs < NO_TIMER_MS) this.#arm(id, timeoutMs);
    stdin.write(text);
    return id;
  }

  /** Tells the server to stop working on a forwarded call, whose answer is then ignored. */
  cancel(id: string, reason: string): void {
    if (!this.#forwarded.delete(id)) return;
    this.#disarm(id);
    this.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason } }).catch((error: unknown) =>
      this.onerror?.(new Error(`Failed to send cancellation: ${String(error)}`)),
    );
  }

  #onClose(): void {
    this.#child = undefined;
    this.#closed = true;
    this.#lines.stop();
    this.#releaseDrainWaiters();
    // The SDK client learns first (the server is then no longer alive), as its own requests do.
    this.onclose?.();
    const calls = [...this.#forwarded.values()];
    this.#forwarded.clear();
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    const error = McpError.fromError(ErrorCode.ConnectionClosed, "Connection closed");
    for (const call of calls) call.failed(error);
  }

  #releaseDrainWaiters(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve();
  }

  #onLine(line: string): void {
    if (this.#forwarded.size > 0 && this.#takeAnswerText(line)) return;
    if (isBlank(line)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      if (this.#forwarded.size > 0 && this.#failAnswer(line, line, `The server's answer was not valid JSON (${error instanceof Error ? error.message : String(error)})`)) return;
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.#forwarded.size > 0 && this.#take(parsed)) return;
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (!message.success) {
      this.onerror?.(message.error);
      return;
    }
    try {
      this.onmessage?.(message.data as JSONRPCMessage);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * An answer to one of the proxy's own requests in the form SDK servers write it,
   * `{"result":R,"jsonrpc":"2.0","id":"aegisc-N"}` (or with `result` last): only R is parsed, and
   * its text is passed on to the client as it is, instead of parsing the whole line and
   * serializing the result again. R parsing alone means R is one JSON value, so the line is
   * exactly that three-member object. Anything else, or a result of another shape, takes the
   * general way below (the line is then parsed whole).
   */
  #takeAnswerText(line: string): boolean {
    let id: string;
    let text: string;
    if (line.startsWith(RESULT_FIRST)) {
      const at = line.lastIndexOf(ID_LAST);
      const digits = at + ID_LAST.length;
      if (at < 0 || !line.endsWith('"}') || !isDigits(line, digits, line.length - 2)) return false;
      id = line.slice(digits - ID_PREFIX.length, line.length - 2);
      text = line.slice(RESULT_FIRST.length, at);
    } else if (line.startsWith(ID_FIRST)) {
      const end = line.indexOf(RESULT_LAST, ID_FIRST.length);
      if (end < 0 || !line.endsWith("}") || !isDigits(line, ID_FIRST.length, end)) return false;
      id = line.slice(ID_FIRST.length - ID_PREFIX.length, end);
      text = line.slice(end + RESULT_LAST.length, line.length - 1);
    } else {
      return false;
    }
    const call = this.#forwarded.get(id);
    if (!call) return false;
    let result: unknown;
    try {
      result = JSON.parse(text);
    } catch {
      return false;
    }
    if (!isPlainCallResult(result)) return false;
    this.#forwarded.delete(id);
    this.#disarm(id);
    call.answered(result, text);
    return true;
  }

  /**
   * A line that cannot be read whole (broken JSON, too long) but that starts or ends as an answer
   * to one of the proxy's calls does (`{"jsonrpc":"2.0","id":"aegisc-N",` or `,"id":"aegisc-N"}`):
   * that call fails now rather than waiting for an answer that has come and gone.
   */
  #failAnswer(head: string, tail: string, reason: string): boolean {
    const id = ANSWER_HEAD.exec(head)?.[1] ?? ANSWER_TAIL.exec(tail)?.[1];
    const call = id !== undefined ? this.#forwarded.get(id) : undefined;
    if (!call || id === undefined) return false;
    this.#forwarded.delete(id);
    this.#disarm(id);
    call.failed(new McpError(ErrorCode.InternalError, reason));
    return true;
  }

  /** An answer or progress for one of the proxy's own requests: handled here, and kept from the SDK client. */
  #take(parsed: unknown): boolean {
    if (!isRecord(parsed)) return false;
    const { id, method } = parsed;
    if (typeof id === "string" && method === undefined) {
      const call = this.#forwarded.get(id);
      if (!call) return false;
      this.#forwarded.delete(id);
      this.#disarm(id);
      settle(call, parsed);
      return true;
    }
    if (method === "notifications/progress" && id === undefined && isNotificationEnvelope(parsed)) {
      const params = parsed.params;
      if (!isRecord(params) || typeof params.progressToken !== "string" || typeof params.progress !== "number") return false;
      const call = this.#forwarded.get(params.progressToken);
      if (!call?.progressWanted) return false;
      const { progressToken, ...update } = params;
      const armed = this.#timers.get(progressToken);
      if (armed) this.#arm(progressToken, armed.ms);
      call.progress(update);
      return true;
    }
    return false;
  }

  #arm(id: string, ms: number): void {
    const armed = this.#timers.get(id);
    if (armed) clearTimeout(armed.timer);
    this.#timers.set(id, { timer: setTimeout(() => this.#timedOut(id, ms), ms), ms });
  }

  #disarm(id: string): void {
    if (this.#timers.size === 0) return;
    const armed = this.#timers.get(id);
    if (!armed) return;
    clearTimeout(armed.timer);
    this.#timers.delete(id);
  }

  #timedOut(id: string, ms: number): void {
    const call = this.#forwarded.get(id);
    if (!call) return;
    this.cancel(id, "Request timed out");
    call.failed(McpError.fromError(ErrorCode.RequestTimeout, "Request timed out", { timeout: ms }));
  }
}

const ID_PREFIX = "aegisc-";
const ANSWER_HEAD = /^\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*"(aegisc-\d+)"/;
const ANSWER_TAIL = /"id"\s*:\s*"(aegisc-\d+)"\s*\}\s*$/;
const RESULT_FIRST = '{"result":';
const ID_LAST = ',"jsonrpc":"2.0","id":"aegisc-';
const ID_FIRST = '{"jsonrpc":"2.0","id":"aegisc-';
const RESULT_LAST = '","result":';

/** Whether text[start, end) is one or more ASCII digits. */
function isDigits(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A response's outcome for its call: the SDK client's checks of a tools/call answer, by hand for the usual shapes. */
function settle(call: ForwardedCall, response: Record<string, unknown>): void {
  const { result, error } = response;
  if (!isResponseEnvelope(response)) {
    call.failed(new Error(`the server's answer is not a valid JSON-RPC response: ${JSON.stringify(response).slice(0, 200)}`));
    return;
  }
  if (error !== undefined) {
    const { code, message, data } = error as { code: number; message: string; data?: unknown };
    call.failed(McpError.fromError(code, message, data));
    return;
  }
  if (isPlainCallResult(result)) {
    call.answered(result);
    return;
  }
  const parsed = CallToolResultSchema.safeParse(result);
  if (parsed.success) call.answered(parsed.data);
  else call.failed(parsed.error);
}

/** What JSONRPCResultResponseSchema or JSONRPCErrorResponseSchema accept (strict envelopes), for a response with a string id. */
function isResponseEnvelope(response: Record<string, unknown>): boolean {
  if (response.jsonrpc !== "2.0") return false;
  let keys = 0;
  for (const key in response) {
    if (key !== "jsonrpc" && key !== "id" && key !== "result" && key !== "error") return false;
    keys++;
  }
  if (keys !== 3) return false;
  if (response.result !== undefined) return isRecord(response.result);
  const error = response.error;
  if (!isRecord(error) || !Number.isSafeInteger(error.code) || typeof error.message !== "string") return false;
  for (const key in error) if (key !== "code" && key !== "message" && key !== "data") return false;
  return true;
}

function isNotificationEnvelope(message: Record<string, unknown>): boolean {
  if (message.jsonrpc !== "2.0") return false;
  for (const key in message) if (key !== "jsonrpc" && key !== "method" && key !== "params") return false;
  return true;
}

/**
 * A tools/call result that CallToolResultSchema accepts and returns unchanged (text content
 * items with nothing else, no `_meta`): the usual answer, checked without the schema, which cost
 * more than the rest of the answer's handling. Anything else goes to the schema.
 */
export function isPlainCallResult(value: unknown): value is CallToolResult {
  if (!isRecord(value)) return false;
  const { content, isError, structuredContent } = value;
  if (!Array.isArray(content) || value._meta !== undefined) return false;
  if (isError !== undefined && typeof isError !== "boolean") return false;
  if (structuredContent !== undefined && !isRecord(structuredContent)) return false;
  for (const item of content as unknown[]) {
    if (!isRecord(item) || item.type !== "text" || typeof item.text !== "string") return false;
    for (const key in item) if (key !== "type" && key !== "text") return false;
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export interface DownstreamSpec {
  /** The server name the policy sees (`match.target`) and the audit file is named after. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Added to the proxy's own environment (the proxy passes its whole environment on, as the client meant it for the server). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** `--redact` paths for this server only, on top of the global ones. */
  redact?: readonly string[];
}

export interface DownstreamConnectOptions {
  clientInfo: Implementation;
  /** What the real client supports (roots, sampling, elicitation): the server must see the same. */
  capabilities: ClientCapabilities;
  /** Installs request and notification handlers on the client before it connects. */
  configure(client: Client, downstream: Downstream): void;
  /** How long the server may take to answer `initialize`. */
  startupTimeoutMs: number;
  env?: Readonly<Record<string, string | undefined>>;
}

export class Downstream {
  readonly name: string;
  readonly spec: DownstreamSpec;
  readonly client: Client;
  readonly #transport: ServerTransport;
  #alive = false;
  readonly exited: Promise<void>;
  #markExited!: () => void;

  private constructor(spec: DownstreamSpec, client: Client, transport: ServerTransport) {
    this.name = spec.name;
    this.spec = spec;
    this.client = client;
    this.#transport = transport;
    this.exited = new Promise((resolve) => (this.#markExited = resolve));
  }

  /** Launches and initializes the server; rejects (after cleaning up) if it cannot start. */
  static async connect(spec: DownstreamSpec, options: DownstreamConnectOptions): Promise<Downstream> {
    const baseEnv = options.env ?? process.env;
    // As the SDK's transport: its safe defaults (PATH, HOME, …) under the environment given.
    const env: Record<string, string> = { ...getDefaultEnvironment() };
    for (const [key, value] of Object.entries(baseEnv)) if (value !== undefined) env[key] = value;
    Object.assign(env, spec.env ?? {});
    const transport = new ServerTransport({ command: spec.command, args: [...(spec.args ?? [])], env, ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}) });
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    const downstream = new Downstream(spec, client, transport);
    options.configure(client, downstream);
    client.onclose = () => {
      downstream.#alive = false;
      downstream.#markExited();
    };
    try {
      await client.connect(transport, { timeout: options.startupTimeoutMs });
    } catch (error) {
      await client.close().catch(() => undefined);
      downstream.#markExited();
      throw error;
    }
    downstream.#alive = true;
    return downstream;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get capabilities(): ServerCapabilities {
    return this.client.getServerCapabilities() ?? {};
  }

  get serverInfo(): Implementation | undefined {
    return this.client.getServerVersion();
  }

  get instructions(): string | undefined {
    return this.client.getInstructions();
  }

  get pid(): number | null {
    return this.#transport.pid;
  }

  /** A tools/call straight to the server (see ServerTransport.forward), its params JSON text made for the request's id; undefined when the server is gone. */
  forward(params: (id: string) => string, call: ForwardedCall, timeoutMs: number): string | undefined {
    return this.#transport.forward(params, call, timeoutMs);
  }

  cancel(id: string, reason: string): void {
    this.#transport.cancel(id, reason);
  }

  /** Ends the server's stdin, then escalates to SIGTERM and SIGKILL (the SDK's schedule) until it exits. */
  async close(): Promise<void> {
    this.#alive = false;
    await this.client.close().catch(() => undefined);
    this.#markExited();
  }
}
