// One real MCP server behind the proxy: launched over stdio, connected with the SDK Client, watched until it exits.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type ClientCapabilities,
  type Implementation,
  type JSONRPCMessage,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";

/** A request the proxy sent itself, waiting for its answer. */
interface PendingCall {
  resolve(result: CallToolResult): void;
  reject(error: unknown): void;
  onprogress?: (progress: Record<string, unknown>) => void;
  /** Restarts the timeout on progress; absent without a timeout. */
  touch?: () => void;
}

/**
 * What a proxied call needs of a cancellation: an AbortSignal has it, but building one per call
 * (an EventTarget) was a visible part of the proxy's cost, so the proxy's own calls use CallAbort.
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once, on abort; returns what stops that. */
  onAbort(listener: () => void): () => void;
}

/** An AbortSignal (the SDK's, for the calls it hands over) seen as a CallSignal. */
export function callSignalOf(signal: AbortSignal): CallSignal {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    onAbort(listener) {
      signal.addEventListener("abort", listener, { once: true });
      return () => signal.removeEventListener("abort", listener);
    },
  };
}

/** A CallSignal with its own abort(), as cheap as a flag until someone listens. */
export class CallAbort implements CallSignal {
  #aborted = false;
  #reason: unknown;
  #listeners?: Set<() => void>;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    // As AbortController: no reason given is an AbortError.
    this.#reason = reason !== undefined ? reason : new DOMException("This operation was aborted", "AbortError");
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }

  onAbort(listener: () => void): () => void {
    (this.#listeners ??= new Set()).add(listener);
    return () => void this.#listeners?.delete(listener);
  }
}

export interface DirectCallOptions {
  signal: CallSignal;
  /** As the SDK's `timeout`, restarted by each progress notification; setTimeout's ceiling means none. */
  timeoutMs: number;
  onprogress?: (progress: Record<string, unknown>) => void;
}

/** setTimeout's ceiling, which the proxy uses for "no timeout": no timer is armed for it. */
const NO_TIMER_MS = 2_147_483_647;

/**
 * The SDK's stdio client transport, wrapped: writes are taken one at a time (the SDK adds a
 * "drain" listener per write that finds the pipe full, so a thousand concurrent calls would
 * pile up a thousand listeners and Node's leak warning; one at a time, the pipe's backpressure
 * still holds), and the answers to the proxy's own tools/call requests are taken before the
 * SDK client sees them. Those requests carry string ids ("aegisc-N"), which the SDK client
 * (numeric ids) never uses, so the two cannot mistake each other's answers.
 */
class DownstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly inner: StdioClientTransport;
  readonly #pending = new Map<string, PendingCall>();
  #nextId = 0;
  #previous: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(inner: StdioClientTransport) {
    this.inner = inner;
  }

  start(): Promise<void> {
    this.inner.onmessage = (message) => {
      if (!this.#take(message)) this.onmessage?.(message);
    };
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      this.#closed = true;
      // The SDK client learns first (the server is then no longer alive), as its own requests do.
      this.onclose?.();
      const error = McpError.fromError(ErrorCode.ConnectionClosed, "Connection closed");
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    return this.inner.start();
  }

  send(message: JSONRPCMessage): Promise<void> {
    const sent = this.#previous.then(() => this.inner.send(message));
    this.#previous = sent.catch(() => undefined);
    return sent;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * tools/call without the SDK client's per-request machinery (a timer, and schema checks of
   * every message on the way in), which was a large share of what the proxy added to a call.
   * Cancellation, timeout, progress and a closed connection behave as the SDK's `request`.
   */
  callTool(params: Record<string, unknown>, options: DirectCallOptions): Promise<CallToolResult> {
    return new Promise<CallToolResult>((resolve, reject) => {
      const { signal, onprogress } = options;
      if (signal.aborted) return reject(signal.reason);
      if (this.#closed) return reject(McpError.fromError(ErrorCode.ConnectionClosed, "Connection closed"));
      const id = `aegisc-${this.#nextId++}`;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let stopListening: (() => void) | undefined;
      const settle = () => {
        this.#pending.delete(id);
        if (timer !== undefined) clearTimeout(timer);
        stopListening?.();
      };
      const cancel = (error: McpError, reason: string) => {
        settle();
        this.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason } }).catch((e: unknown) =>
          this.onerror?.(new Error(`Failed to send cancellation: ${String(e)}`)),
        );
        reject(error);
      };
      const onAbort = () => cancel(signal.reason instanceof McpError ? signal.reason : new McpError(ErrorCode.RequestTimeout, String(signal.reason)), String(signal.reason));
      const pending: PendingCall = {
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
        ...(onprogress ? { onprogress } : {}),
      };
      if (options.timeoutMs < NO_TIMER_MS) {
        const onTimeout = () => cancel(McpError.fromError(ErrorCode.RequestTimeout, "Request timed out", { timeout: options.timeoutMs }), "Request timed out");
        timer = setTimeout(onTimeout, options.timeoutMs);
        pending.touch = () => {
          clearTimeout(timer);
          timer = setTimeout(onTimeout, options.timeoutMs);
        };
      }
      stopListening = signal.onAbort(onAbort);
      this.#pending.set(id, pending);
      const sent = onprogress ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } } : params;
      this.send({ jsonrpc: "2.0", id, method: "tools/call", params: sent }).catch((error: unknown) => pending.reject(error));
    });
  }

  /** An answer or progress for one of the proxy's own requests: handled here, and kept from the SDK client. */
  #take(message: JSONRPCMessage): boolean {
    if (this.#pending.size === 0) return false;
    const { id, method, params, result, error } = message as { id?: unknown; method?: unknown; params?: { progressToken?: unknown }; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (method === undefined && typeof id === "string") {
      const pending = this.#pending.get(id);
      if (!pending) return false;
      if (error !== undefined) {
        pending.reject(McpError.fromError(error.code, error.message, error.data));
        return true;
      }
      // The same check the SDK client makes of a tools/call result.
      const parsed = CallToolResultSchema.safeParse(result);
      if (parsed.success) pending.resolve(parsed.data);
      else pending.reject(parsed.error);
      return true;
    }
    if (method === "notifications/progress" && typeof params?.progressToken === "string") {
      const pending = this.#pending.get(params.progressToken);
      if (!pending?.onprogress) return false;
      const { progressToken: _token, ...progress } = params;
      pending.touch?.();
      pending.onprogress(progress);
      return true;
    }
    return false;
  }
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
  readonly #transport: DownstreamTransport;
  #alive = false;
  readonly exited: Promise<void>;
  #markExited!: () => void;

  private constructor(spec: DownstreamSpec, client: Client, transport: DownstreamTransport) {
    this.name = spec.name;
    this.spec = spec;
    this.client = client;
    this.#transport = transport;
    this.exited = new Promise((resolve) => (this.#markExited = resolve));
  }

  /** Launches and initializes the server; rejects (after cleaning up) if it cannot start. */
  static async connect(spec: DownstreamSpec, options: DownstreamConnectOptions): Promise<Downstream> {
    const baseEnv = options.env ?? process.env;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(baseEnv)) if (value !== undefined) env[key] = value;
    Object.assign(env, spec.env ?? {});
    const inner = new StdioClientTransport({
      command: spec.command,
      args: [...(spec.args ?? [])],
      env,
      ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
      // The server's log lines go where the proxy's go: the MCP client's log for this server.
      stderr: "inherit",
    });
    const transport = new DownstreamTransport(inner);
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
    return this.#transport.inner.pid;
  }

  /** A tools/call straight to the server (see DownstreamTransport.callTool). */
  callTool(params: Record<string, unknown>, options: DirectCallOptions): Promise<CallToolResult> {
    return this.#transport.callTool(params, options);
  }

  /** Ends the server's stdin, then escalates to SIGTERM and SIGKILL (the SDK's schedule) until it exits. */
  async close(): Promise<void> {
    this.#alive = false;
    await this.client.close().catch(() => undefined);
    this.#markExited();
  }
}
