// aegisc's generated module against Cedar and Casbin on the bench's policies: decisions checked equal, then load time and memory, then per-decision medians, round-robin.

import v8 from "node:v8";
import vm from "node:vm";
import { decide as interpretDecide, type Decision, type ToolCall } from "../../compiler/interpret.ts";
import type { Policy } from "../../compiler/ir/types.ts";
import { makeLoop, median, timeBatch, type Loop } from "../measure.ts";
import { loadCasbin, translateToCasbin } from "./casbin.ts";
import { loadCedar, translateToCedar } from "./cedar.ts";
import type { TranslationNote } from "./shared.ts";

export const ENGINES = ["aegisc", "cedar", "casbin"] as const;
export type Engine = (typeof ENGINES)[number];
export const ENGINE_LABELS: Readonly<Record<Engine, string>> = { aegisc: "aegisc", cedar: "Cedar", casbin: "Casbin" };

export interface EngineSettings {
  readonly repetitions: number;
  /** About how long one timed batch of the slowest engine runs; the sample of calls is sized from it. */
  readonly targetMs: number;
  /** The fewest calls in the timed sample. */
  readonly minCalls: number;
  /** Calls checked for equal decisions: `checkBudget / rules`, between these bounds. */
  readonly minCheck: number;
  readonly maxCheck: number;
  readonly checkBudget: number;
  readonly warmupMs: number;
  /** The longest warm-up of one engine, when its batches keep getting faster (Cedar's Wasm tiers up in the background). */
  readonly maxWarmupMs: number;
}

/** The quick run checks and times fewer calls; every engine still runs at every size. */
export function engineSettings(quick: boolean): EngineSettings {
  return quick
    ? { repetitions: 3, targetMs: 30, minCalls: 10, minCheck: 20, maxCheck: 300, checkBudget: 50_000, warmupMs: 100, maxWarmupMs: 1_000 }
    : { repetitions: 7, targetMs: 150, minCalls: 20, minCheck: 50, maxCheck: 1_000, checkBudget: 200_000, warmupMs: 300, maxWarmupMs: 4_000 };
}

export interface EngineRow {
  readonly engine: Engine;
  readonly rules: number;
  readonly medianNs: number;
  readonly perSecond: number;
  /** Median per decision over aegisc's, in the same round-robin rounds. */
  readonly ratio: number;
  /** From the policy in the engine's form to a decider: aegisc imports its module; Cedar preparses; Casbin builds the enforcer. */
  readonly loadMs: number;
  /** Aegis IR to the engine's policy text, by this bench (aegisc's compile is in `compile`); null for aegisc. */
  readonly translateMs: number | null;
  /** V8 heap plus external memory (Wasm memory, buffers) retained by the load, after a full GC before and after. */
  readonly heapBytes: number;
  readonly rssBytes: number;
}

export interface EngineSizeResult {
  readonly rules: number;
  /** Calls on which every engine returned the interpreter's decision, JSON for JSON. */
  readonly checkedCalls: number;
  /** The first calls of the workload, timed in every repetition by Cedar and Casbin. */
  readonly sampleCalls: number;
  /** The calls of aegisc's timed batch: the whole workload. */
  readonly aegiscCalls: number;
  readonly repetitions: number;
  readonly rows: readonly EngineRow[];
  readonly notes: { readonly cedar: readonly TranslationNote[]; readonly casbin: readonly TranslationNote[] };
  /** Whether memory was measured after a forced GC (false if the flag could not be set). */
  readonly gc: boolean;
}

const forceGc = exposeGc();

function exposeGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}

function settle(): void {
  // Twice: the first pass can leave objects that weak callbacks free for the second.
  forceGc?.();
  forceGc?.();
}

/** One load, timed, with what it retains: the same measurement for every engine. */
async function measureLoad<T>(load: () => T | Promise<T>): Promise<{ value: T; ms: number; heapBytes: number; rssBytes: number }> {
  settle();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const value = await load();
  const ms = performance.now() - t0;
  settle();
  const after = process.memoryUsage();
  return { value, ms, heapBytes: after.heapUsed + after.external - (before.heapUsed + before.external), rssBytes: after.rss - before.rss };
}

async function importGuard(js: string, tag: string): Promise<(call: ToolCall) => Decision> {
  // A distinct source text, so that this import loads and evaluates the module afresh (data: URLs are cached by text).
  const source = `${js}\n// bench/engines ${tag}\n`;
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`)) as { decide(call: ToolCall): Decision };
  return mod.decide;
}

/**
 * Every engine's first use in the process costs more than any later one (the module loader, Cedar's
 * Wasm functions compiled on first call, Casbin's code before the JIT): a throw-away load and a few
 * decisions of a one-rule policy, once, so that none of it is charged to the first size measured.
 */
let firstUse: Promise<void> | undefined;

function warmFirstUse(policy: Policy): Promise<void> {
  firstUse ??= (async () => {
    const one = { ...policy, rules: policy.rules.slice(0, 1) };
    const call: ToolCall = { tool: one.rules[0]?.tool.source ?? "t", server: "s", time: 0 };
    const guard = await importGuard("export function decide(call) { return call; }", "first use");
    guard(call);
    const cedar = loadCedar(translateToCedar(one), "bench-first-use");
    const casbin = await loadCasbin(translateToCasbin(one));
    for (let i = 0; i < 100; i++) {
      cedar.decide(call);
      casbin.decide(call);
    }
  })();
  return firstUse;
}

/**
 * Runs a loop until it is in its steady state: at least one batch and `minMs`, and until two
 * batches in a row are no more than 5 % faster than the fastest so far, or until the engine has
 * run `maxMs` in all, counting the `alreadyMs` it ran while its decisions were checked.
 */
function warmUp(loop: Loop, batch: readonly ToolCall[], minMs: number, maxMs: number, alreadyMs: number): void {
  const start = performance.now() - alreadyMs;
  let best = Infinity;
  let steady = 0;
  for (;;) {
    const { ns } = timeBatch(loop, batch, batch.length);
    if (ns < best * 0.95) {
      best = ns;
      steady = 0;
    } else {
      steady++;
    }
    const elapsed = performance.now() - start;
    if (elapsed >= maxMs || (elapsed - alreadyMs >= minMs && steady >= 2)) return;
  }
}

export interface EngineInput {
  readonly rules: number;
  readonly policy: Policy;
  /** The generated module as JavaScript (what `aegisc build --emit js` writes). */
  readonly moduleJs: string;
  readonly calls: readonly ToolCall[];
  readonly settings: EngineSettings;
}

/**
 * Translates the policy for Cedar and Casbin, loads all three deciders (each measured alike),
 * stops the run if any of them decides a checked call otherwise than the interpreter, and times
 * them round-robin over the same sample of calls. A translation that cannot express a rule
 * throws (TranslationError) rather than leave it out.
 */
export async function measureEngines(input: EngineInput): Promise<EngineSizeResult> {
  const { rules, policy, calls, settings } = input;
  await warmFirstUse(policy);
  const t0 = performance.now();
  const cedarText = translateToCedar(policy);
  const t1 = performance.now();
  const casbinText = translateToCasbin(policy);
  const t2 = performance.now();
  const translateMs: Record<Engine, number | null> = { aegisc: null, cedar: t1 - t0, casbin: t2 - t1 };

  const aegisc = await measureLoad(() => importGuard(input.moduleJs, `${rules}`));
  const cedar = await measureLoad(() => loadCedar(cedarText, `bench-${rules}`));
  const casbin = await measureLoad(() => loadCasbin(casbinText));
  const loads = { aegisc, cedar, casbin };
  const deciders: Record<Engine, (call: ToolCall) => Decision> = { aegisc: aegisc.value, cedar: cedar.value.decide, casbin: casbin.value.decide };

  // Equal decisions first, JSON for JSON (approval, risk, rule name, index); this pass also warms every engine up.
  const checkedCalls = Math.min(calls.length, settings.maxCheck, Math.max(settings.minCheck, Math.floor(settings.checkBudget / rules)));
  const checkNs: Record<Engine, number> = { aegisc: 0, cedar: 0, casbin: 0 };
  for (let i = 0; i < checkedCalls; i++) {
    const call = calls[i];
    const expected = JSON.stringify(interpretDecide(policy, call));
    for (const engine of ENGINES) {
      const start = process.hrtime.bigint();
      const got = JSON.stringify(deciders[engine](call));
      checkNs[engine] += Number(process.hrtime.bigint() - start);
      if (got !== expected) throw new Error(`${ENGINE_LABELS[engine]} decides otherwise than aegisc at ${rules} rules on ${JSON.stringify(call)}: aegisc ${expected}, ${ENGINE_LABELS[engine]} ${got}`);
    }
  }

  // The sample: the first calls of the checked ones, as many as the slowest engine decides in about targetMs.
  const slowestNs = Math.max(checkNs.cedar, checkNs.casbin) / checkedCalls;
  const sampleCalls = Math.min(checkedCalls, Math.max(settings.minCalls, Math.round((settings.targetMs * 1e6) / slowestNs)));
  const sample = calls.slice(0, sampleCalls);
  // aegisc decides a call in well under a microsecond: its batch is the whole workload, as in the bench's own
  // loops. The same few dozen calls over and over would stay in the CPU's caches and its memos, and flatter it.
  const batches: Record<Engine, readonly ToolCall[]> = { aegisc: calls, cedar: sample, casbin: sample };
  const loops = Object.fromEntries(
    ENGINES.map((e) => [e, makeLoop({ name: `engine_${e}_${rules}`, impl: deciders[e], callExpression: "impl(calls[i])", checksumExpression: "d.index" })]),
  ) as Record<Engine, Loop>;
  // The checksums every timed batch must reproduce: the interpreter's over the sample; for aegisc's whole
  // workload (too long for the interpreter at 10,000 rules), its own first pass, whose first calls were checked.
  let onSample = 0;
  for (const call of sample) onSample = (onSample + interpretDecide(policy, call).index) | 0;
  const expected: Record<Engine, number> = { aegisc: loops.aegisc(calls, calls.length), cedar: onSample, casbin: onSample };

  for (const engine of ENGINES) warmUp(loops[engine], batches[engine], settings.warmupMs, settings.maxWarmupMs, checkNs[engine] / 1e6);
  const samples: Record<Engine, number[]> = { aegisc: [], cedar: [], casbin: [] };
  // Round-robin with a rotating start, as the bench's other loops, so that drift is shared.
  for (let rep = 0; rep < settings.repetitions; rep++) {
    for (let k = 0; k < ENGINES.length; k++) {
      const engine = ENGINES[(rep + k) % ENGINES.length];
      const batch = batches[engine];
      const { ns, checksum } = timeBatch(loops[engine], batch, batch.length);
      if (checksum !== expected[engine]) throw new Error(`${ENGINE_LABELS[engine]} decided the timed calls at ${rules} rules otherwise than before (checksum ${checksum}, expected ${expected[engine]})`);
      samples[engine].push(ns / batch.length);
    }
  }

  const aegiscNs = median(samples.aegisc);
  const rows = ENGINES.map((engine): EngineRow => {
    const medianNs = median(samples[engine]);
    const load = loads[engine];
    return {
      engine,
      rules,
      medianNs: round1(medianNs),
      perSecond: Math.round(1e9 / medianNs),
      ratio: round1(medianNs / aegiscNs),
      loadMs: round1(load.ms),
      translateMs: translateMs[engine] === null ? null : round1(translateMs[engine]),
      heapBytes: load.heapBytes,
      rssBytes: load.rssBytes,
    };
  });
  return { rules, checkedCalls, sampleCalls, aegiscCalls: calls.length, repetitions: settings.repetitions, rows, notes: { cedar: cedarText.notes, casbin: casbinText.notes }, gc: forceGc !== undefined };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

const fmtNs = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e4 ? `${(ns / 1e3).toFixed(1)} µs` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(1)} ns`);
const fmtRate = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)} M/s` : r >= 1e3 ? `${(r / 1e3).toFixed(1)} k/s` : `${r.toFixed(0)} /s`);
const fmtRatio = (x: number) => (x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`);
const fmtMs = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`);
const fmtBytes = (b: number) => (Math.abs(b) >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MiB` : `${(b / 1024).toFixed(0)} KiB`);
const pad = (s: string, n: number, right = false) => (right ? s.padEnd(n) : s.padStart(n));

/** One line for the bench's progress output. */
export function describeEngineProgress(r: EngineSizeResult): string {
  const row = (e: Engine) => r.rows.find((x) => x.engine === e)!;
  return `  ${r.rules.toLocaleString("en-US")} rules vs engines: ${ENGINES.map((e) => `${ENGINE_LABELS[e]} ${fmtNs(row(e).medianNs)}`).join(", ")} (${r.checkedCalls} calls decided alike; engines timed on ${r.sampleCalls}, aegisc on ${r.aegiscCalls.toLocaleString("en-US")}; ${r.repetitions} rounds)`;
}

/** The side-by-side table, its legend, and what each translation wrote another way (counts at the largest size). */
export function engineReport(results: readonly EngineSizeResult[], compileMs: ReadonlyMap<number, number>): string[] {
  const out: string[] = [];
  out.push("", "Against the engines a user would pick instead (same policies and workload; decisions checked equal before timing)");
  out.push(`${pad("rules", 7)}  ${pad("engine", 7, true)} ${pad("median", 10)} ${pad("decisions/s", 12)} ${pad("× aegisc", 9)} ${pad("build", 9)} ${pad("load", 9)} ${pad("memory", 10)}`);
  for (const r of results) {
    for (const row of r.rows) {
      const build = row.engine === "aegisc" ? compileMs.get(r.rules) : row.translateMs;
      out.push(
        `${pad(r.rules.toLocaleString("en-US"), 7)}  ${pad(ENGINE_LABELS[row.engine], 7, true)} ${pad(fmtNs(row.medianNs), 10)} ${pad(fmtRate(row.perSecond), 12)} ${pad(fmtRatio(row.ratio), 9)} ${pad(build === undefined || build === null ? "" : fmtMs(build), 9)} ${pad(fmtMs(row.loadMs), 9)} ${pad(fmtBytes(row.heapBytes), 10)}`,
      );
    }
  }
  const gc = results.every((r) => r.gc);
  out.push(
    "  median: per decision, over round-robin rounds: Cedar and Casbin on the first calls of the workload, aegisc on the whole workload (a few dozen calls repeated would stay in its caches).",
    "  build: aegisc's compile (YAML → module, at build time); for Cedar and Casbin, this bench's translation of the rules (a user writing their policies pays none).",
    "  load: aegisc imports its module; Cedar preparses the policy set (preparsePolicySet); Casbin builds an enforcer from the model and the policy file. One load each.",
    `  memory: V8 heap + external (Cedar's Wasm memory included) retained by the load${gc ? ", after a full GC before and after" : " (no forced GC was available: noisy)"}.`,
  );
  const largest = results[results.length - 1];
  if (largest) {
    for (const engine of ["cedar", "casbin"] as const) {
      out.push(`  ${ENGINE_LABELS[engine]} translation, at ${largest.rules.toLocaleString("en-US")} rules:`);
      for (const note of largest.notes[engine]) out.push(`    - ${note.what} (${note.count.toLocaleString("en-US")} ${note.unit})`);
    }
  }
  return out;
}
