// Hook for timing the static analysis per policy size: the benchmark times one run and records whether it finished within its work limits, and how far it got.

import { analyzePolicyWithStats, type AnalysisStats } from "../compiler/analysis/analyze.ts";
import type { Policy } from "../compiler/ir/types.ts";

/** Runs the analysis of a policy once; says how many findings report unfinished work (0 when complete) and how far it got. */
export type AnalysisRunner = (policy: Policy) => { unfinished: number; stats: AnalysisStats };

export async function analysisRunner(): Promise<AnalysisRunner | undefined> {
  return (policy) => {
    const { findings, stats } = analyzePolicyWithStats(policy);
    return { unfinished: findings.filter((f) => f.kind === "incomplete").length, stats };
  };
}
