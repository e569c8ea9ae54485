#!/usr/bin/env node
// Builds the packages (incrementally), then runs every uvu suite (test/**/*.test.ts) in its own Node process through tsx and prints one `N passed, N failed` line.
// Usage: node test/run.mjs [path-prefix…]   e.g. `node test/run.mjs test/runtime`
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const filters = process.argv.slice(2).map((f) => relative(root, join(process.cwd(), f)));

// Suites that spawn bin/aegisc.js or install the packed packages run the compiled dist/, so it must match the sources.
const build = spawnSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, encoding: "utf8" });
if (build.status !== 0) {
  process.stdout.write(`FAIL npm run build\n${build.stdout}${build.stderr}`.replace(/\n(?!$)/g, "\n    ") + "\n");
  console.log("0 passed, 1 failed");
  process.exit(1);
}

function findSuites(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (name === "node_modules" || name === "fixtures" || name.startsWith("_")) continue;
    if (statSync(full).isDirectory()) out.push(...findSuites(full));
    else if (name.endsWith(".test.ts")) out.push(full);
  }
  return out;
}

const suites = findSuites(join(root, "test")).filter((f) => {
  const rel = relative(root, f);
  return filters.length === 0 || filters.some((p) => rel.startsWith(p));
});

function runSuite(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root, env: { ...process.env, FORCE_COLOR: "0" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => {
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      // uvu's Total excludes skipped tests. A suite that exits non-zero with nothing failed
      // (a crash before or after its summary) counts as one failure.
      const failed = total - passed + (code !== 0 && total === passed ? 1 : 0);
      resolve({ file, code, out, passed, failed, skipped });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const concurrency = Math.max(1, Number(process.env.TEST_CONCURRENCY ?? 2));
const queue = [...suites];
const results = [];
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runSuite(file);
      results.push(r);
      const rel = relative(root, r.file);
      process.stdout.write(`${r.failed > 0 ? "FAIL" : "ok  "} ${rel} (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ""})\n`);
      if (r.failed > 0 || process.env.TEST_VERBOSE) process.stdout.write(r.out.replace(/^/gm, "    ") + "\n");
    }
  }),
);
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
}
if (suites.length === 0) {
  console.log("no test suites found");
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
