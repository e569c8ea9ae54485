// An approver that asks the person at the terminal "Allow <tool> on <server>? [y/N]".
import { createInterface, type Interface } from "node:readline";
import { shownName, shownText } from "./display.ts";
import { ruleDescription } from "./runtime.ts";
import type { ApprovalRequest, Approver } from "./types.ts";

export interface TerminalApproverOptions {
  /** Where answers come from; default `process.stdin`. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where prompts go; default `process.stderr`, because stdout is often an MCP stdio transport. */
  output?: NodeJS.WritableStream;
  /** Treat `input` as a person at a keyboard even if it is not a TTY (for tests and for piped-in consoles). */
  interactive?: boolean;
}

export interface TerminalApprover extends Approver {
  /** Releases the input stream; pending and later prompts are denied. */
  close(): void;
}

const YES = /^\s*y(es)?\s*$/i;
const MAX_ARGS_CHARS = 2000;

/**
 * Prompts are asked one at a time, in call order. Without a TTY nobody can answer, so every
 * request is denied (with a note on `output`); so are end of input and any answer but y/yes.
 */
export function terminalApprover(options: TerminalApproverOptions = {}): TerminalApprover {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  const interactive = options.interactive ?? input.isTTY === true;
  const lines = new LineReader(input);
  let previous: Promise<unknown> = Promise.resolve();

  const approver = (request: ApprovalRequest): Promise<boolean> => {
    const { call } = request;
    if (!interactive) {
      output.write(`[aegisc] ${shownName(call.tool)} on ${shownName(call.server)} needs approval, but no terminal is attached: denied.\n`);
      return Promise.resolve(false);
    }
    const answer = previous.then(async () => {
      output.write(approvalContext(request));
      output.write(`Allow ${shownName(call.tool)} on ${shownName(call.server)}? [y/N] `);
      const line = await lines.next();
      if (line === null) output.write("\n");
      return line !== null && YES.test(line);
    });
    previous = answer.catch(() => undefined);
    // A broken terminal is a denial, never an exception.
    return answer.catch(() => false);
  };
  return Object.assign(approver, { close: () => lines.close() });
}

function approvalContext({ call, decision, policy }: ApprovalRequest): string {
  const description = ruleDescription(decision, policy);
  // Keys and values as JSON (escaped), then what JSON leaves as it is (C1 controls, bidi, separators) escaped too, and bounded.
  const args = call.args && Object.keys(call.args).length > 0 ? ` ${shownText(safeJson(call.args), MAX_ARGS_CHARS)}` : "";
  return `[aegisc] ${shownName(call.tool)} on ${shownName(call.server)}${args} needs approval (rule ${shownName(decision.rule)}, risk ${decision.risk})${description ? `: ${shownText(description, 500)}` : ""}\n`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "[unserializable arguments]";
  }
}

/**
 * One readline interface for the approver's whole life: a fresh one per prompt would swallow
 * lines that arrived in the same chunk as the answer. The input is paused between prompts so
 * that an idle approver does not keep the process alive.
 */
class LineReader {
  #readline?: Interface;
  #buffered: string[] = [];
  #waiting: ((line: string | null) => void)[] = [];
  #ended = false;

  constructor(private readonly input: NodeJS.ReadableStream) {}

  next(): Promise<string | null> {
    const buffered = this.#buffered.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#open().resume();
    });
  }

  close(): void {
    this.#readline?.close();
    this.#end();
  }

  #open(): Interface {
    if (this.#readline) return this.#readline;
    const readline = createInterface({ input: this.input, terminal: false });
    readline.on("line", (line) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter(line);
      else this.#buffered.push(line);
      if (this.#waiting.length === 0) readline.pause();
    });
    readline.on("close", () => this.#end());
    this.#readline = readline;
    return readline;
  }

  #end(): void {
    this.#ended = true;
    for (const waiter of this.#waiting.splice(0)) waiter(null);
  }
}
