// Hook for timing the static analysis per policy size; the benchmark omits the analysis row while this returns undefined.

import type { Policy } from "../compiler/ir/types.ts";

/** Runs the analysis of a policy once (its result is discarded); the benchmark times it. */
export type AnalysisRunner = (policy: Policy) => unknown;

/**
 * The analysis belongs to another part of the compiler and has its own performance work; when it
 * is ready to be benchmarked, return a runner here (e.g. `(policy) => analyzePolicy(policy)`) and
 * `npm run bench` adds an `analysis` table and JSON entry. Until then nothing is measured or shown.
 */
export async function analysisRunner(): Promise<AnalysisRunner | undefined> {
  return undefined;
}
