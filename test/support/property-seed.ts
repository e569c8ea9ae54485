// Run options for fast-check: a fixed seed per test so that every run (CI included) checks the same cases; FC_SEED explores others.

/**
 * `FC_SEED=<integer>` replays one seed (fast-check prints it on failure); `FC_SEED=random` lets fast-check pick a fresh
 * one, for exploring beyond the fixed cases.
 */
export function propertyRun(numRuns: number, fixedSeed: number): { numRuns: number; seed?: number } {
  const chosen = process.env.FC_SEED;
  if (chosen === undefined || chosen === "") return { numRuns, seed: fixedSeed };
  if (chosen === "random") return { numRuns };
  const seed = Number(chosen);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer or "random", not ${JSON.stringify(chosen)}`);
  return { numRuns, seed };
}
