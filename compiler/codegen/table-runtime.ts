// The indexed decision engine of table-mode guard modules. emit-tables copies this file verbatim (without `export`),
// so it holds only types and function declarations (the module calls it before this text), imports nothing, keeps no
// module state, and type-checks in strict mode against ES2022 alone. Decisions (D) must be objects: null marks "none".

/**
 * How one tool or server pattern is matched, as the compiler classified it: `0` exact (the pattern
 * text is the only string it accepts), `1` any string, otherwise [literal prefix, literal suffix,
 * full test] where the full test is null when "starts with prefix, ends with suffix, long enough
 * for both" already decides the pattern.
 */
export type GlobMatcher = 0 | 1 | readonly [string, string, RegExp | null];

/** A rule's agent test and conditions (whatever remains once its tool and server are known to match). */
export type ResidualTest<C> = (tool: string, server: string, agent: string, args: Record<string, unknown>, call: C) => boolean;

/** One dimension's patterns (tool or server), indexed so that matching costs a few hash probes, not one test per pattern. */
export interface GlobIndex {
  readonly matchers: readonly GlobMatcher[];
  readonly exact: Map<string, number>;
  readonly byPrefix: Map<string, number[]>;
  /** Distinct lengths of the indexed prefixes, ascending: one probe per length. */
  readonly prefixLengths: readonly number[];
  readonly bySuffix: Map<string, number[]>;
  readonly suffixLengths: readonly number[];
  /** Patterns with no literal prefix or suffix (e.g. `*admin*`), tested one by one. */
  readonly unindexed: readonly number[];
}

export interface TableSpec<D, C> {
  readonly toolPatterns: readonly string[];
  readonly toolMatchers: readonly GlobMatcher[];
  readonly serverPatterns: readonly string[];
  readonly serverMatchers: readonly GlobMatcher[];
  /** Five numbers per rule in file order: tool pattern, server pattern, agent pattern, outcome (approval rank × 4 + risk rank), residual test or -1. */
  readonly columns: readonly number[];
  readonly residualTests: readonly ResidualTest<C>[];
  /** The decision of each rule (file order), and of no rule. */
  readonly decisions: readonly D[];
  readonly fallback: D;
  readonly firstMatch: boolean;
  /** Classified names remembered per dimension before the memo starts over, bounding memory on hostile inputs. */
  readonly memoLimit: number;
}

/** A rule as the engine sees it once its tool (or, for `*`-tool rules, its server) is known to match. */
export interface Candidate<D, C> {
  /** Precedence position: the candidate with the lowest position that matches decides. */
  readonly position: number;
  /** The server pattern the call's server must match, -1 for `*` (or when already known to match). */
  readonly serverPattern: number;
  readonly test: ResidualTest<C> | null;
  readonly decision: D;
  /** The plan "this rule decides", shared by every tool and server it decides for without a test. */
  readonly decides: Plan<D, C>;
}

/**
 * What a tool name selects: the rules whose tool pattern accepts it, in precedence order, and
 * the plans made for up to four servers it was called on. A tool is usually called on one or a
 * few servers, so most calls find their plan here with a string comparison or two and never
 * look the server up; the slots are fields rather than arrays to keep that path to one object.
 */
export interface ToolEntry<D, C> {
  readonly candidates: readonly Candidate<D, C>[];
  server0: string | null;
  plan0: Plan<D, C> | null;
  /** `plan0.decided`, one load closer. */
  decided0: D | null;
  server1: string | null;
  plan1: Plan<D, C> | null;
  decided1: D | null;
  server2: string | null;
  plan2: Plan<D, C> | null;
  decided2: D | null;
  server3: string | null;
  plan3: Plan<D, C> | null;
  decided3: D | null;
}

/** What a server name selects: the patterns it matches and the `*`-tool rules that apply to it. */
export interface ServerClass<D, C> {
  readonly patterns: Int32Array;
  readonly candidates: readonly Candidate<D, C>[];
  /** The plan for tools that no tool pattern names (only `*`-tool rules apply), shared by all of them. */
  readonly plan: Plan<D, C>;
}

/**
 * What is left to decide for one tool on one server: the rules that match both and still have
 * an agent test or condition, in precedence order, then the decision when none of them passes.
 */
export interface Plan<D, C> {
  readonly tests: readonly ResidualTest<C>[];
  readonly decisions: readonly D[];
  readonly otherwise: D;
  /** `otherwise` when there is nothing to test, so that the common case reads one field. */
  readonly decided: D | null;
}

export interface DecisionTables<D, C> {
  readonly tool: GlobIndex;
  readonly server: GlobIndex;
  /** Candidates of the rules with each tool pattern, in precedence order; empty for `*`. */
  readonly byToolPattern: readonly (readonly Candidate<D, C>[])[];
  /** Candidates of the `*`-tool rules with each server pattern, in precedence order. */
  readonly anyToolByServerPattern: readonly (readonly Candidate<D, C>[])[];
  readonly anyToolAnyServer: readonly Candidate<D, C>[];
  readonly fallback: D;
  readonly fallbackPlan: Plan<D, C>;
  readonly toolMemo: Map<string, ToolEntry<D, C>>;
  readonly serverMemo: Map<string, ServerClass<D, C>>;
  readonly memoLimit: number;
}

export function buildGlobIndex(matchers: readonly GlobMatcher[], patterns: readonly string[]): GlobIndex {
  const exact = new Map<string, number>();
  const byPrefix = new Map<string, number[]>();
  const bySuffix = new Map<string, number[]>();
  const unindexed: number[] = [];
  const add = (map: Map<string, number[]>, key: string, id: number) => {
    const ids = map.get(key);
    if (ids === undefined) map.set(key, [id]);
    else ids.push(id);
  };
  for (let id = 0; id < matchers.length; id++) {
    const m = matchers[id];
    if (m === 0) exact.set(patterns[id], id);
    else if (m !== 1) {
      // The longer literal is the more selective key.
      if (m[0].length > 0 && m[0].length >= m[1].length) add(byPrefix, m[0], id);
      else if (m[1].length > 0) add(bySuffix, m[1], id);
      else unindexed.push(id);
    }
  }
  const lengths = (map: Map<string, number[]>) => [...new Set([...map.keys()].map((k) => k.length))].sort((a, b) => a - b);
  return { matchers, exact, byPrefix, prefixLengths: lengths(byPrefix), bySuffix, suffixLengths: lengths(bySuffix), unindexed };
}

/** Whether an indexed pattern accepts `s` (exact and `*` patterns never reach here). */
function matcherAccepts(m: GlobMatcher, s: string): boolean {
  if (typeof m === "number") return false;
  const full = m[2];
  if (full !== null) return full.test(s);
  return s.length >= m[0].length + m[1].length && s.startsWith(m[0]) && s.endsWith(m[1]);
}

/** Ids of the patterns other than `*` that accept `s`, ascending. Costs one probe per distinct literal length. */
export function matchingPatterns(index: GlobIndex, s: string): number[] {
  const out: number[] = [];
  const exact = index.exact.get(s);
  if (exact !== undefined) out.push(exact);
  const probe = (ids: readonly number[] | undefined) => {
    if (ids !== undefined) for (const id of ids) if (matcherAccepts(index.matchers[id], s)) out.push(id);
  };
  for (const length of index.prefixLengths) {
    if (length > s.length) break;
    probe(index.byPrefix.get(s.slice(0, length)));
  }
  for (const length of index.suffixLengths) {
    if (length > s.length) break;
    probe(index.bySuffix.get(s.slice(s.length - length)));
  }
  probe(index.unindexed);
  return out.sort((a, b) => a - b);
}

function decidedPlan<D, C>(decision: D): Plan<D, C> {
  return { tests: [], decisions: [], otherwise: decision, decided: decision };
}

export function buildDecisionTables<D, C>(spec: TableSpec<D, C>): DecisionTables<D, C> {
  const columns = spec.columns;
  const count = columns.length / 5;
  const order: number[] = [];
  for (let i = 0; i < count; i++) order.push(i);
  // `strictest` is a first match over rules sorted by outcome (block > approve > auto, then risk), ties in file order.
  if (!spec.firstMatch) order.sort((a, b) => columns[b * 5 + 3] - columns[a * 5 + 3] || a - b);
  const byToolPattern: Candidate<D, C>[][] = spec.toolPatterns.map(() => []);
  const anyToolByServerPattern: Candidate<D, C>[][] = spec.serverPatterns.map(() => []);
  const anyToolAnyServer: Candidate<D, C>[] = [];
  for (let position = 0; position < count; position++) {
    const rule = order[position];
    const toolPattern = columns[rule * 5];
    const serverPattern = columns[rule * 5 + 1];
    const residual = columns[rule * 5 + 4];
    const serverIsAny = spec.serverMatchers[serverPattern] === 1;
    const test = residual < 0 ? null : spec.residualTests[residual];
    const decision = spec.decisions[rule];
    const decides = decidedPlan(decision);
    if (spec.toolMatchers[toolPattern] !== 1) byToolPattern[toolPattern].push({ position, serverPattern: serverIsAny ? -1 : serverPattern, test, decision, decides });
    // `*`-tool rules are found through the server, which they are then known to match.
    else if (serverIsAny) anyToolAnyServer.push({ position, serverPattern: -1, test, decision, decides });
    else anyToolByServerPattern[serverPattern].push({ position, serverPattern: -1, test, decision, decides });
  }
  return {
    tool: buildGlobIndex(spec.toolMatchers, spec.toolPatterns),
    server: buildGlobIndex(spec.serverMatchers, spec.serverPatterns),
    byToolPattern,
    anyToolByServerPattern,
    anyToolAnyServer,
    fallback: spec.fallback,
    fallbackPlan: decidedPlan(spec.fallback),
    toolMemo: new Map(),
    serverMemo: new Map(),
    memoLimit: spec.memoLimit,
  };
}

/** Candidates in precedence order, cut after the first one that always decides (nothing after it can win). */
function untilDecisive<D, C>(candidates: Candidate<D, C>[]): Candidate<D, C>[] {
  candidates.sort((a, b) => a.position - b.position);
  const cut = candidates.findIndex((c) => c.serverPattern < 0 && c.test === null);
  return cut < 0 ? candidates : candidates.slice(0, cut + 1);
}

function remember<V>(memo: Map<string, V>, key: string, value: V, limit: number): V {
  // Long or endless distinct names are classified each time rather than filling memory.
  if (key.length > 256) return value;
  if (memo.size >= limit) memo.clear();
  memo.set(key, value);
  return value;
}

/** The rules whose tool pattern (other than `*`) accepts a tool name not seen before (or forgotten). */
export function newToolEntry<D, C>(t: DecisionTables<D, C>, tool: string): ToolEntry<D, C> {
  const candidates: Candidate<D, C>[] = [];
  for (const id of matchingPatterns(t.tool, tool)) for (const c of t.byToolPattern[id]) candidates.push(c);
  return remember(t.toolMemo, tool, {
    candidates: untilDecisive(candidates),
    server0: null,
    plan0: null,
    decided0: null,
    server1: null,
    plan1: null,
    decided1: null,
    server2: null,
    plan2: null,
    decided2: null,
    server3: null,
    plan3: null,
    decided3: null,
  }, t.memoLimit);
}

export function serverClass<D, C>(t: DecisionTables<D, C>, server: string): ServerClass<D, C> {
  const known = t.serverMemo.get(server);
  if (known !== undefined) return known;
  const patterns = Int32Array.from(matchingPatterns(t.server, server));
  const all: Candidate<D, C>[] = [...t.anyToolAnyServer];
  for (const id of patterns) for (const c of t.anyToolByServerPattern[id]) all.push(c);
  const candidates = untilDecisive(all);
  return remember(t.serverMemo, server, { patterns, candidates, plan: mergePlan(t, [], patterns, candidates) }, t.memoLimit);
}

function hasPattern(patterns: Int32Array, id: number): boolean {
  for (let i = 0; i < patterns.length; i++) if (patterns[i] === id) return true;
  return false;
}

/**
 * Merges a tool's candidates (keeping those whose server pattern the server matches) with the
 * server's `*`-tool candidates in precedence order, up to the first that needs no further test.
 */
function mergePlan<D, C>(t: DecisionTables<D, C>, byTool: readonly Candidate<D, C>[], patterns: Int32Array, byServer: readonly Candidate<D, C>[]): Plan<D, C> {
  const tests: ResidualTest<C>[] = [];
  const decisions: D[] = [];
  let i = 0;
  let j = 0;
  while (i < byTool.length || j < byServer.length) {
    let c: Candidate<D, C>;
    if (j === byServer.length || (i < byTool.length && byTool[i].position < byServer[j].position)) {
      c = byTool[i++];
      if (c.serverPattern >= 0 && !hasPattern(patterns, c.serverPattern)) continue;
    } else {
      c = byServer[j++];
    }
    if (c.test === null) return tests.length === 0 ? c.decides : { tests, decisions, otherwise: c.decision, decided: null };
    tests.push(c.test);
    decisions.push(c.decision);
  }
  return tests.length === 0 ? t.fallbackPlan : { tests, decisions, otherwise: t.fallback, decided: null };
}

/** Decides by merging directly: what a plan would hold, evaluated on the way, allocating nothing. */
function decideByMerge<D, C>(t: DecisionTables<D, C>, byTool: readonly Candidate<D, C>[], server: string, tool: string, agent: string, args: Record<string, unknown>, call: C): D {
  const sc = serverClass(t, server);
  const byServer = sc.candidates;
  let i = 0;
  let j = 0;
  while (i < byTool.length || j < byServer.length) {
    let c: Candidate<D, C>;
    if (j === byServer.length || (i < byTool.length && byTool[i].position < byServer[j].position)) {
      c = byTool[i++];
      if (c.serverPattern >= 0 && !hasPattern(sc.patterns, c.serverPattern)) continue;
    } else {
      c = byServer[j++];
    }
    if (c.test === null || c.test(tool, server, agent, args, call)) return c.decision;
  }
  return t.fallback;
}

/**
 * The decision for a call. A tool's entry keeps a plan per server it was seen with (tools that
 * no pattern names share their server's plan): the rules that match this tool and this server,
 * in precedence order, whose agent test or conditions still have to run. Only those run,
 * stopping at the first that passes. Once a tool and server have been seen, nothing is allocated;
 * a tool seen on more than four servers is decided by merging, which does not allocate either.
 */
export function decideIndexed<D, C>(t: DecisionTables<D, C>, tool: string, server: string, agent: string, args: Record<string, unknown>, call: C): D {
  // The memo lookup stays here and the classification in its own function, so that this one stays small enough to inline.
  const entry = t.toolMemo.get(tool) ?? newToolEntry(t, tool);
  let plan: Plan<D, C> | null;
  if (entry.server0 === server) {
    if (entry.decided0 !== null) return entry.decided0;
    plan = entry.plan0;
  } else if (entry.server1 === server) {
    if (entry.decided1 !== null) return entry.decided1;
    plan = entry.plan1;
  } else if (entry.server2 === server) {
    if (entry.decided2 !== null) return entry.decided2;
    plan = entry.plan2;
  } else if (entry.server3 === server) {
    if (entry.decided3 !== null) return entry.decided3;
    plan = entry.plan3;
  } else plan = entry.candidates.length === 0 ? serverClass(t, server).plan : newPlan(t, entry, server);
  if (plan === null) return decideByMerge(t, entry.candidates, server, tool, agent, args, call);
  if (plan.decided !== null) return plan.decided;
  const tests = plan.tests;
  for (let k = 0; k < tests.length; k++) if (tests[k](tool, server, agent, args, call)) return plan.decisions[k];
  return plan.otherwise;
}

/** Makes and keeps the plan for a tool on a new server, or returns null when the tool's four slots are taken. */
function newPlan<D, C>(t: DecisionTables<D, C>, entry: ToolEntry<D, C>, server: string): Plan<D, C> | null {
  if (entry.server3 !== null || server.length > 256) return null;
  const sc = serverClass(t, server);
  const plan = mergePlan(t, entry.candidates, sc.patterns, sc.candidates);
  if (entry.server0 === null) {
    entry.server0 = server;
    entry.plan0 = plan;
    entry.decided0 = plan.decided;
  } else if (entry.server1 === null) {
    entry.server1 = server;
    entry.plan1 = plan;
    entry.decided1 = plan.decided;
  } else if (entry.server2 === null) {
    entry.server2 = server;
    entry.plan2 = plan;
    entry.decided2 = plan.decided;
  } else {
    entry.server3 = server;
    entry.plan3 = plan;
    entry.decided3 = plan.decided;
  }
  return plan;
}
