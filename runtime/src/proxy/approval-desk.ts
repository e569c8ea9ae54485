// Gets a human's answer for an `approve` decision: remembered approval, MCP elicitation, the terminal, or the fallback denial.
import { closeSync, openSync } from "node:fs";
import { ReadStream, WriteStream } from "node:tty";
import { shownName } from "../display.ts";
import { terminalApprover, type TerminalApprover } from "../terminal-approver.ts";
import type { ApprovalRequest } from "../types.ts";
import { approvalKey, type RememberedApprovals } from "./approval-binding.ts";
import { approvalForm, readApprovalAnswer, type ApprovalForm } from "./approval-form.ts";

/** How the answer was obtained. */
export type ApprovalVia = "elicitation" | "terminal" | "remembered" | "fallback";
/** What the answer was; only "approve" lets the call through. */
export type ApprovalAnswer = "approve" | "deny" | "decline" | "cancel" | "timeout" | "aborted" | "error" | "unavailable";

export interface ApprovalOutcome {
  via: ApprovalVia;
  answer: ApprovalAnswer;
  /** Why the call was not approved, in words for the model and the audit trail. */
  reason?: string;
}

/** What to do when the client cannot show an elicitation form (`--approval`). */
export type ApprovalFallback = "deny" | "prompt";

export interface ElicitAnswer {
  action: string;
  content?: Record<string, unknown>;
}

export interface TerminalStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  close(): void;
}

/** Sends an approval form to the MCP client and resolves with the human's answer. */
export type Elicit = (form: ApprovalForm, options: { signal: AbortSignal; timeoutMs: number }) => Promise<ElicitAnswer>;

export interface ApprovalDeskOptions {
  /** The way to reach the client's user right now; undefined while the client has not declared form elicitation. */
  elicit?: () => Elicit | undefined;
  fallback: ApprovalFallback;
  remembered: RememberedApprovals;
  /** How long a human may take, for elicitation and the terminal alike. */
  timeoutMs: number;
  /** How often a waiting call reports progress, so that clients that reset their timeout on progress keep waiting. */
  keepAliveMs: number;
  /** Opens the controlling terminal for `--approval prompt`; undefined when there is none. */
  openTerminal?: () => TerminalStreams | undefined;
  log: (line: string) => void;
}

export interface ApprovalCallContext {
  signal: AbortSignal;
  /** Reports that the call is still waiting for a human (a progress notification), when the client asked for progress. */
  keepAlive?: (message: string) => void;
  /** The call as the human is shown it (its `--redact` paths masked); the approval is still bound to the call itself. */
  shown?: ApprovalRequest["call"];
}

export class ApprovalDesk {
  readonly #options: ApprovalDeskOptions;
  #terminal?: { streams: TerminalStreams; approver: TerminalApprover } | null;

  constructor(options: ApprovalDeskOptions) {
    this.#options = options;
  }

  /** Never throws: every failure is an outcome that denies. */
  async decide(request: ApprovalRequest, context: ApprovalCallContext): Promise<ApprovalOutcome> {
    const { remembered } = this.#options;
    const key = approvalKey(request.call, request.policy?.hash);
    if (remembered.has(key)) return { via: "remembered", answer: "approve" };
    const elicit = this.#options.elicit?.();
    const shownRequest = context.shown ? { ...request, call: context.shown } : request;
    let outcome: ApprovalOutcome;
    const stopKeepAlive = this.#keepAlive(request, context);
    try {
      if (elicit) outcome = await this.#elicit(elicit, shownRequest, context);
      else if (this.#options.fallback === "prompt") outcome = await this.#prompt(shownRequest, context);
      else {
        outcome = {
          via: "fallback",
          answer: "unavailable",
          reason: "Needs a human's approval, but the MCP client does not support elicitation and the proxy's --approval fallback is deny",
        };
      }
    } catch (error) {
      outcome = { via: elicit ? "elicitation" : "terminal", answer: "error", reason: `Approval failed, call denied: ${messageOf(error)}` };
    } finally {
      stopKeepAlive();
    }
    if (outcome.answer === "approve") remembered.remember(key);
    return outcome;
  }

  close(): void {
    if (this.#terminal) {
      this.#terminal.approver.close();
      this.#terminal.streams.close();
    }
    this.#terminal = null;
  }

  #keepAlive(request: ApprovalRequest, context: ApprovalCallContext): () => void {
    const { keepAlive } = context;
    if (!keepAlive || this.#options.keepAliveMs <= 0) return () => undefined;
    const message = `Waiting for a human to approve ${shownName(request.call.tool)} on ${shownName(request.call.server)}`;
    keepAlive(message);
    const timer = setInterval(() => keepAlive(message), this.#options.keepAliveMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  async #elicit(elicit: Elicit, request: ApprovalRequest, context: ApprovalCallContext): Promise<ApprovalOutcome> {
    const { timeoutMs } = this.#options;
    let result: ElicitAnswer;
    try {
      result = await elicit(approvalForm(request), { signal: context.signal, timeoutMs });
    } catch (error) {
      if (context.signal.aborted) return { via: "elicitation", answer: "aborted", reason: "The client cancelled the call while it waited for approval" };
      if (isTimeout(error)) {
        this.#options.log(`no answer to the approval request for ${shownName(request.call.tool)} on ${shownName(request.call.server)} within ${seconds(timeoutMs)}: denied`);
        return { via: "elicitation", answer: "timeout", reason: `Nobody answered the approval request within ${seconds(timeoutMs)}, so the call was denied` };
      }
      return { via: "elicitation", answer: "error", reason: `The approval request failed, so the call was denied: ${messageOf(error)}` };
    }
    const answer = readApprovalAnswer(result);
    return answer === "approve" ? { via: "elicitation", answer } : { via: "elicitation", answer, reason: denialReason(answer) };
  }

  async #prompt(request: ApprovalRequest, context: ApprovalCallContext): Promise<ApprovalOutcome> {
    const terminal = this.#openTerminal();
    if (!terminal) {
      return {
        via: "terminal",
        answer: "unavailable",
        reason: "Needs a human's approval, but the MCP client does not support elicitation and the proxy has no controlling terminal to ask on",
      };
    }
    const { timeoutMs } = this.#options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<ApprovalOutcome>((resolve) => {
      timer = setTimeout(() => {
        terminal.streams.output.write(`\n[aegisc] no answer within ${seconds(timeoutMs)}: denied.\n`);
        resolve({ via: "terminal", answer: "timeout", reason: `Nobody answered the approval prompt within ${seconds(timeoutMs)}, so the call was denied` });
      }, timeoutMs);
      onAbort = () => resolve({ via: "terminal", answer: "aborted", reason: "The client cancelled the call while it waited for approval" });
      if (context.signal.aborted) onAbort();
      else context.signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const answered = terminal.approver(request);
      return await Promise.race([
        Promise.resolve(answered).then((yes): ApprovalOutcome => (yes ? { via: "terminal", answer: "approve" } : { via: "terminal", answer: "deny", reason: "Denied at the terminal by the human operator" })),
        gaveUp,
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) context.signal.removeEventListener("abort", onAbort);
    }
  }

  #openTerminal(): { streams: TerminalStreams; approver: TerminalApprover } | undefined {
    if (this.#terminal === undefined) {
      let streams: TerminalStreams | undefined;
      try {
        streams = (this.#options.openTerminal ?? openControllingTerminal)();
      } catch {
        streams = undefined;
      }
      this.#terminal = streams ? { streams, approver: terminalApprover({ input: streams.input, output: streams.output, interactive: true }) } : null;
      if (!streams) this.#options.log("--approval prompt: there is no controlling terminal to ask on, so calls that need approval are denied");
    }
    return this.#terminal ?? undefined;
  }
}

function denialReason(answer: "deny" | "decline" | "cancel"): string {
  if (answer === "cancel") return "The human dismissed the approval request without answering, so the call was denied";
  return "Denied by the human operator";
}

function isTimeout(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === -32001;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^MCP error -?\d+: /, "") : String(error);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The terminal the proxy was started from (not stdin/stdout, which carry MCP), or undefined. */
export function openControllingTerminal(): TerminalStreams | undefined {
  const windows = process.platform === "win32";
  let inFd: number | undefined;
  let outFd: number | undefined;
  try {
    inFd = openSync(windows ? "CONIN$" : "/dev/tty", "r");
    outFd = openSync(windows ? "CONOUT$" : "/dev/tty", "w");
    const input = new ReadStream(inFd);
    const output = new WriteStream(outFd);
    return {
      input,
      output,
      close: () => {
        input.destroy();
        output.destroy();
      },
    };
  } catch {
    for (const fd of [inFd, outFd]) if (fd !== undefined) closeQuietly(fd);
    return undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // The descriptor was never usable; nothing else to release.
  }
}
