// Compares the two combine modes of a large policy in a worker thread, beside the rules' own analysis on this one, following it through shared memory.

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import type { Policy } from "../ir/types.ts";
import type { Finding } from "./analyze.ts";

/**
 * Shared control words: how many rules (in strictest order) the rules' own analysis has settled,
 * whether it stopped at the work limit, a heartbeat of the worker, and whether its answer is
 * posted. After them, one byte per rule: 1 when the rule was found to decide nothing.
 */
export const PROGRESS = 0;
export const STOPPED = 1;
export const BEAT = 2;
export const ANSWERED = 3;
const CONTROL_WORDS = 4;

/** What the worker is given. */
export interface ModesWork {
  readonly policy: Policy;
  readonly workLimit: number | undefined;
  readonly shared: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** A finding as it crosses threads: rules by index. */
export type SentFinding = Omit<Finding, "rule" | "others"> & { readonly rule: number; readonly others: readonly number[] };

/** The worker's answer: the mode findings, or that the comparison spent its work limit or that the rules' own analysis stopped first; or the error that ended it. */
export type ModesAnswer = { readonly findings: readonly SentFinding[]; readonly steps: number } | { readonly exhausted: true; readonly steps: number } | { readonly stopped: true } | { readonly error: string };

/** The control words and rule bytes over one shared buffer. */
export function sharedViews(shared: SharedArrayBuffer, rules: number): { control: Int32Array; silent: Uint8Array } {
  return { control: new Int32Array(shared, 0, CONTROL_WORDS), silent: new Uint8Array(shared, CONTROL_WORDS * 4, rules) };
}

/** With no sign of the worker for this long once the rules' own analysis is done, it is given up and the modes are compared here. */
const STALL_MS = 30_000;

/** The worker's file beside this one: the compiled `.js` in the package, a tsx shim when the compiler runs from its sources. */
const WORKER_ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./modes-worker.mjs" : "./modes-worker.js", import.meta.url);

/** The worker side of a comparison that runs beside the rules' own analysis. */
export class ModesBeside {
  private readonly control: Int32Array;
  private readonly silent: Uint8Array;

  private constructor(
    private readonly policy: Policy,
    private readonly worker: Worker,
    private readonly port: MessagePort,
    shared: SharedArrayBuffer,
  ) {
    ({ control: this.control, silent: this.silent } = sharedViews(shared, policy.rules.length));
  }

  /** Starts the worker; undefined when no worker thread can be started here. */
  static start(policy: Policy, workLimit: number | undefined): ModesBeside | undefined {
    const shared = new SharedArrayBuffer(CONTROL_WORDS * 4 + policy.rules.length);
    const { port1, port2 } = new MessageChannel();
    try {
      const work: ModesWork = { policy, workLimit, shared, port: port2 };
      const worker = new Worker(WORKER_ENTRY, { workerData: work, transferList: [port2] });
      // The worker must not keep the process alive once its answer is read, nor crash it.
      worker.unref();
      worker.on("error", () => {});
      return new ModesBeside(policy, worker, port1, shared);
    } catch {
      return undefined;
    }
  }

  /** The rules' own analysis has settled `count` rules in strictest order, the last being `rule`. */
  settled(count: number, rule: number, decidesNothing: boolean): void {
    if (decidesNothing) this.silent[rule] = 1;
    Atomics.store(this.control, PROGRESS, count);
    Atomics.notify(this.control, PROGRESS);
  }

  /** The rules' own analysis stopped at the work limit: the modes are not compared. */
  stop(): void {
    Atomics.store(this.control, STOPPED, 1);
    Atomics.notify(this.control, PROGRESS);
    void this.worker.terminate();
  }

  /**
   * Waits for the worker's answer (the rules' own analysis must be done): the mode findings with
   * this thread's rules, or that the comparison spent its limit; undefined when the worker gave
   * no sign for STALL_MS (it may not have started), for the caller to compare the modes itself.
   */
  answer(): { findings: Finding[]; steps: number } | { exhausted: true; steps: number } | undefined {
    let beat = Atomics.load(this.control, BEAT);
    let since = Date.now();
    while (Atomics.load(this.control, ANSWERED) === 0) {
      Atomics.wait(this.control, ANSWERED, 0, 1000);
      const now = Atomics.load(this.control, BEAT);
      if (now !== beat) [beat, since] = [now, Date.now()];
      else if (Date.now() - since > STALL_MS) {
        void this.worker.terminate();
        return undefined;
      }
    }
    // The answer is posted before the flag is set; it is read from the port as soon as it is there.
    let answer: ModesAnswer | undefined;
    for (let tries = 0; answer === undefined && tries < 100; tries++) {
      answer = receiveMessageOnPort(this.port)?.message as ModesAnswer | undefined;
      if (answer === undefined) Atomics.wait(this.control, BEAT, Atomics.load(this.control, BEAT), 10);
    }
    this.port.close();
    void this.worker.terminate();
    if (!answer) return undefined;
    if ("error" in answer) throw new Error(`comparing the modes failed: ${answer.error}`);
    if ("stopped" in answer) return undefined;
    if ("exhausted" in answer) return answer;
    const rules = this.policy.rules;
    return { findings: answer.findings.map((f) => ({ ...f, rule: rules[f.rule], others: f.others.map((o) => rules[o]) })), steps: answer.steps };
  }
}
