// One governed tools/call in the proxy: decided, approved, forwarded, audited and answered, without a promise unless something must be waited for.
import { randomUUID } from "node:crypto";
import { ErrorCode, McpError, type CallToolResult, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { shownName } from "../display.ts";
import { mcpResultError } from "../mcp.ts";
import { DENIED_BY_HUMAN, blockMessage, errorMessage, ruleDescription, type Runtime } from "../runtime.ts";
import type { AuditStatus, Decision, HumanDecision, RunStatus, ToolCall } from "../types.ts";
import type { ApprovalDesk, ApprovalOutcome } from "./approval-desk.ts";
import type { Downstream, ForwardedCall } from "./downstream.ts";
import { AuditLineText, recordJson, type AuditLineSeal } from "../audit-chain.ts";
import { argumentsSpan, argumentsText, type ArgumentsText } from "./json-text.ts";
import { proxyAuditRecord, proxyIntentRecord, proxyOutcomeRecord, type CallAuditContext, type ProxyAuditRecord, type ProxyOutcomeRecord } from "./proxy-audit.ts";
import { redactArgs, type RedactPath } from "./redact.ts";

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

export interface ProxyCallOptions {
  /** The request's line as the client wrote it: its arguments are forwarded and recorded byte for byte. */
  line?: string;
  /** Refuse the call whatever the policy decides, for this reason (it is still decided and recorded). */
  refusal?: string;
  /** Nobody waits for an answer: nothing is sent to the client. */
  silent?: boolean;
}

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
  /** The sink writes records given as text (the JSONL sink): a call's arguments are then recorded as the client sent them. */
  readonly takesLines: boolean;
  /**
   * The sink's write: an error message when the record could not be written (then nothing may go
   * on as if it were). `line`, when given and the sink takes lines, is written instead of `record`.
   */
  writeAudit(record: ProxyAuditRecord | ProxyOutcomeRecord, line?: AuditLineSeal): string | undefined | Promise<string | undefined>;
  /** Diagnostics for the operator (stderr). */
  log(line: string): void;
  /** Calls waiting for a human, so that a shutdown can end the wait. */
  readonly waiting: Set<AbortController>;
  /** Calls not yet answered, so that a shutdown can wait for their audit records. */
  readonly inflight: Set<ProxyCall>;
  /** Writes a message to the client; false when it could not be written out. */
  send(message: JSONRPCMessage): boolean;
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
  /** The request's line as the client wrote it (calls read by the proxy itself): its arguments are forwarded byte for byte. */
  readonly #line?: string;
  /** The arguments' text in the line: forwarded as it is, recorded with redacted values masked. */
  #argsSpan?: { start: number; end: number };
  #argsText?: ArgumentsText;

  /** Set when the call is refused whatever the policy says (a notification-shaped call, a reused id): why. */
  readonly #refusal?: string;
  /** Nobody waits for an answer (a tools/call without an id): the call is decided and recorded, and nothing is sent. */
  readonly #silent: boolean;

  constructor(host: CallHost, requestId: string | number, params: ToolCallParams, sdk?: SdkOrigin, options: ProxyCallOptions = {}) {
    this.#host = host;
    this.requestId = requestId;
    this.#params = params;
    this.#sdk = sdk;
    if (options.line !== undefined) this.#line = options.line;
    if (options.refusal !== undefined) this.#refusal = options.refusal;
    this.#silent = options.silent === true;
    this.progressWanted = !this.#silent && params._meta?.progressToken !== undefined;
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

  /**
   * Runs one step of the call; whatever it throws (a bug, or input beyond what a step can handle)
   * ends the call with an MCP error, recorded, instead of leaving it unanswered: every entry
   * point and every continuation goes through here.
   */
  #guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.#crash(error);
    }
  }

  start(): void {
    this.#host.inflight.add(this);
    this.#guard(() => this.#start());
  }

  #start(): void {
    const host = this.#host;
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
    this.#readArguments(decided.call.server);
    const prepared = host.prepareAudit(decided.call.server);
    if (typeof prepared === "object") void prepared.then((error) => this.#guard(() => this.#prepared(error)));
    else this.#prepared(prepared);
  }

  /** The arguments' text, from the client's line: checked for repeated keys, and redacted for the record. */
  #readArguments(server: string): void {
    const line = this.#line;
    if (line === undefined || this.#params.arguments === undefined) return;
    const span = argumentsSpan(line);
    if (!span) return;
    this.#argsSpan = span;
    this.#argsText = argumentsText(line, span, this.#params.arguments, this.#host.redactFor(server));
  }

  /** The client cancelled the call or went away: stop waiting, tell the server, and audit; the client gets no answer. */
  abort(reason?: unknown): void {
    this.#guard(() => this.#abort(reason));
  }

  #abort(reason: unknown): void {
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

  /** The proxy is shutting down: a forwarded call stops waiting for the server (the server is told), and is answered with an error. */
  interrupt(): void {
    this.#guard(() => {
      const id = this.#forwardId;
      if (id === undefined || this.#over) return;
      this.#forwardId = undefined;
      this.#downstream?.cancel(id, "the aegisc proxy is shutting down");
      this.#failed(new Error("the proxy is shutting down"));
    });
  }

  // ForwardedCall: the server's answer.

  answered(result: CallToolResult, text?: string): void {
    this.#guard(() => this.#answered(result, text));
  }

  #answered(result: CallToolResult, text?: string): void {
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
    this.#guard(() => this.#failed(error));
  }

  #failed(error: unknown): void {
    this.#forwardId = undefined;
    const described = this.#describeFailure(error);
    this.#finish("failed", described.message, undefined, described);
  }

  progress(update: Record<string, unknown>): void {
    this.#guard(() => this.#sendProgress(update));
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
    if (this.#refusal !== undefined) return this.#finish("blocked", this.#refusal);
    const repeated = this.#argsText?.repeated;
    if (repeated !== undefined) {
      // JSON.parse kept the last copy and the policy decided on it; a server whose parser keeps the first would run something undecided.
      return this.#finish("blocked", `The arguments repeat the key ${repeated}; a server might read the other copy than the policy decided on, so the call is refused`);
    }
    if (decision.approval === "approve") void this.#askHuman().catch((error: unknown) => this.#crash(error));
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
      // What the record masks, the form and the prompt mask too: they pass through the client, its logs and its screen.
      const paths = host.redactFor(call.server);
      const shown = paths.length > 0 ? { ...call, args: redactArgs(call.args ?? {}, paths).args } : undefined;
      const outcome = await host.desk.decide({ call, decision, ...(host.runtime.policy ? { policy: host.runtime.policy } : {}) }, { signal: waiting.signal, ...keepAlive, ...(shown ? { shown } : {}) });
      this.#approval = outcome.answer === "aborted" && !this.#aborted ? { ...outcome, reason: `The proxy shut down (${host.exit?.reason ?? "stopping"}) before the call was approved` } : outcome;
      approved = outcome.answer === "approve";
    } catch (error) {
      failure = `Approval failed, call denied: ${errorMessage(error)}`;
    } finally {
      this.#waiting = undefined;
      host.waiting.delete(waiting);
    }
    this.#human = approved ? "approved" : "denied";
    this.#guard(() => (approved ? this.#forward() : this.#finish("denied", failure ?? DENIED_BY_HUMAN)));
  }

  #forward(): void {
    const failure = this.#unforwardable();
    if (failure !== undefined) return this.failed(failure);
    // The intent is on disk before the server sees the call: a call whose record cannot be
    // written (a full disk) is refused, never run unrecorded.
    if (!this.#host.recordsIntents) return this.#intentRecorded(undefined);
    const written = this.#write(proxyIntentRecord(this.#baseRecord("forwarded"), this.#context()));
    if (typeof written === "object") void written.then((auditError) => this.#guard(() => this.#intentRecorded(auditError, true)));
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
      const id = downstream.forward((requestId) => this.#forwardedParams(requestId), this, this.#host.callTimeoutMs);
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
    const written = this.#write(record);
    if (typeof written === "object") void written.then((auditError) => this.#guard(() => this.#conclude(status, decision, error, value, thrown, auditError, text)));
    else this.#conclude(status, decision, error, value, thrown, written, text);
  }

  /** The runtime's record of the call, as run() would write it. */
  #baseRecord(status: AuditStatus, error?: string) {
    const { call, decision, now } = this.#decided as Decided;
    return this.#host.runtime.auditRecord(now, call, decision, status, this.#human, error);
  }

  /**
   * Writes a record; one with arguments, to a sink that takes lines, as text with the arguments
   * as the client sent them (redacted values masked): nothing is serialized again, so big
   * integers, 1e400 and any depth are recorded as they were forwarded.
   */
  #write(record: ProxyAuditRecord | ProxyOutcomeRecord): string | undefined | Promise<string | undefined> {
    const host = this.#host;
    const args = this.#argsText;
    if (!host.takesLines || args === undefined || !("args" in record)) return host.writeAudit(record);
    const json = recordJson({ ...record, args: 0, ...(args.redacted.length > 0 ? { redacted: args.redacted } : {}) });
    // The first `,"args":` is the member's: the members before it are strings and numbers, whose own quotes are escaped.
    const at = json.indexOf(',"args":0');
    if (at < 0) return host.writeAudit(record);
    return host.writeAudit(record, new AuditLineText(`${json.slice(0, at)},"args":${args.text}${json.slice(at + ',"args":0'.length, -1)}`));
  }

  /**
   * The params forwarded to the server, as JSON text: the server's own tool name, the arguments
   * exactly as the client wrote them (the policy decided on what JSON.parse made of them), the
   * client's `_meta` with the proxy's progress token in place of the client's, and any other
   * member as parsed.
   */
  #forwardedParams(requestId: string): string {
    const params = this.#params;
    let text = `{"name":${JSON.stringify(this.#tool)}`;
    if (this.#argsSpan && this.#line !== undefined) text += `,"arguments":${this.#line.slice(this.#argsSpan.start, this.#argsSpan.end)}`;
    else if (params.arguments !== undefined) text += `,"arguments":${JSON.stringify(params.arguments)}`;
    for (const key in params) {
      if (key === "name" || key === "arguments" || key === "_meta" || key === "task") continue;
      const value = JSON.stringify(params[key]);
      if (value !== undefined) text += `,${JSON.stringify(key)}:${value}`;
    }
    const { progressToken: _token, ...meta } = params._meta ?? {};
    // The token is the proxy's own, so that the server's progress finds this call.
    if (this.progressWanted) meta.progressToken = requestId;
    if (Object.keys(meta).length > 0) text += `,"_meta":${JSON.stringify(meta)}`;
    return `${text}}`;
  }

  /** Ends a call that a step threw out of: recorded as well as can be (the call did not run unless its intent was written), answered with an MCP error. */
  #crash(error: unknown): void {
    if (this.#over) return;
    const message = `Internal error in the aegisc proxy: ${errorMessage(error)}`;
    try {
      this.#host.log(`${shownName(this.#tool || this.#params?.name)} (request ${shownName(JSON.stringify(this.requestId))}): ${message}`);
    } catch {
      // Logging is not what the call depends on.
    }
    try {
      if (this.#forwardId !== undefined) this.#downstream?.cancel(this.#forwardId, "the proxy failed on this call");
      this.#forwardId = undefined;
      if (this.#decided) {
        const { call } = this.#decided;
        const policy = this.#host.runtime.policy?.hash;
        const record = this.#intentWritten
          ? proxyOutcomeRecord(call, { status: "failed", error: message, ...(policy !== undefined ? { policy } : {}) }, this.#context(), new Date().toISOString(), performance.now())
          : proxyAuditRecord(this.#baseRecord("blocked", message), this.#context(), performance.now());
        const written = this.#write(record);
        if (typeof written === "object") void written.catch(() => undefined);
      }
    } catch {
      // The record could not be made either; the answer still goes out.
    }
    this.#fail(new ProxyError(ErrorCode.InternalError, message));
  }

  #context(): CallAuditContext {
    if (this.#auditContext) return this.#auditContext;
    const server = (this.#decided as Decided).call.server;
    const context: CallAuditContext = { id: this.#callId(), startedAt: this.#startedAt, redact: this.#host.redactFor(server) };
    if (!this.#silent) context.requestId = this.requestId;
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
    const where = `${shownName(this.#tool)} on ${shownName(this.#downstream?.name)}`;
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
    if (this.#silent) {
      // No id to answer under.
    } else if (this.#sdk) this.#sdk.resolve(result);
    // Once cancelled, the request gets no answer, as the SDK server does it.
    else if (!this.#aborted) {
      if (text !== undefined) this.#host.sendText(`{"jsonrpc":"2.0","id":${JSON.stringify(this.requestId)},"result":${text}}`);
      else if (!this.#host.send({ jsonrpc: "2.0", id: this.requestId, result })) {
        // A result too deep to write out: the client gets an error instead of nothing.
        this.#host.send({ jsonrpc: "2.0", id: this.requestId, error: { code: ErrorCode.InternalError, message: "[aegisc] The server's result could not be passed on (nested too deeply)" } });
      }
    }
    this.#done?.resolve();
  }

  #fail(error: ProxyError): void {
    if (!this.#close()) return;
    if (this.#silent) {
      // No id to answer under.
    } else if (this.#sdk) this.#sdk.reject(error);
    else if (!this.#aborted) {
      const { code, message, data } = error;
      const sent = this.#host.send({
        jsonrpc: "2.0",
        id: this.requestId,
        error: { code: Number.isSafeInteger(code) ? code : ErrorCode.InternalError, message: typeof message === "string" ? message : "Internal error", ...(data !== undefined ? { data } : {}) },
      });
      if (!sent) this.#host.send({ jsonrpc: "2.0", id: this.requestId, error: { code: ErrorCode.InternalError, message: typeof message === "string" ? message : "Internal error" } });
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
