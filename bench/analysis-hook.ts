// Hook for timing the static analysis per policy size: the benchmark times one run and records whether it finished within its work limits.

import { analyzePolicy } from "../compiler/analysis/analyze.ts";
import type { Policy } from "../compiler/ir/types.ts";

/** Runs the analysis of a policy once; returns how many rules it left unfinished (0 when complete). */
export type AnalysisRunner = (policy: Policy) => { unfinished: number };

export async function analysisRunner(): Promise<AnalysisRunner | undefined> {
  return (policy) => ({ unfinished: analyzePolicy(policy).filter((f) => f.kind === "incomplete").length });
}
