// Measures what `aegisc proxy` adds to a call: read_text_file on the real filesystem server, direct and proxied, in one run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export interface ProxyLatencyOptions {
  /** Measured calls per side; default 1,000. */
  iterations?: number;
  /**
   * Calls per side before measuring; default 2,000. A proxy serves a whole session, and both
   * processes need this many calls before V8 has optimized their hot paths (the first few
   * hundred run interpreted on both sides); the first COLD_CALLS are reported separately.
   */
  warmup?: number;
  /** Extra `aegisc proxy` options, e.g. ["--redact", "content"]. */
  proxyArgs?: readonly string[];
}

export interface ProxyLatency {
  directMedianMs: number;
  proxiedMedianMs: number;
  /** proxied / direct; the target is ≤ 1.3. */
  ratio: number;
  iterations: number;
  warmup: number;
  /** Through a process that only copies bytes both ways: the cost of the extra hop alone. */
  passThroughMedianMs: number;
  /** passThrough / direct: the lowest ratio any stdio proxy could show in this run. */
  passThroughRatio: number;
  /** proxied / direct over the first COLD_CALLS calls after startup (part of the warm-up). */
  coldRatio: number;
  coldCalls: number;
}

/** How many of the first calls make up the cold figure. */
const COLD_CALLS = 200;

/** The floor: a process between client and server that copies bytes and does nothing else. */
const PASS_THROUGH = `const { spawn } = require("node:child_process");
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ["pipe", "pipe", "ignore"] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
process.stdin.on("end", () => child.stdin.end());
child.on("exit", () => process.exit(0));`;

const POLICY = `version: "1"
defaults: { risk_level: high, approval: block }
rules:
  - name: reads
    match: { type: "read_*", target: "bench-*" }
    risk_level: low
    approval: auto
`;

/**
 * Starts the server three times (direct; behind `aegisc proxy`, spawned through bin/aegisc.js as
 * an MCP client would, with a real audit file; behind a byte pipe) and rotates sequential calls
 * among them, so that machine noise hits all alike. Reports medians of client-observed round trips.
 */
export async function measureProxyLatency(options: ProxyLatencyOptions = {}): Promise<ProxyLatency> {
  const iterations = options.iterations ?? 1000;
  const warmup = options.warmup ?? 2000;
  const root = mkdtempSync(join(tmpdir(), "aegisc-bench-proxy-"));
  const workspace = join(root, "workspace");
  const file = join(workspace, "notes.md");
  const serverEntry = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
  const bin = fileURLToPath(new URL("../bin/aegisc.js", import.meta.url));
  const clients: Client[] = [];
  try {
    mkdirSync(workspace);
    writeFileSync(file, "# Notes\nA small file, as most agent reads are.\n".repeat(20));
    writeFileSync(join(root, "policy.yaml"), POLICY);
    const connect = async (command: string, args: string[]) => {
      const client = new Client({ name: "aegisc-bench", version: "1.0.0" });
      await client.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
      clients.push(client);
      return client;
    };
    const [direct, proxied, passThrough] = await Promise.all([
      connect(process.execPath, [serverEntry, workspace]),
      connect(process.execPath, [
        bin,
        "proxy",
        "--policy",
        join(root, "policy.yaml"),
        "--server-name",
        "bench-filesystem",
        "--audit-dir",
        join(root, "audit"),
        ...(options.proxyArgs ?? []),
        "--",
        process.execPath,
        serverEntry,
        workspace,
      ]),
      connect(process.execPath, ["-e", PASS_THROUGH, process.execPath, serverEntry, workspace]),
    ]);
    const once = async (client: Client): Promise<number> => {
      const start = performance.now();
      const result = await client.callTool({ name: "read_text_file", arguments: { path: file } });
      const elapsed = performance.now() - start;
      if (result.isError) throw new Error(`read_text_file failed: ${JSON.stringify(result.content)}`);
      return elapsed;
    };
    const sides = [direct, proxied, passThrough];
    const times: number[][] = sides.map(() => []);
    // Rotating which side goes first keeps any warm-cache advantage from favoring one side.
    const round = async (i: number) => {
      for (let k = 0; k < sides.length; k++) {
        const side = (i + k) % sides.length;
        times[side].push(await once(sides[side]));
      }
    };
    for (let i = 0; i < warmup; i++) await round(i);
    const cold = times.map((t) => median(t.slice(0, COLD_CALLS)));
    for (const t of times) t.length = 0;
    for (let i = 0; i < iterations; i++) await round(i);
    const [directMedianMs, proxiedMedianMs, passThroughMedianMs] = times.map(median);
    return {
      directMedianMs,
      proxiedMedianMs,
      ratio: proxiedMedianMs / directMedianMs,
      iterations,
      warmup,
      passThroughMedianMs,
      passThroughRatio: passThroughMedianMs / directMedianMs,
      coldRatio: cold[1] / cold[0],
      coldCalls: Math.min(COLD_CALLS, warmup),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measureProxyLatency();
  console.log(describeProxyLatency(result));
}

/** The figures as `npm run bench` and this file's own run print them. */
export function describeProxyLatency(r: ProxyLatency): string {
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  return (
    `read_text_file over stdio, medians of ${r.iterations.toLocaleString("en-US")} calls per side after ${r.warmup.toLocaleString("en-US")} warm-up calls:\n` +
    `  direct ${ms(r.directMedianMs)}, through aegisc proxy ${ms(r.proxiedMedianMs)}: ratio ${r.ratio.toFixed(2)} (target ≤ 1.3), ${ms(r.proxiedMedianMs - r.directMedianMs)} added per call\n` +
    `  through a bare byte pipe ${ms(r.passThroughMedianMs)}: ratio ${r.passThroughRatio.toFixed(2)} (the floor of any stdio proxy), ${ms(r.passThroughMedianMs - r.directMedianMs)} added per call\n` +
    `  through aegisc proxy / through the bare pipe: ${(r.proxiedMedianMs / r.passThroughMedianMs).toFixed(2)} (target ≤ 1.15), ${ms(r.proxiedMedianMs - r.passThroughMedianMs)} more per call\n` +
    `  first ${r.coldCalls} calls after startup: ratio ${r.coldRatio.toFixed(2)}`
  );
}
