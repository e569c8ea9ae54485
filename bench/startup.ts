// What a command costs before it is useful: aegisc's commands and proxy start-up as ratios to a bare `node -e 0`, all spawned in turn in one run.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = join(repo, "bin/aegisc.js");
const seed = join(repo, "examples/quickstart/policy.yaml");
const minimalServer = fileURLToPath(new URL("./minimal-mcp-server.mjs", import.meta.url));

export interface StartupRow {
  readonly name: string;
  readonly medianMs: number;
  /** medianMs / the `node -e 0` median of the same run. */
  readonly ratio: number;
  readonly goal: number;
  /** Peak resident memory in MB, where the row has a memory goal. */
  readonly peakRssMb?: number;
  readonly rssGoalMb?: number;
}

export interface StartupResult {
  readonly runs: number;
  readonly nodeMs: number;
  /** The minimal MCP server on its own until it answers initialize: the floor under both proxy rows. */
  readonly serverAloneMs: number;
  readonly rows: readonly StartupRow[];
}

interface Sample {
  ms: number;
  peakRssMb?: number;
}

/** Runs a command to its end. */
function timeCommand(args: readonly string[], cwd: string): Sample {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = performance.now() - start;
  if (result.status !== 0 && result.status !== 1) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { ms };
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "aegisc-bench", version: "1.0.0" } },
});

/** Spawns an MCP server (or the proxy in front of one), sends initialize, and times until the answer; reads the process's peak RSS then. */
function timeInitialize(args: readonly string[], cwd: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (!out.includes('"id":1')) reject(new Error(`${args.join(" ")} exited ${code} before answering initialize: ${err}`));
    });
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (!out.includes("\n") || !out.includes('"id":1')) return;
      const ms = performance.now() - start;
      if (!out.includes('"result"')) reject(new Error(`initialize failed: ${out}`));
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      child.kill();
      resolve({ ms, peakRssMb: peakKb / 1024 });
    });
    child.stdin.write(INITIALIZE + "\n");
  });
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Every command runs once per round, in a rotating order, so that the machine's noise is shared;
 * the medians are compared with the `node -e 0` median of the same rounds.
 */
export async function measureStartup(runs = 15): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), "aegisc-bench-startup-"));
  try {
    writeFileSync(join(dir, "policy.yaml"), readFileSync(seed));
    const built = spawnSync(process.execPath, [bin, "build", "policy.yaml", "-o", ".", "--emit", "js"], { cwd: dir, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`aegisc build --emit js failed: ${built.stderr}`);
    const server = [minimalServer];
    const proxy = ["proxy", "--server-name", "dev-filesystem", "--audit-dir", join(dir, "audit")];
    type Measure = { name: string; goal: number; rssGoalMb?: number; run: () => Sample | Promise<Sample> };
    const measures: Measure[] = [
      { name: "node -e 0", goal: 1, run: () => timeCommand(["-e", "0"], dir) },
      { name: "aegisc --version", goal: 2, run: () => timeCommand([bin, "--version"], dir) },
      { name: "aegisc check (seed policy)", goal: 4, run: () => timeCommand([bin, "check", "policy.yaml"], dir) },
      { name: "aegisc build (seed policy)", goal: 10, run: () => timeCommand([bin, "build", "policy.yaml", "-o", "out"], dir) },
      { name: "MCP server alone, until initialize", goal: Infinity, run: () => timeInitialize(server, dir) },
      { name: "aegisc proxy --guard, until initialize", goal: 4, rssGoalMb: 80, run: () => timeInitialize([bin, ...proxy, "--guard", "policy.guard.js", "--", process.execPath, ...server], dir) },
      { name: "aegisc proxy --policy, until initialize", goal: 12, run: () => timeInitialize([bin, ...proxy, "--policy", "policy.yaml", "--", process.execPath, ...server], dir) },
    ];
    const samples = measures.map(() => [] as Sample[]);
    for (let round = 0; round < runs; round++) {
      for (let k = 0; k < measures.length; k++) {
        const i = (round + k) % measures.length;
        samples[i].push(await measures[i].run());
      }
    }
    const nodeMs = median(samples[0].map((s) => s.ms));
    const rows = measures.map((m, i): StartupRow => {
      const medianMs = median(samples[i].map((s) => s.ms));
      const rss = samples[i].flatMap((s) => (s.peakRssMb === undefined ? [] : [s.peakRssMb]));
      return { name: m.name, medianMs, ratio: medianMs / nodeMs, goal: m.goal, ...(m.rssGoalMb !== undefined ? { peakRssMb: Math.max(...rss), rssGoalMb: m.rssGoalMb } : {}) };
    });
    const serverAlone = rows.find((r) => r.name.startsWith("MCP server alone"))!;
    return { runs, nodeMs, serverAloneMs: serverAlone.medianMs, rows: rows.filter((r) => r !== serverAlone) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table as `npm run bench` prints it, each row against its goal. */
export function describeStartup(result: StartupResult): string {
  const lines = [`medians of ${result.runs} runs each, interleaved; ratios to node -e 0 (${result.nodeMs.toFixed(0)} ms) in the same run`];
  for (const r of result.rows.slice(1)) {
    const rss = r.peakRssMb !== undefined ? `, peak RSS ${r.peakRssMb.toFixed(0)} MB (goal ≤ ${r.rssGoalMb} MB: ${r.peakRssMb <= r.rssGoalMb! ? "met" : "MISSED"})` : "";
    lines.push(`  ${r.name.padEnd(40)} ${`${r.medianMs.toFixed(0)} ms`.padStart(8)} ${`${r.ratio.toFixed(2)}×`.padStart(7)} (goal ≤ ${r.goal}×: ${r.ratio <= r.goal ? "met" : "MISSED"})${rss}`);
  }
  lines.push(`  (the proxy rows include starting the minimal MCP server behind them: ${result.serverAloneMs.toFixed(0)} ms, ${(result.serverAloneMs / result.nodeMs).toFixed(2)}× on its own)`);
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(describeStartup(await measureStartup(Number(process.argv[2] ?? 15))));
}
