// The governing MCP proxy: a server to the client, a client to each real server, and every tools/call decided, approved and audited in between.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CompleteResultSchema,
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  EmptyResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  ListToolsRequestSchema,
  ListToolsResultSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  RequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  isJSONRPCRequest,
  type ClientCapabilities,
  type Implementation,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type Notification,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { AuditLineSeal } from "../audit-chain.ts";
import { shownText } from "../display.ts";
import { createGuard, errorMessage, type Runtime } from "../runtime.ts";
import type { AuditRecord, AuditSink, GuardModule } from "../types.ts";
import { RememberedApprovals } from "./approval-binding.ts";
import { ApprovalDesk, type ApprovalFallback, type TerminalStreams } from "./approval-desk.ts";
import { Downstream, type DownstreamSpec } from "./downstream.ts";
import { LineTransport, type LineOutput } from "./line-transport.ts";
import { ProxyCall, ProxyError, asProxyError, NO_TIMEOUT_MS, timerMs, type CallHost, type ToolCallParams } from "./proxy-call.ts";
import { lockAuditFile } from "./proxy-audit.ts";
import { parseRedactPath, type RedactPath } from "./redact.ts";
import { NameRouter, PREFIXABLE_SERVER_NAME } from "./tool-routing.ts";

const LOOSE_CALL_TOOL_REQUEST = CallToolRequestSchema.extend({ params: RequestSchema.shape.params });

const MAX_LIST_PAGES = 1000;
const MAX_LOG_CHARS = 2000;

const NOTIFICATION_REFUSAL = "a tools/call without an id (shaped as a notification) is never forwarded";

export interface ProxyOptions {
  /** The compiled policy: a generated guard module's `{ decide, POLICY }`. */
  guard: GuardModule;
  /** The real servers; with more than one, tool and prompt names become `<server>__<name>`. */
  servers: readonly DownstreamSpec[];
  /**
   * Where governed calls are recorded; with `fileFor` (the JSONL sink) each file is locked to this
   * proxy. With `prepareSync`, `writeSync` and `appendSync` (the JSONL sink's sync mode) a call
   * waits for no promise, and its record is serialized while the server works.
   */
  audit?: AuditSink & {
    fileFor?(server: string): string;
    close?(): Promise<void>;
    prepareSync?(server: string): void;
    writeSync?(record: AuditRecord): void;
    appendSync?(server: string, line: AuditLineSeal): void;
    append?(server: string, line: AuditLineSeal): Promise<void>;
    head?(server: string): { bytes: number; hash: string } | undefined;
  };
  /** When the client cannot show an elicitation form: deny (default), or prompt on the controlling terminal. */
  approval?: ApprovalFallback;
  /** How long a human may take to answer; default 10 minutes; 0 for no limit. */
  approvalTimeoutMs?: number;
  /** Reuse an approval for identical calls for this long (`--remember-approvals`); default 0, never. */
  rememberApprovalsMs?: number;
  /** Argument paths masked in audit records, for every server. */
  redact?: readonly string[];
  /** Tools to leave out of tools/list (`--hide-blocked`: those the policy blocks whatever the arguments). */
  hideTool?: (server: string, tool: string) => boolean;
  /** The agent id the policy sees for every call. */
  agent?: string;
  /** MCP from the client; default process.stdin. */
  input?: NodeJS.ReadableStream;
  /** MCP to the client; default process.stdout. */
  output?: LineOutput;
  /** Diagnostics (never MCP): default one line each on stderr. */
  log?: (line: string) => void;
  openTerminal?: () => TerminalStreams | undefined;
  /** How often a call waiting for a human reports progress; default 10 s. */
  keepAliveMs?: number;
  /** Longest a forwarded request may take; default (or 0): as long as the client waits. */
  callTimeoutMs?: number;
  /** Longest a server may take to start and answer `initialize`; default 60 s. */
  startupTimeoutMs?: number;
  /** The environment servers inherit; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: () => Date;
  /** serverInfo when several servers are combined. */
  proxyInfo?: Implementation;
}

export interface ProxyExit {
  /** 0 after the client disconnected or stop(); 1 when the servers exited or could not start. */
  code: number;
  reason: string;
}

export interface RunningProxy {
  /** Settles once everything is closed and every in-flight call is audited; never rejects. */
  readonly done: Promise<ProxyExit>;
  /** Cancels in-flight calls (they are audited as failed), closes both sides, resolves with the exit. */
  stop(reason?: string): Promise<ProxyExit>;
}

/** Starts the proxy: it reads the client's `initialize`, launches the servers with the client's capabilities, and serves. */
export function startProxy(options: ProxyOptions): RunningProxy {
  const proxy = new GoverningProxy(options);
  return { done: proxy.done, stop: (reason) => proxy.stop(reason) };
}

class GoverningProxy {
  readonly done: Promise<ProxyExit>;
  readonly #options: ProxyOptions;
  readonly #log: (line: string) => void;
  readonly #redact: ReadonlyMap<string, readonly RedactPath[]>;
  readonly #desk: ApprovalDesk;
  readonly #upstream: LineTransport;
  /** What each governed call uses of the proxy; one object for all of them. */
  readonly #host: CallHost;
  /** The tools/call requests answered without the SDK server, by JSON-RPC id, to cancel them. */
  readonly #directCalls = new Map<string | number, ProxyCall>();
  readonly #hidden = new Map<string, boolean>();
  /** Where a resource URI was last listed, to route reads and subscriptions when several servers have resources. */
  readonly #resourceOwners = new Map<string, Downstream>();
  #downstreams: Downstream[] = [];
  #router = new NameRouter<Downstream>([], false);
  #server?: Server;
  #upstreamReady!: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  #releaseLocks: (() => Promise<void>)[] = [];
  #exit?: ProxyExit;
  #finished!: (exit: ProxyExit) => void;
  #stopRequested?: string;

  constructor(options: ProxyOptions) {
    validateOptions(options);
    this.#options = options;
    // Log lines quote what clients and servers sent: escaped, so that a line is one line and no terminal sequence.
    const log = options.log ?? ((line: string) => void process.stderr.write(`[aegisc proxy] ${line}\n`));
    this.#log = (line) => log(shownText(line, MAX_LOG_CHARS));
    const global = (options.redact ?? []).map(parseRedactPath);
    this.#redact = new Map(options.servers.map((s) => [s.name, [...global, ...(s.redact ?? []).map(parseRedactPath)]]));
    this.#desk = new ApprovalDesk({
      elicit: () => this.#elicitation(),
      fallback: options.approval ?? "deny",
      remembered: new RememberedApprovals(options.rememberApprovalsMs ?? 0, () => (options.clock ? options.clock().getTime() : Date.now())),
      timeoutMs: timerMs(options.approvalTimeoutMs ?? 600_000),
      keepAliveMs: options.keepAliveMs ?? 10_000,
      ...(options.openTerminal ? { openTerminal: options.openTerminal } : {}),
      log: this.#log,
    });
    this.#upstream = new LineTransport(options.input ?? process.stdin, options.output ?? process.stdout);
    this.#host = this.#callHost(createGuard({
      decide: options.guard.decide,
      policy: options.guard.POLICY,
      ...(options.agent !== undefined ? { agent: options.agent } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    }));
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    this.#upstreamReady = { promise: ready, resolve: resolveReady, reject: rejectReady };
    this.done = new Promise((resolve) => (this.#finished = resolve));
    void this.#run().catch((error: unknown) => this.#shutdown({ code: 1, reason: `internal error: ${errorMessage(error)}` }));
  }

  async stop(reason = "stopped"): Promise<ProxyExit> {
    this.#stopRequested ??= reason;
    if (!this.#server) await this.#upstream.close();
    else await this.#shutdown({ code: 0, reason });
    return this.done;
  }

  get #prefixed(): boolean {
    return this.#options.servers.length > 1;
  }

  async #run(): Promise<void> {
    // A failure here is told to the client as the answer to its initialize, so that it shows up in the client's UI.
    let startupError: string | undefined;
    for (const spec of this.#options.servers) {
      try {
        const file = this.#options.audit?.fileFor?.(spec.name);
        if (file !== undefined) this.#releaseLocks.push(await lockAuditFile(file));
      } catch (error) {
        startupError = `cannot use the audit file: ${errorMessage(error)}`;
        break;
      }
    }

    const early: { message: JSONRPCMessage; line: string }[] = [];
    const initialize = await new Promise<JSONRPCRequest | undefined>((resolve) => {
      this.#upstream.onmessageWithLine = (message, line) => {
        early.push({ message, line });
        if (isJSONRPCRequest(message) && message.method === "initialize") resolve(message);
      };
      this.#upstream.onclose = () => resolve(undefined);
      this.#upstream.onerror = (error) => this.#log(`client: ${error.message}`);
      void this.#upstream.start();
    });
    if (!initialize) return this.#shutdown({ code: startupError ? 1 : 0, reason: startupError ?? this.#stopRequested ?? "the client disconnected before initializing" });
    if (startupError) return this.#refuseInitialize(initialize, startupError);

    const params = (initialize.params ?? {}) as { capabilities?: ClientCapabilities; clientInfo?: Implementation };
    const capabilities = mirroredCapabilities(params.capabilities ?? {});
    const clientInfo = validImplementation(params.clientInfo) ?? { name: "aegisc-proxy", version: "0" };
    const started = await Promise.allSettled(
      this.#options.servers.map((spec) =>
        Downstream.connect(spec, {
          clientInfo,
          capabilities,
          startupTimeoutMs: this.#options.startupTimeoutMs ?? 60_000,
          ...(this.#options.env ? { env: this.#options.env } : {}),
          configure: (client, downstream) => this.#configureDownstream(client, downstream, capabilities),
        }),
      ),
    );
    started.forEach((outcome, i) => {
      if (outcome.status === "rejected") this.#log(`could not start the server ${this.#options.servers[i].name}: ${errorMessage(outcome.reason)}`);
    });
    this.#downstreams = started.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    this.#router = new NameRouter(this.#downstreams, this.#prefixed);

    if (this.#upstream.closed) return this.#shutdown({ code: 0, reason: this.#stopRequested ?? "the client disconnected" });
    if (this.#downstreams.length === 0) return this.#refuseInitialize(initialize, "no server could be started (see the proxy's log)");

    const server = this.#createServer();
    this.#server = server;
    for (const downstream of this.#downstreams) void downstream.exited.then(() => this.#onDownstreamExit(downstream));
    await server.connect(new ReplayTransport(this.#upstream, early, (message, line) => this.#intercept(message, line)));
  }

  /**
   * Takes ordinary tools/call requests (and cancellations of them) before the SDK server sees
   * them: the SDK's per-request machinery (handler wrapping, two validations of the request and
   * one of the result) was a large share of what the proxy added to each call. What the SDK
   * would reject or treat specially (malformed params, tasks) still goes to it, so its answers
   * to those are unchanged. Returns whether the message was consumed.
   */
  #intercept(message: JSONRPCMessage, line: string): boolean {
    const { method, id, params } = message as { method?: unknown; id?: unknown; params?: unknown };
    if (method === "tools/call" && this.#server?.transport) {
      const validId = typeof id === "string" || typeof id === "number";
      if (!validId) {
        // Shaped as a notification: the SDK would relay it to every server, undecided. It is
        // decided and recorded, never forwarded, and (having no id) never answered.
        this.#log(`a tools/call without an id (a notification) was not forwarded: ${line.slice(0, 200)}`);
        if (isPlainCallParams(params)) new ProxyCall(this.#host, "", params, undefined, { line, silent: true, refusal: NOTIFICATION_REFUSAL }).start();
        return true;
      }
      if (isPlainCallParams(params)) {
        if (this.#directCalls.has(id)) {
          // JSON-RPC ids are unique among requests in flight: a second call under one id is refused, not forwarded twice.
          new ProxyCall(this.#host, id, params, undefined, { line, refusal: `the request id ${JSON.stringify(id)} is already used by a call in flight` }).start();
          return true;
        }
        const call = new ProxyCall(this.#host, id, params, undefined, { line });
        this.#directCalls.set(id, call);
        call.start();
        return true;
      }
    }
    if (method === "notifications/cancelled" && id === undefined) {
      // Not consumed: a request the SDK server handles may be the one being cancelled.
      const { requestId, reason } = (params ?? {}) as { requestId?: unknown; reason?: unknown };
      if (typeof requestId === "string" || typeof requestId === "number") this.#directCalls.get(requestId)?.abort(reason);
    }
    return false;
  }

  #callHost(runtime: Runtime): CallHost {
    const options = this.#options;
    const audit = options.audit;
    const waiting = new Set<AbortController>();
    const inflight = new Set<ProxyCall>();
    // Arrow functions and getters over `this`: the host is made once, and reads the proxy's state as it is now.
    const self = this;
    return {
      runtime,
      desk: this.#desk,
      callTimeoutMs: timerMs(options.callTimeoutMs),
      waiting,
      inflight,
      get exit() {
        return self.#exit;
      },
      get clientGone() {
        return self.#server !== undefined && self.#server.transport === undefined;
      },
      recordsIntents: audit?.intents === true,
      takesLines: Boolean(audit?.appendSync || audit?.append),
      log: (line) => this.#log(line),
      route: (name) => this.#routeName(name, "tool"),
      redactFor: (server) => this.#redact.get(server) ?? [],
      prepareAudit: (server) => {
        try {
          if (audit?.prepareSync) audit.prepareSync(server);
          else if (audit?.prepare) {
            const prepared = audit.prepare(server);
            if (prepared) return prepared.then(() => undefined, (error: unknown) => `Audit log unavailable: ${errorMessage(error)}`);
          }
          return undefined;
        } catch (error) {
          return `Audit log unavailable: ${errorMessage(error)}`;
        }
      },
      writeAudit: (record, line) => {
        try {
          if (line && audit?.appendSync) audit.appendSync(record.server, line);
          else if (audit?.writeSync) audit.writeSync(record as AuditRecord);
          else if (line && audit?.append) {
            return audit.append(record.server, line).then(() => undefined, (error: unknown) => `Audit write failed: ${errorMessage(error)}`);
          } else if (audit) {
            const written = audit.write(record);
            if (written) return written.then(() => undefined, (error: unknown) => `Audit write failed: ${errorMessage(error)}`);
          }
          return undefined;
        } catch (error) {
          return `Audit write failed: ${errorMessage(error)}`;
        }
      },
      send: (message) => this.#upstream.tryWrite(message),
      sendText: (json) => {
        this.#upstream.writeText(json);
      },
      forget: (call) => {
        if (this.#directCalls.get(call.requestId) === call) this.#directCalls.delete(call.requestId);
      },
    };
  }

  async #refuseInitialize(initialize: JSONRPCRequest, reason: string): Promise<void> {
    await this.#upstream.send({ jsonrpc: "2.0", id: initialize.id, error: { code: ErrorCode.InternalError, message: `aegisc proxy: ${reason}` } }).catch(() => undefined);
    return this.#shutdown({ code: 1, reason });
  }

  #createServer(): Server {
    const single = this.#downstreams.length === 1 && !this.#prefixed ? this.#downstreams[0] : undefined;
    const capabilities = combinedCapabilities(this.#downstreams, this.#prefixed);
    const instructions = single
      ? single.instructions
      : this.#downstreams
          .filter((d) => d.instructions)
          .map((d) => `## ${d.name}\n${d.instructions}`)
          .join("\n\n") || undefined;
    const info = single ? (validImplementation(single.serverInfo) ?? { name: single.name, version: "0" }) : (this.#options.proxyInfo ?? { name: "aegisc-proxy", version: "0.1.0" });
    const server = new Server(info, { capabilities, ...(instructions ? { instructions } : {}) });
    server.oninitialized = () => {
      // Spends request id 0 on a ping: SDK-based clients ignore a cancellation whose requestId is 0
      // (a falsy check), so an approval form sent as request 0 could not be withdrawn on timeout.
      void server.ping().catch(() => undefined);
      this.#upstreamReady.resolve();
    };
    server.onclose = () => {
      // What the SDK server does for the requests it handles: a gone client cancels its calls.
      const calls = [...this.#directCalls.values()];
      this.#directCalls.clear();
      for (const call of calls) call.abort();
      this.#upstreamReady.reject(new Error("the MCP client disconnected"));
      void this.#shutdown({ code: 0, reason: this.#stopRequested ?? "the client disconnected" });
    };
    server.onerror = (error) => this.#log(`client: ${error.message}`);

    if (capabilities.tools) {
      server.setRequestHandler(ListToolsRequestSchema, (request, extra) =>
        this.#list(request.params, extra.signal, "tools/list", ListToolsResultSchema, "tools", (d) => d.capabilities.tools !== undefined, (d, tool: { name: string }) =>
          this.#isHidden(d.name, tool.name) ? undefined : { ...tool, name: this.#router.expose(d, tool.name) },
        ),
      );
      // Registered with loose params so that the SDK's own tools/call validation (which answers
      // Invalid params, -32602) judges a malformed call, rather than a parse error (-32603).
      server.setRequestHandler(
        LOOSE_CALL_TOOL_REQUEST,
        (request, extra) =>
          new Promise((resolve, reject) => {
            const call = new ProxyCall(this.#host, extra.requestId, request.params as ToolCallParams, { resolve, reject, sendNotification: extra.sendNotification });
            const { signal } = extra;
            if (signal.aborted) call.abort(signal.reason);
            else signal.addEventListener("abort", () => call.abort(signal.reason), { once: true });
            call.start();
          }),
      );
    }
    if (capabilities.prompts) {
      server.setRequestHandler(ListPromptsRequestSchema, (request, extra) =>
        this.#list(request.params, extra.signal, "prompts/list", ListPromptsResultSchema, "prompts", (d) => d.capabilities.prompts !== undefined, (d, prompt: { name: string }) => ({
          ...prompt,
          name: this.#router.expose(d, prompt.name),
        })),
      );
      server.setRequestHandler(GetPromptRequestSchema, (request, extra) => {
        const route = this.#routeName(request.params.name, "prompt");
        return this.#forward(route.target, { ...request, params: { ...request.params, name: route.name } }, GetPromptResultSchema, extra.signal);
      });
    }
    if (capabilities.resources) {
      server.setRequestHandler(ListResourcesRequestSchema, (request, extra) =>
        this.#list(request.params, extra.signal, "resources/list", ListResourcesResultSchema, "resources", (d) => d.capabilities.resources !== undefined, (d, resource: { uri: string }) => {
          if (!this.#resourceOwners.has(resource.uri)) this.#resourceOwners.set(resource.uri, d);
          return resource;
        }),
      );
      server.setRequestHandler(ListResourceTemplatesRequestSchema, (request, extra) =>
        this.#list(request.params, extra.signal, "resources/templates/list", ListResourceTemplatesResultSchema, "resourceTemplates", (d) => d.capabilities.resources !== undefined, (_d, template: object) => template),
      );
      server.setRequestHandler(ReadResourceRequestSchema, (request, extra) => this.#forwardByUri(request, request.params.uri, ReadResourceResultSchema, extra.signal));
      if (capabilities.resources.subscribe) {
        server.setRequestHandler(SubscribeRequestSchema, (request, extra) => this.#forwardByUri(request, request.params.uri, EmptyResultSchema, extra.signal));
        server.setRequestHandler(UnsubscribeRequestSchema, (request, extra) => this.#forwardByUri(request, request.params.uri, EmptyResultSchema, extra.signal));
      }
    }
    if (capabilities.completions) {
      server.setRequestHandler(CompleteRequestSchema, (request, extra) => {
        const ref = request.params.ref;
        if (ref.type === "ref/prompt") {
          const route = this.#routeName(ref.name, "prompt");
          return this.#forward(route.target, { ...request, params: { ...request.params, ref: { ...ref, name: route.name } } }, CompleteResultSchema, extra.signal);
        }
        return this.#forwardByUri(request, ref.uri, CompleteResultSchema, extra.signal);
      });
    }
    if (capabilities.logging) {
      server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
        const targets = this.#live().filter((d) => d.capabilities.logging !== undefined);
        await Promise.all(targets.map((d) => this.#forward(d, request, EmptyResultSchema, extra.signal)));
        return {};
      });
    }
    // Notifications from the client (roots changed, …) go to every server; cancellation and progress the SDK routes itself.
    // Only notifications/*: a request's method without an id is not a notification anything should act on.
    server.fallbackNotificationHandler = async (notification) => {
      if (!notification.method.startsWith("notifications/")) {
        this.#log(`a notification named ${JSON.stringify(notification.method).slice(0, 200)} was not relayed (only notifications/* are)`);
        return;
      }
      for (const d of this.#live()) await d.client.notification(notification as Notification).catch((error: unknown) => this.#log(`${d.name}: ${errorMessage(error)}`));
    };
    return server;
  }

  /** Requests and notifications the servers send towards the client, relayed once the client is initialized. */
  #configureDownstream(client: Client, downstream: Downstream, capabilities: ClientCapabilities): void {
    const toClient = async <T>(send: (server: Server) => Promise<T>): Promise<T> => {
      await this.#upstreamReady.promise;
      if (!this.#server) throw new ProxyError(ErrorCode.InternalError, "the proxy is not connected to a client");
      return send(this.#server);
    };
    const relay = (extra: { signal: AbortSignal }): RequestOptions => ({ signal: extra.signal, timeout: NO_TIMEOUT_MS });
    if (capabilities.sampling) {
      client.setRequestHandler(CreateMessageRequestSchema, (request, extra) =>
        toClient((server) => server.request(request, request.params.tools || request.params.toolChoice ? CreateMessageResultWithToolsSchema : CreateMessageResultSchema, relay(extra))),
      );
    }
    if (capabilities.elicitation) {
      client.setRequestHandler(ElicitRequestSchema, (request, extra) => toClient((server) => server.request(request, ElicitResultSchema, relay(extra))));
    }
    if (capabilities.roots) {
      client.setRequestHandler(ListRootsRequestSchema, (request, extra) => toClient((server) => server.request(request, ListRootsResultSchema, relay(extra))));
    }
    client.fallbackNotificationHandler = async (notification) => {
      await toClient((server) => server.notification(notification as Notification)).catch((error: unknown) => this.#log(`${downstream.name}: notification ${notification.method} not relayed: ${errorMessage(error)}`));
    };
    client.onerror = (error) => this.#log(`${downstream.name}: ${error.message}`);
  }

  #elicitation() {
    const server = this.#server;
    if (!server?.getClientCapabilities()?.elicitation?.form) return undefined;
    return (form: Parameters<Server["elicitInput"]>[0], options: { signal: AbortSignal; timeoutMs: number }) =>
      server.elicitInput(form, { signal: options.signal, timeout: options.timeoutMs });
  }

  #live(): Downstream[] {
    return this.#downstreams.filter((d) => d.alive);
  }

  #isHidden(server: string, tool: string): boolean {
    const hide = this.#options.hideTool;
    if (!hide) return false;
    const key = `${server}\u0000${tool}`;
    let hidden = this.#hidden.get(key);
    if (hidden === undefined) {
      try {
        hidden = hide(server, tool) === true;
      } catch (error) {
        // Hiding is a convenience; a failure shows the tool, and calling it is still governed.
        this.#log(`could not decide whether to hide ${tool} on ${server}: ${errorMessage(error)}`);
        hidden = false;
      }
      this.#hidden.set(key, hidden);
    }
    return hidden;
  }

  #routeName(exposed: string, kind: "tool" | "prompt") {
    const route = this.#router.resolve(exposed);
    if (!route) {
      const hint = this.#prefixed ? `; names are <server>__<${kind}> with a server among ${this.#downstreams.map((d) => d.name).join(", ")}` : "";
      throw new ProxyError(ErrorCode.InvalidParams, `Unknown ${kind}: ${exposed}${hint}`);
    }
    return route;
  }

  /** One list across servers: a single server's pages pass through; several servers' lists are gathered whole. */
  async #list<K extends string, Item>(
    params: { cursor?: string } | undefined,
    signal: AbortSignal,
    method: string,
    schema: Parameters<Client["request"]>[1],
    key: K,
    offers: (d: Downstream) => boolean,
    transform: (d: Downstream, item: Item) => unknown,
  ): Promise<Record<string, unknown>> {
    const targets = this.#live().filter(offers);
    if (!this.#prefixed) {
      const d = targets[0];
      if (!d) return { [key]: [] };
      const page = await this.#forward(d, { method, ...(params ? { params } : {}) }, schema, signal);
      return { ...page, [key]: ((page[key] as Item[] | undefined) ?? []).map((item) => transform(d, item)).filter((item) => item !== undefined) };
    }
    const items: unknown[] = [];
    for (const d of targets) {
      try {
        let cursor: string | undefined;
        for (let pages = 0; pages < MAX_LIST_PAGES; pages++) {
          const page = (await this.#forward(d, { method, ...(cursor ? { params: { cursor } } : {}) }, schema, signal)) as Record<string, unknown> & { nextCursor?: string };
          for (const item of (page[key] as Item[] | undefined) ?? []) {
            const shown = transform(d, item);
            if (shown !== undefined) items.push(shown);
          }
          cursor = page.nextCursor;
          if (!cursor) break;
        }
      } catch (error) {
        if (signal.aborted) throw error;
        // One broken server must not hide the others' tools.
        this.#log(`${d.name}: ${method} failed: ${errorMessage(error)}`);
      }
    }
    return { [key]: items };
  }

  async #forward(d: Downstream, request: { method: string; params?: object }, schema: Parameters<Client["request"]>[1], signal: AbortSignal): Promise<Record<string, unknown>> {
    if (!d.alive) throw new ProxyError(ErrorCode.InternalError, `The server ${d.name} is not running`);
    try {
      return (await d.client.request(request as Parameters<Client["request"]>[0], schema, { signal, timeout: timerMs(this.#options.callTimeoutMs) })) as Record<string, unknown>;
    } catch (error) {
      throw asProxyError(error, d);
    }
  }

  async #forwardByUri(request: { method: string; params?: object }, uri: string, schema: Parameters<Client["request"]>[1], signal: AbortSignal): Promise<Record<string, unknown>> {
    const owner = this.#resourceOwners.get(uri);
    const candidates = owner?.alive ? [owner] : this.#live().filter((d) => d.capabilities.resources !== undefined || d.capabilities.completions !== undefined);
    if (candidates.length === 0) throw new ProxyError(ErrorCode.InvalidParams, `No server offers ${uri}`);
    let lastError: unknown;
    for (const d of candidates) {
      try {
        return await this.#forward(d, request, schema, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  #onDownstreamExit(downstream: Downstream): void {
    if (this.#exit) return;
    const live = this.#live();
    if (live.length === 0) {
      void this.#shutdown({ code: 1, reason: `the server ${downstream.name} exited` });
      return;
    }
    this.#log(`the server ${downstream.name} exited; its tools are gone until the proxy is restarted`);
    void this.#server?.sendToolListChanged().catch(() => undefined);
  }

  async #shutdown(exit: ProxyExit): Promise<void> {
    if (this.#exit) return;
    this.#exit = exit;
    // Calls waiting for a human or for a server end now; each is still audited, and answered if the client is there.
    for (const controller of this.#host.waiting) controller.abort();
    for (const call of this.#host.inflight) call.interrupt();
    for (let round = 0; round < 100 && this.#host.inflight.size > 0; round++) await Promise.allSettled([...this.#host.inflight].map((call) => call.done));
    // Let the SDK send the answers of the calls that just finished before the connection closes.
    await new Promise((resolve) => setImmediate(resolve));
    this.#upstreamReady.reject(new Error("the proxy is shutting down"));
    await (this.#server ? this.#server.close() : this.#upstream.close()).catch(() => undefined);
    this.#desk.close();
    await Promise.all(this.#downstreams.map((d) => d.close()));
    // Every call is audited by now. Each file's head goes to the log, a checkpoint kept outside the file (`audit verify --head`).
    for (const spec of this.#options.servers) {
      const head = this.#options.audit?.head?.(spec.name);
      const file = this.#options.audit?.fileFor?.(spec.name);
      if (head && file) this.#log(`audit head of ${file}: ${head.bytes} bytes, last seal ${head.hash}`);
    }
    // The files are closed before another proxy may take them.
    await this.#options.audit?.close?.().catch((error: unknown) => this.#log(`closing the audit files: ${errorMessage(error)}`));
    await Promise.all(this.#releaseLocks.map((release) => release().catch(() => undefined)));
    if (exit.code !== 0) this.#log(`exiting: ${exit.reason}`);
    this.#finished(exit);
  }
}

/** Replays what the client sent while the servers were starting, then passes everything through. */
class ReplayTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #inner: LineTransport;
  readonly #early: { message: JSONRPCMessage; line: string }[];
  readonly #intercept: (message: JSONRPCMessage, line: string) => boolean;

  constructor(inner: LineTransport, early: { message: JSONRPCMessage; line: string }[], intercept: (message: JSONRPCMessage, line: string) => boolean) {
    this.#inner = inner;
    this.#early = early;
    this.#intercept = intercept;
  }

  async start(): Promise<void> {
    const deliver = (message: JSONRPCMessage, line: string) => {
      if (!this.#intercept(message, line)) this.onmessage?.(message);
    };
    // Synchronously, before any newer message can arrive: the order the client sent is kept.
    for (const { message, line } of this.#early.splice(0)) deliver(message, line);
    this.#inner.onmessageWithLine = deliver;
    this.#inner.onerror = (error) => this.onerror?.(error);
    this.#inner.onclose = () => this.onclose?.();
    if (this.#inner.closed) queueMicrotask(() => this.onclose?.());
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.#inner.send(message);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

function validateOptions(options: ProxyOptions): void {
  if (typeof options?.guard?.decide !== "function") throw new TypeError("startProxy: guard.decide must be a function (a generated guard module)");
  const servers = options.servers ?? [];
  if (servers.length === 0) throw new TypeError("startProxy: at least one server is needed");
  const names = new Set<string>();
  for (const server of servers) {
    if (typeof server.name !== "string" || server.name === "") throw new TypeError("startProxy: every server needs a name");
    if (names.has(server.name)) throw new TypeError(`startProxy: two servers are named ${server.name}`);
    names.add(server.name);
    if (servers.length > 1 && !PREFIXABLE_SERVER_NAME.test(server.name)) {
      throw new TypeError(`startProxy: with several servers, tool names become <server>__<tool>, so a server name must be letters, digits, ".", "-" and single "_" (not ${JSON.stringify(server.name)})`);
    }
    if (typeof server.command !== "string" || server.command === "") throw new TypeError(`startProxy: the server ${server.name} needs a command`);
  }
  for (const path of options.redact ?? []) parseRedactPath(path);
  for (const server of servers) for (const path of server.redact ?? []) parseRedactPath(path);
}

/** What the servers may ask of the client: exactly what the client said it supports. */
function mirroredCapabilities(client: ClientCapabilities): ClientCapabilities {
  const mirrored: ClientCapabilities = {};
  if (client.roots) mirrored.roots = client.roots;
  if (client.sampling) mirrored.sampling = client.sampling;
  if (client.elicitation) mirrored.elicitation = client.elicitation;
  return mirrored;
}

/** What the client may ask of the proxy: the union of the servers' capabilities, minus what the proxy cannot govern (tasks). */
function combinedCapabilities(downstreams: readonly Downstream[], prefixed: boolean): ServerCapabilities {
  const combined: ServerCapabilities = {};
  for (const d of downstreams) {
    const c = d.capabilities;
    if (c.tools) combined.tools = { listChanged: Boolean(combined.tools?.listChanged || c.tools.listChanged || prefixed) };
    if (c.prompts) combined.prompts = { listChanged: Boolean(combined.prompts?.listChanged || c.prompts.listChanged) };
    if (c.resources) combined.resources = { subscribe: Boolean(combined.resources?.subscribe || c.resources.subscribe), listChanged: Boolean(combined.resources?.listChanged || c.resources.listChanged) };
    if (c.logging) combined.logging = {};
    if (c.completions) combined.completions = {};
  }
  return combined;
}

/**
 * tools/call params the SDK server would accept as they are: a string name, arguments that are a
 * record, `_meta` with at most a valid progress token, and no task (which only the SDK handles).
 */
function isPlainCallParams(params: unknown): params is ToolCallParams {
  if (!isRecord(params) || typeof params.name !== "string" || "task" in params) return false;
  if (params.arguments !== undefined && !isRecord(params.arguments)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isRecord(meta) || "io.modelcontextprotocol/related-task" in meta) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === "string" || Number.isSafeInteger(token);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function validImplementation(value: unknown): Implementation | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { name, version } = value as { name?: unknown; version?: unknown };
  return typeof name === "string" && typeof version === "string" ? (value as Implementation) : undefined;
}

