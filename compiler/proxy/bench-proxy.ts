// Measures what `aegisc proxy` adds to a call: read_text_file on the real filesystem server, direct and proxied, in one run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export interface ProxyLatencyOptions {
  /** Measured calls per side; default 400. */
  iterations?: number;
  /** Calls per side before measuring (JIT, caches); default 100. */
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
}

const POLICY = `version: "1"
defaults: { risk_level: high, approval: block }
rules:
  - name: reads
    match: { type: "read_*", target: "bench-*" }
    risk_level: low
    approval: auto
`;

/**
 * Starts the server twice (once behind `aegisc proxy`, spawned through bin/aegisc.js as an MCP
 * client would, with a real audit file) and alternates sequential calls between the two, so
 * that machine noise hits both sides alike. Reports medians of client-observed round trips.
 */
export async function measureProxyLatency(options: ProxyLatencyOptions = {}): Promise<ProxyLatency> {
  const iterations = options.iterations ?? 400;
  const warmup = options.warmup ?? 100;
  const root = mkdtempSync(join(tmpdir(), "aegisc-bench-proxy-"));
  const workspace = join(root, "workspace");
  const file = join(workspace, "notes.md");
  const serverEntry = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
  const bin = fileURLToPath(new URL("../../bin/aegisc.js", import.meta.url));
  const clients: Client[] = [];
  try {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(workspace);
    writeFileSync(file, "# Notes\nA small file, as most agent reads are.\n".repeat(20));
    writeFileSync(join(root, "policy.yaml"), POLICY);
    const connect = async (command: string, args: string[]) => {
      const client = new Client({ name: "aegisc-bench", version: "1.0.0" });
      await client.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
      clients.push(client);
      return client;
    };
    const [direct, proxied] = await Promise.all([
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
    ]);
    const once = async (client: Client): Promise<number> => {
      const start = performance.now();
      const result = await client.callTool({ name: "read_text_file", arguments: { path: file } });
      const elapsed = performance.now() - start;
      if (result.isError) throw new Error(`read_text_file failed: ${JSON.stringify(result.content)}`);
      return elapsed;
    };
    for (let i = 0; i < warmup; i++) {
      await once(direct);
      await once(proxied);
    }
    const directTimes: number[] = [];
    const proxiedTimes: number[] = [];
    for (let i = 0; i < iterations; i++) {
      // Alternating which side goes first keeps any warm-cache advantage from favoring one side.
      if (i % 2 === 0) {
        directTimes.push(await once(direct));
        proxiedTimes.push(await once(proxied));
      } else {
        proxiedTimes.push(await once(proxied));
        directTimes.push(await once(direct));
      }
    }
    const directMedianMs = median(directTimes);
    const proxiedMedianMs = median(proxiedTimes);
    return { directMedianMs, proxiedMedianMs, ratio: proxiedMedianMs / directMedianMs, iterations };
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
  console.log(
    `read_text_file over stdio, median of ${result.iterations}: direct ${result.directMedianMs.toFixed(3)} ms, ` +
      `through aegisc proxy ${result.proxiedMedianMs.toFixed(3)} ms, ratio ${result.ratio.toFixed(2)} (target ≤ 1.3)`,
  );
}
