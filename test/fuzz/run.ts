// `npm run fuzz -- [--cases N] [--seed S]`: the differential fuzzer (differential.ts) from the command line; prints the seed to replay a failure, exits 1 on one.
import { runDifferentialFuzz } from "./differential.ts";

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const cases = Number(option("--cases") ?? 100_000);
const seed = option("--seed") !== undefined ? Number(option("--seed")) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isSafeInteger(cases) || cases <= 0 || !Number.isSafeInteger(seed)) {
  console.error("usage: npm run fuzz -- [--cases N] [--seed S]");
  process.exit(2);
}
console.log(`fuzzing ${cases.toLocaleString("en-US")} cases, seed ${seed} (replay: npm run fuzz -- --cases ${cases} --seed ${seed})`);
const started = performance.now();
let reported = 0;
const result = runDifferentialFuzz({
  cases,
  seed,
  onProgress: (done, policies) => {
    if (done - reported < 100_000) return;
    reported = done;
    console.log(`  ${done.toLocaleString("en-US")} cases on ${policies.toLocaleString("en-US")} policies, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  },
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (result.failure) {
  console.error(`MISMATCH after ${result.cases.toLocaleString("en-US")} cases (${seconds} s): ${result.failure}`);
  process.exit(1);
}
console.log(
  `clean: ${result.cases.toLocaleString("en-US")} cases (each against the straight and the table module) on ${result.policies.toLocaleString("en-US")} policies ` +
    `(${result.rejected} random policies rejected by the compiler, not compared), ${result.decidedByRule.toLocaleString("en-US")} decided by a rule; seed ${seed}, ${seconds} s`,
);
