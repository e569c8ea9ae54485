// Timing primitives for the benchmark: a fresh loop per implementation, batches timed with hrtime, medians.

export interface LoopTarget {
  /** A label for errors. */
  readonly name: string;
  /** JavaScript expression deciding `calls[i]` with `impl`, and one turning its result `d` into an int for the checksum. */
  readonly callExpression: string;
  readonly checksumExpression: string;
  readonly impl: unknown;
}

export type Loop = (calls: readonly unknown[], count: number) => number;

/**
 * A loop compiled from source for each implementation and policy size: V8 keeps type feedback per
 * function literal, so a shared loop would turn every call site megamorphic and charge each
 * implementation for the others. The checksum of every result keeps the work from being removed.
 */
export function makeLoop(target: LoopTarget): Loop {
  const body = `
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const d = ${target.callExpression};
      sum = (sum + (${target.checksumExpression})) | 0;
    }
    return sum;`;
  const factory = new Function("impl", `return function loop_${target.name.replace(/\W/g, "_")}(calls, count) {${body}\n};`) as (impl: unknown) => Loop;
  return factory(target.impl);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nanoseconds for one pass of `loop` over the first `count` calls. */
export function timeBatch(loop: Loop, calls: readonly unknown[], count: number): { ns: number; checksum: number } {
  const start = process.hrtime.bigint();
  const checksum = loop(calls, count);
  const ns = Number(process.hrtime.bigint() - start);
  return { ns, checksum };
}

export interface BatchPlan {
  readonly count: number;
}

/**
 * Warms the loop up and picks how many calls one batch covers. The warm-up runs for at least
 * `warmupMs` and over every call a batch will time, so that every tier of the JIT and any memo
 * of names the implementation keeps are in their steady state. A batch is then the whole
 * workload for fast implementations, fewer calls for slow ones (about `targetMs` per batch), but
 * never fewer than `minCalls`.
 */
export function planBatch(loop: Loop, calls: readonly unknown[], targetMs: number, minCalls: number, warmupMs: number): BatchPlan {
  let count = Math.min(calls.length, 64);
  const deadline = performance.now() + warmupMs;
  for (;;) {
    const { ns } = timeBatch(loop, calls, count);
    const timeLeft = performance.now() < deadline;
    if (count < calls.length && ns < warmupMs * 1e6 * 0.25) count = Math.min(calls.length, count * 2);
    else if (!timeLeft) break;
  }
  const { ns } = timeBatch(loop, calls, count);
  const nsPerCall = ns / count;
  const wanted = Math.round((targetMs * 1e6) / nsPerCall);
  const batch = Math.max(Math.min(minCalls, calls.length), Math.min(calls.length, wanted));
  // The batch can reach past the calls the warm-up ran, when the first pass was slow (a memo filling, at 10,000 rules):
  // warm up again on the batch itself, at least twice and for `warmupMs`, so that timed batches neither classify
  // names for the first time nor run while the garbage collector is still marking what the memo allocated.
  if (batch > count) {
    const again = performance.now() + warmupMs;
    for (let pass = 0; pass < 2 || performance.now() < again; pass++) timeBatch(loop, calls, batch);
  }
  return { count: batch };
}
