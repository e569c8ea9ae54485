// The worker thread of ModesBeside: compares the modes on a model of its own, following the rules' own analysis through shared memory, and posts the findings.

import { workerData } from "node:worker_threads";
import { compareModes, type Finding } from "./analyze.ts";
import { ANSWERED, BEAT, PROGRESS, sharedViews, STOPPED, type ModesAnswer, type ModesWork, type SentFinding } from "./modes-beside.ts";

const { policy, workLimit, shared, port } = workerData as ModesWork;
const { control, silent } = sharedViews(shared, policy.rules.length);

/** Waits until the rules' own analysis has settled the first `rank` rules of `order`, and adds those that decide nothing to `decidesNothing`; false when it stopped first. */
let synced = 0;
function reach(rank: number, order: readonly number[], decidesNothing: Set<number>): boolean {
  for (let seen = Atomics.load(control, PROGRESS); seen < rank; seen = Atomics.load(control, PROGRESS)) {
    if (Atomics.load(control, STOPPED) === 1) return false;
    Atomics.wait(control, PROGRESS, seen, 1000);
  }
  for (; synced < rank; synced++) if (silent[order[synced]] === 1) decidesNothing.add(order[synced]);
  Atomics.add(control, BEAT, 1);
  return true;
}

const sent = (f: Finding): SentFinding => ({ ...f, rule: f.rule.index, others: f.others.map((o) => o.index) });

let answer: ModesAnswer;
try {
  Atomics.add(control, BEAT, 1);
  const outcome = compareModes(policy, workLimit, reach);
  answer = outcome === undefined ? { stopped: true } : "exhausted" in outcome ? outcome : { findings: outcome.findings.map(sent), steps: outcome.steps };
} catch (e) {
  answer = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
port.postMessage(answer);
Atomics.store(control, ANSWERED, 1);
Atomics.notify(control, ANSWERED);
port.close();
