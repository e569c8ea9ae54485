// One governed tools/call in the proxy: decided, approved, forwarded, audited and answered, without a promise unless something must be waited for.
import { randomUUID } from "node:crypto";
import { ErrorCode, McpError, type CallToolResult, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { mcpResultError } from "../mcp.ts";
import { DENIED_BY_HUMAN, blockMessage, errorMessage, ruleDescription, type Runtime } from "../runtime.ts";
import type { AuditStatus, Decision, HumanDecision, RunStatus, ToolCall } from "../types.ts";
import type { ApprovalDesk, ApprovalOutcome } from "./approval-desk.ts";
import type { Downstream, ForwardedCall } from "./downstream.ts";
import { proxyAuditRecord, proxyIntentRecord, proxyOutcomeRecord, type CallAuditContext, type ProxyAuditRecord, type ProxyOutcomeRecord } from "./proxy-audit.ts";
import type { RedactPath } from "./redact.ts";

/** setTimeout's ceiling: "no timeout" for SDK requests, whose default would be 60 s. */
export const NO_TIMEOUT_MS = 2_147_483_647;

/** 0 (or nothing) means no limit; anything past setTimeout's ceiling is the ceiling (beyond it, timers fire at once). */
export function timerMs(ms: number | undefined): number {
  return ms === undefined || !(ms > 0) ? NO_TIMEOUT_MS : Math.min(ms, NO_TIMEOUT_MS);
}

/** Thrown from request handlers: the SDK sends `code` and this message (without the "MCP error" prefix) to the client. */
export class ProxyError extends Error {
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

export function asProxyError(error: unknown, downstream: Downstream): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = errorMessage(error).replace(/^MCP error -?\d+: /, "");
  if (typeof code === "number" && Number.isSafeInteger(code)) return new ProxyError(code, message, (error as { data?: unknown }).data);
  return new ProxyError(ErrorCode.InternalError, `${downstream.name}: ${message}`);
}

/** tools/call params as the proxy takes them (see isPlainCallParams in proxy.ts). */
export type ToolCallParams = { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> } & Record<string, unknown>;

/** What a call needs of the proxy it runs in. */
export interface CallHost {
  readonly runtime: Runtime;
  readonly desk: ApprovalDesk;
  /** The forwarded call's timeout (timerMs of --call-timeout). */
  readonly callTimeoutMs: number;
  /** Set once the proxy is shutting down. */
  readonly exit: { readonly reason: string } | undefined;
  /** The client's connection has closed. */
  readonly clientGone: boolean;
  /** The server and its own name for the tool name the client used; throws a ProxyError for an unknown one. */
  route(name: string): { target: Downstream; name: string };
  redactFor(server: string): readonly RedactPath[];
  /** The sink's prepare: an error message when the call must not go on. */
  prepareAudit(server: string): string | undefined | Promise<string | undefined>;
  /** The sink records intents (see AuditSink.intents): a forwarded call gets an intent record before it is forwarded, and an outcome record. */
  readonly recordsIntents: boolean;
  /** The sink's write: an error message when the record could not be written (then nothing may go on as if it were). */
  writeAudit(record: ProxyAuditRecord | ProxyOutcomeRecord): string | undefined | Promise<string | undefined>;
  /** Calls waiting for a human, so that a shutdown can end the wait. */
  readonly waiting: Set<AbortController>;
  /** Calls not yet answered, so that a shutdown can wait for their audit records. */
  readonly inflight: Set<ProxyCall>;
  /** Writes a message to the client. */
  send(message: JSONRPCMessage): void;
  /** Writes a message to the client that is JSON text already. */
  sendText(json: string): void;
  /** The call is over: the proxy forgets it (its cancellation has nothing left to stop). */
  forget(call: ProxyCall): void;
}

/** For a tools/call the SDK server handles: the handler's promise, and the SDK's way to send a notification about the request. */
export interface SdkOrigin {
  resolve(result: CallToolResult): void;
  reject(error: ProxyError): void;
  sendNotification(notification: { method: "notifications/progress"; params: Record<string, unknown> }): Promise<void>;
}

interface Decided {
  call: ToolCall;
  decision: Decision;
  now: Date;
  error?: string;
}

/**
 * A governed call, as Runtime.run governs one (decide, check the audit can be written, ask a
 * human for `approve`, forward, audit, withhold what could not be audited), driven step by
 * step: an `auto` call is decided and forwarded in the same turn that read it, and answered in
 * the turn that read the server's answer, without a promise, closure or timer of its own (what
 * the proxy added per call was mostly such per-call machinery). Only a human, an audit sink
 * that is not synchronous, or a timeout make it wait.
 */
export class ProxyCall implements ForwardedCall {
  /** The client's JSON-RPC id for the call. */
  readonly requestId: string | number;
  readonly progressWanted: boolean;
  readonly #host: CallHost;
  readonly #params: ToolCallParams;
  readonly #sdk?: SdkOrigin;
  #downstream?: Downstream;
  #tool = "";
  #startedAt = 0;
  #decided?: Decided;
  #human: HumanDecision = null;
  #approval?: ApprovalOutcome;
  #waiting?: AbortController;
  /** The id of the request forwarded to the server, while it is unanswered. */
  #forwardId?: string;
  #aborted = false;
  #abortReason: unknown;
  #progress = 0;
  #auditId?: string;
  #auditContext?: CallAuditContext;
  /** The intent record is written: the call's end is recorded as its outcome, not as a whole record. */
  #intentWritten = false;
  #over = false;
  #done?: { promise: Promise<void>; resolve: () => void };

  constructor(host: CallHost, requestId: string | number, params: ToolCallParams, sdk?: SdkOrigin) {
    this.#host = host;
    this.requestId = requestId;
    this.#params = params;
    this.#sdk = sdk;
    this.progressWanted = params._meta?.progressToken !== undefined;
  }

  /** Settles once the call is answered (or its answer dropped, when cancelled) and audited. */
  get done(): Promise<void> {
    if (this.#over) return Promise.resolve();
    if (!this.#done) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#done = { promise, resolve };
    }
    return this.#done.promise;
  }

  start(): void {
    const host = this.#host;
    host.inflight.add(this);
    if (host.exit) return this.#fail(new ProxyError(ErrorCode.InternalError, "The aegisc proxy is shutting down"));
    let route: { target: Downstream; name: string };
    try {
      route = host.route(this.#params.name);
    } catch (error) {
      return this.#fail(error instanceof ProxyError ? error : new ProxyError(ErrorCode.InternalError, errorMessage(error)));
    }
    this.#downstream = route.target;
    this.#tool = route.name;
    this.#startedAt = performance.now();
    const decided = host.runtime.decideNow({ server: route.target.name, tool: route.name, args: this.#params.arguments ?? {} });
    // Without a well-formed call or a clock there is nothing to audit under: refused, as run() refuses.
    if (!decided.call || !decided.now) return this.#refuse("blocked", decided.decision, decided.error);
    this.#decided = decided as Decided;
    const prepared = host.prepareAudit(decided.call.server);
    if (typeof prepared === "object") void prepared.then((error) => this.#prepared(error));
    else this.#prepared(prepared);
  }

  /** The client cancelled the call or went away: stop waiting, tell the server, and audit; the client gets no answer. */
  abort(reason?: unknown): void {
    if (this.#aborted || this.#over) return;
    this.#aborted = true;
    // As AbortController: no reason given is an AbortError.
    this.#abortReason = reason !== undefined ? reason : new DOMException("This operation was aborted", "AbortError");
    this.#waiting?.abort(this.#abortReason);
    const id = this.#forwardId;
    if (id === undefined) return;
    this.#forwardId = undefined;
    this.#downstream?.cancel(id, String(this.#abortReason));
    this.failed(this.#abortReason);
  }

  // ForwardedCall: the server's answer.

  answered(result: CallToolResult, text?: string): void {
    this.#forwardId = undefined;
    let failure: string | undefined;
    try {
      failure = mcpResultError(result);
    } catch (error) {
      failure = `Could not classify the result: ${errorMessage(error)}`;
    }
    this.#finish(failure === undefined ? "success" : "failed", failure, result, undefined, text);
  }

  failed(error: unknown): void {
    this.#forwardId = undefined;
    const described = this.#describeFailure(error);
    this.#finish("failed", described.message, undefined, described);
  }

  progress(update: Record<string, unknown>): void {
    this.#sendProgress(update);
  }

  #prepared(prepareError: string | undefined): void {
    const { decision, error } = this.#decided as Decided;
    const policy = this.#host.runtime.policy;
    if (prepareError !== undefined) {
      // Not audited: the audit is what failed. Nobody is asked and nothing runs.
      const reason = error ?? (decision.approval === "block" ? blockMessage(decision, policy) : undefined);
      return this.#refuse("blocked", decision, reason ? `${reason}; ${prepareError}` : prepareError);
    }
    if (error !== undefined || decision.approval === "block") return this.#finish("blocked", error ?? blockMessage(decision, policy));
    if (decision.approval === "approve") void this.#askHuman();
    else this.#forward();
  }

  async #askHuman(): Promise<void> {
    const host = this.#host;
    const { call, decision } = this.#decided as Decided;
    // A human may take minutes: a shutdown (for instance the server exiting) or the client's cancellation must end the wait.
    const waiting = new AbortController();
    this.#waiting = waiting;
    host.waiting.add(waiting);
    if (host.exit || this.#aborted) waiting.abort(this.#abortReason);
    let approved = false;
    let failure: string | undefined;
    try {
      const keepAlive = this.progressWanted ? { keepAlive: (message: string) => this.#sendProgress({ message }) } : {};
      const outcome = await host.desk.decide({ call, decision, ...(host.runtime.policy ? { policy: host.runtime.policy } : {}) }, { signal: waiting.signal, ...keepAlive });
      this.#approval = outcome.answer === "aborted" && !this.#aborted ? { ...outcome, reason: `The proxy shut down (${host.exit?.reason ?? "stopping"}) before the call was approved` } : outcome;
      approved = outcome.answer === "approve";
    } catch (error) {
      failure = `Approval failed, call denied: ${errorMessage(error)}`;
    } finally {
      this.#waiting = undefined;
      host.waiting.delete(waiting);
    }
    this.#human = approved ? "approved" : "denied";
    if (approved) this.#forward();
    else this.#finish("denied", failure ?? DENIED_BY_HUMAN);
  }

  #forward(): void {
    const failure = this.#unforwardable();
    if (failure !== undefined) return this.failed(failure);
    // The intent is on disk before the server sees the call: a call whose record cannot be
    // written (a full disk) is refused, never run unrecorded.
    if (!this.#host.recordsIntents) return this.#intentRecorded(undefined);
    const written = this.#host.writeAudit(proxyIntentRecord(this.#baseRecord("forwarded"), this.#context()));
    if (typeof written === "object") void written.then((auditError) => this.#intentRecorded(auditError, true));
    else this.#intentRecorded(written, true);
  }

  #intentRecorded(auditError: string | undefined, intent = false): void {
    const { decision } = this.#decided as Decided;
    if (auditError !== undefined) return this.#refuse("blocked", decision, auditError);
    this.#intentWritten = intent;
    // Checked again: an asynchronous sink's write gave the client time to cancel.
    let failure = this.#unforwardable();
    if (failure === undefined) {
      const downstream = this.#downstream as Downstream;
      const id = downstream.forward(forwardedParams(this.#params, this.#tool), this, this.#host.callTimeoutMs);
      if (id !== undefined) {
        this.#forwardId = id;
        return;
      }
      failure = McpError.fromError(ErrorCode.ConnectionClosed, "Connection closed");
    }
    this.failed(failure);
  }

  /** Why the call cannot be forwarded now, if it cannot. */
  #unforwardable(): unknown {
    const host = this.#host;
    const downstream = this.#downstream as Downstream;
    if (this.#aborted) return new Error("aborted before forwarding");
    if (host.exit) return new ProxyError(ErrorCode.InternalError, `The proxy is shutting down (${host.exit.reason})`);
    if (!downstream.alive) return new ProxyError(ErrorCode.InternalError, `The server ${downstream.name} is not running`);
    return undefined;
  }

  #describeFailure(error: unknown): ProxyError {
    const host = this.#host;
    const downstream = this.#downstream as Downstream;
    if (this.#aborted) {
      const reason = this.#abortReason;
      return new ProxyError(
        ErrorCode.RequestTimeout,
        host.clientGone ? "The MCP client disconnected before the call finished" : `The client cancelled the call${typeof reason === "string" && reason ? `: ${reason}` : ""}`,
      );
    }
    const code = (error as { code?: unknown })?.code;
    // Checked before the shutdown: a server's exit is what shuts a single-server proxy down.
    if (!downstream.alive && code === ErrorCode.ConnectionClosed) return new ProxyError(ErrorCode.InternalError, `The server ${downstream.name} exited before answering the call`);
    if (code === ErrorCode.RequestTimeout && host.callTimeoutMs !== NO_TIMEOUT_MS) {
      return new ProxyError(ErrorCode.RequestTimeout, `The server ${downstream.name} did not answer within ${host.callTimeoutMs / 1000} s (the proxy's call timeout)`);
    }
    if (host.exit) return new ProxyError(ErrorCode.InternalError, `The proxy shut down (${host.exit.reason}) before ${downstream.name} answered`);
    return asProxyError(error, downstream);
  }

  /** Audits the call, then answers: what could not be audited is withheld, as run() withholds it. */
  #finish(status: RunStatus, error: string | undefined, value?: CallToolResult, thrown?: ProxyError, text?: string): void {
    const host = this.#host;
    const { call, decision } = this.#decided as Decided;
    const policy = host.runtime.policy?.hash;
    const record =
      this.#intentWritten && (status === "success" || status === "failed")
        ? proxyOutcomeRecord(call, { status, ...(error !== undefined ? { error } : {}), ...(policy !== undefined ? { policy } : {}) }, this.#context(), new Date().toISOString(), performance.now())
        : proxyAuditRecord(this.#baseRecord(status, error), this.#context(), performance.now());
    const written = host.writeAudit(record);
    if (typeof written === "object") void written.then((auditError) => this.#conclude(status, decision, error, value, thrown, auditError, text));
    else this.#conclude(status, decision, error, value, thrown, written, text);
  }

  /** The runtime's record of the call, as run() would write it. */
  #baseRecord(status: AuditStatus, error?: string) {
    const { call, decision, now } = this.#decided as Decided;
    return this.#host.runtime.auditRecord(now, call, decision, status, this.#human, error);
  }

  #context(): CallAuditContext {
    if (this.#auditContext) return this.#auditContext;
    const server = (this.#decided as Decided).call.server;
    const context: CallAuditContext = { id: this.#callId(), requestId: this.requestId, startedAt: this.#startedAt, redact: this.#host.redactFor(server) };
    if (this.#approval) context.approval = this.#approval;
    return (this.#auditContext = context);
  }

  #conclude(
    status: RunStatus,
    decision: Decision,
    error: string | undefined,
    value: CallToolResult | undefined,
    thrown: ProxyError | undefined,
    auditError: string | undefined,
    text: string | undefined,
  ): void {
    switch (status) {
      case "success":
        // The tool ran but its record could not be written: the client must not get an unaudited result.
        if (auditError === undefined) this.#answer(value as CallToolResult, text);
        else this.#fail(new ProxyError(ErrorCode.InternalError, `[aegisc] ${auditError}`));
        return;
      case "failed":
        if (thrown) this.#fail(thrown);
        else if (auditError !== undefined) this.#fail(new ProxyError(ErrorCode.InternalError, `[aegisc] ${error !== undefined ? `${error}; ${auditError}` : auditError}`));
        // The server's own isError result: audited as failed, and the server's answer to give.
        else this.#answer(value as CallToolResult, text);
        return;
      default:
        this.#refuse(status, decision, auditError === undefined ? error : `${error}; ${auditError}`);
    }
  }

  #refuse(status: RunStatus, decision: Decision, error: string | undefined): void {
    const policy = this.#host.runtime.policy;
    // Sentences are joined below; a description's own final period would double up.
    const description = ruleDescription(decision, policy)?.replace(/[.\s]+$/, "");
    const where = `${this.#tool} on ${this.#downstream?.name}`;
    let text: string;
    if (status === "denied") {
      const reason = this.#approval?.reason ?? error ?? "Denied";
      text = `[aegisc] ${reason}. The call to ${where} was not forwarded. Rule: ${decision.rule}, risk: ${decision.risk}.${description ? ` Rule description: ${description}.` : ""}`;
    } else if (decision.approval === "block" && error === blockMessage(decision, policy)) {
      text = `[aegisc] Blocked by policy rule ${decision.rule} (risk: ${decision.risk})${description ? `: ${description}` : ""}. The call to ${where} was not forwarded.`;
    } else {
      text = `[aegisc] Refused: ${error ?? "the call could not be governed"}. The call to ${where} was not forwarded. Rule: ${decision.rule}, risk: ${decision.risk}.`;
    }
    this.#answer({
      isError: true,
      content: [{ type: "text", text }],
      _meta: { "aegisc/refusal": { status, rule: decision.rule, risk: decision.risk, approval: decision.approval, callId: this.#callId() } },
    });
  }

  #callId(): string {
    return (this.#auditId ??= randomUUID());
  }

  #sendProgress(update: Record<string, unknown>): void {
    const progressToken = this.#params._meta?.progressToken;
    if (progressToken === undefined || this.#aborted) return;
    this.#progress = Math.max(this.#progress + 1, typeof update.progress === "number" ? update.progress : 0);
    const params = { ...update, progress: this.#progress, progressToken };
    if (this.#sdk) void this.#sdk.sendNotification({ method: "notifications/progress", params }).catch(() => undefined);
    else this.#host.send({ jsonrpc: "2.0", method: "notifications/progress", params });
  }

  /** `text` is the result as the server wrote it, passed on as it is (see ServerTransport). */
  #answer(result: CallToolResult, text?: string): void {
    if (!this.#close()) return;
    if (this.#sdk) this.#sdk.resolve(result);
    // Once cancelled, the request gets no answer, as the SDK server does it.
    else if (!this.#aborted) {
      if (text !== undefined) this.#host.sendText(`{"jsonrpc":"2.0","id":${JSON.stringify(this.requestId)},"result":${text}}`);
      else this.#host.send({ jsonrpc: "2.0", id: this.requestId, result });
    }
    this.#done?.resolve();
  }

  #fail(error: ProxyError): void {
    if (!this.#close()) return;
    if (this.#sdk) this.#sdk.reject(error);
    else if (!this.#aborted) {
      const { code, message, data } = error;
      this.#host.send({
        jsonrpc: "2.0",
        id: this.requestId,
        error: { code: Number.isSafeInteger(code) ? code : ErrorCode.InternalError, message: typeof message === "string" ? message : "Internal error", ...(data !== undefined ? { data } : {}) },
      });
    }
    this.#done?.resolve();
  }

  /** Marks the call over (once): the proxy forgets it before the answer goes out. */
  #close(): boolean {
    if (this.#over) return false;
    this.#over = true;
    this.#host.inflight.delete(this);
    this.#host.forget(this);
    return true;
  }
}

function forwardedParams(params: ToolCallParams, tool: string): Record<string, unknown> {
  // The usual call goes as the client sent it.
  if (params._meta === undefined && params.name === tool && !("task" in params)) return params;
  // The transport adds its own progress token when the client asked for progress; a task request is not something the proxy can govern.
  const { _meta, task: _task, ...rest } = params;
  const forwarded: Record<string, unknown> = { ...rest, name: tool };
  if (_meta) {
    const { progressToken: _token, ...meta } = _meta;
    if (Object.keys(meta).length > 0) forwarded._meta = meta;
  }
  return forwarded;
}
