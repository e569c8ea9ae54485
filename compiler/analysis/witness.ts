// Concrete example calls (witnesses) and random samples drawn from cubes of the call space.

import * as Num from "./number-set.ts";
import type { Cube } from "./region.ts";
import * as Str from "./string-set.ts";
import * as Val from "./value-set.ts";

/** A call as findings print it: `time` is an ISO string so that it pastes into `aegisc explain --at`. */
export interface WitnessCall {
  server: string;
  tool: string;
  agent?: string;
  args?: Record<string, unknown>;
  time?: string;
}

export interface WitnessHints {
  readonly tools: readonly string[];
  readonly servers: readonly string[];
  readonly agents: readonly string[];
}

/** A Monday in 2026, UTC: weekday d is this date plus d-1 days. */
const MONDAY = Date.UTC(2026, 0, 5);

function timeOf(minute: number, weekday: number): string {
  return new Date(MONDAY + (weekday - 1) * 86_400_000 + minute * 60_000).toISOString();
}

function firstWeekday(mask: number): number {
  for (let d = 1; d <= 7; d++) if (mask & (1 << (d - 1))) return d;
  return 1;
}

function minuteWitness(set: Num.NumberSet): number | undefined {
  for (const i of set) {
    let m = Math.ceil(i.lo);
    if (m === i.lo && i.loOpen) m++;
    if (m < i.hi || (m === i.hi && !i.hiOpen)) return m;
  }
  return undefined;
}

interface PreferredNames {
  readonly tools: readonly string[];
  readonly servers: readonly string[];
  /** No agent first (the empty id), then the policy's agents. */
  readonly agents: readonly string[];
}
const preferred = new WeakMap<WitnessHints, PreferredNames>();

/** The names a witness prefers, built once per hints: the same arrays each time let string sets keep an index of them and their answers. */
function preferredNames(hints: WitnessHints): PreferredNames {
  let names = preferred.get(hints);
  if (!names) preferred.set(hints, (names = { tools: [...hints.tools, "example_tool"], servers: [...hints.servers, "example-server"], agents: ["", ...hints.agents] }));
  return names;
}

/** A readable call inside the cube; opaque atoms are satisfied on a best-effort basis (the interpreter confirms). */
export function cubeWitness(cube: Cube, hints: WitnessHints): WitnessCall | undefined {
  const { tools, servers, agents } = preferredNames(hints);
  const tool = Str.witness(cube.tool ?? Str.ALL_STRINGS, tools);
  const server = Str.witness(cube.server ?? Str.ALL_STRINGS, servers);
  if (tool === undefined || server === undefined) return undefined;
  const call: WitnessCall = { server, tool };
  if (cube.agent) {
    const agent = Str.witness(cube.agent, agents);
    if (agent === undefined) return undefined;
    if (agent !== "") call.agent = agent;
  }
  const args: Record<string, unknown> = {};
  for (const [key, values] of [...cube.params].sort(([a], [b]) => a.localeCompare(b))) {
    const w = Val.witness(values);
    if (w === undefined) return undefined;
    if ("value" in w) args[key] = w.value;
  }
  for (const [atom, value] of cube.atoms) {
    if (!value) continue;
    if (atom.startsWith("semantic:")) {
      const keyword = atom.slice("semantic:".length).split(",")[0];
      if (keyword && !(keyword in args) && !cube.params.has(keyword)) args[keyword] = true;
    } else if (atom.startsWith("contains:")) {
      const [, key, canon] = atom.split(/:(.*?):(.*)/s);
      const x: unknown = JSON.parse(canon);
      const cur = args[key];
      if (cur !== null && typeof cur === "object") args[key] = typeof x === "string" && !Array.isArray(cur) ? { [x]: 1 } : [x];
    }
  }
  if (Object.keys(args).length > 0) call.args = args;
  if (cube.minute || cube.weekday !== undefined) {
    const minute = cube.minute ? minuteWitness(cube.minute) : 12 * 60;
    if (minute === undefined) return undefined;
    call.time = timeOf(minute, firstWeekday(cube.weekday ?? 1));
  }
  return call;
}

/**
 * The known names in the set, kept per set and list: samples are drawn again and again from the
 * same rules' sets, and the policy's names are thousands in a large policy.
 */
function namesIn(set: Str.StringSet | undefined, known: readonly string[]): readonly string[] {
  if (!set) return known;
  let byList = namesInSets.get(set);
  if (!byList) namesInSets.set(set, (byList = new Map()));
  let names = byList.get(known);
  if (!names) byList.set(known, (names = known.filter((k) => Str.has(set, k))));
  return names;
}
const namesInSets = new WeakMap<Str.StringSet, Map<readonly string[], readonly string[]>>();

/** A random call inside the cube (atoms ignored), for property tests of the analysis. */
export function cubeSample(cube: Cube, random: () => number, hints: WitnessHints): WitnessCall | undefined {
  const pick = (set: Str.StringSet | undefined, known: readonly string[]) => {
    const inSet = namesIn(set, known);
    if (inSet.length > 0 && random() < 0.4) return inSet[Math.floor(random() * inSet.length)];
    return Str.sample(set ?? Str.ALL_STRINGS, random);
  };
  const tool = pick(cube.tool, hints.tools);
  const server = pick(cube.server, hints.servers);
  if (tool === undefined || server === undefined) return undefined;
  const call: WitnessCall = { server, tool };
  if (cube.agent || random() < 0.5) {
    // No agent first, then the policy's, as one list per hints (namesIn keeps its answers per list).
    const agent = pick(cube.agent, preferredNames(hints).agents);
    if (agent === undefined) return undefined;
    if (agent !== "") call.agent = agent;
  }
  const args: Record<string, unknown> = {};
  for (const [key, values] of cube.params) {
    const s = Val.sample(values, random);
    if (s === undefined) return undefined;
    if ("value" in s) args[key] = s.value;
  }
  if (Object.keys(args).length > 0) call.args = args;
  const minutes = cube.minute ?? Num.interval(0, false, 1440, true);
  const candidates = Num.and(minutes, Num.interval(0, false, 1440, true));
  const m = minuteWitness(candidates.length > 0 ? [candidates[Math.floor(random() * candidates.length)]] : []);
  if (m === undefined) return undefined;
  const span = candidates.find((i) => Num.has([i], m));
  let minute = m;
  if (span) {
    const hi = Math.min(1439, Math.floor(span.hiOpen && Number.isInteger(span.hi) ? span.hi - 1 : span.hi));
    minute = m + Math.floor(random() * Math.max(1, hi - m + 1));
    if (!Num.has(candidates, minute)) minute = m;
  }
  const days = [1, 2, 3, 4, 5, 6, 7].filter((d) => (cube.weekday ?? 0b1111111) & (1 << (d - 1)));
  call.time = timeOf(minute, days[Math.floor(random() * days.length)] ?? 1);
  return call;
}
