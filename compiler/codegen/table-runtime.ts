// The indexed decision engine of table-mode guard modules. emit-tables copies this file verbatim (without `export`),
// so it holds only types and function declarations (the module calls it before this text), imports nothing, keeps no
// module state, and type-checks in strict mode against ES2022 alone. Decisions (D) must be objects without a `test0`.

/**
 * How one tool or server pattern is matched, as the compiler classified it: `0` exact (the pattern
 * text is the only string it accepts), `1` any string, otherwise [literal prefix, literal suffix,
 * full test] where the full test is null when "starts with prefix, ends with suffix, long enough
 * for both" already decides the pattern.
 */
export type GlobMatcher = 0 | 1 | readonly [string, string, RegExp | null];

/**
 * Runs residual test `id`: a rule's agent test and conditions (whatever remains once its tool and
 * server are known to match). The module emits one function with a `switch` over the ids rather
 * than a closure per test, so a few hot, optimized functions serve every test and no call site
 * has to dispatch over hundreds of closures.
 */
export type ResidualTest<C> = (id: number, tool: string, server: string, agent: string, args: Record<string, unknown>, call: C) => boolean;

/**
 * Names already classified, as a prototype-less dictionary object rather than a Map: V8 looks a
 * string key up in a dictionary by its interned form, so a name seen before costs a hash probe
 * and a pointer comparison, where a Map compares the characters of the names it probes.
 * Prototype-less, so `__proto__` or `constructor` are ordinary keys.
 */
export type Memo<V> = Record<string, V | undefined>;

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
  readonly residualTest: ResidualTest<C>;
  /** The decision of each rule (file order), and of no rule. */
  readonly decisions: readonly D[];
  readonly fallback: D;
  readonly firstMatch: boolean;
  /** Tool and server names remembered before the memos start over, bounding memory on hostile inputs. */
  readonly memoLimit: number;
  /** Tool × server outcomes remembered before they start over. */
  readonly outcomeLimit: number;
}

/** A rule as the engine sees it once its tool (or, for `*`-tool rules, its server) is known to match. */
export interface Candidate<D> {
  /** Precedence position: the candidate with the lowest position that matches decides. */
  readonly position: number;
  /** The server pattern the call's server must match, -1 for `*` (or when already known to match). */
  readonly serverPattern: number;
  /** The residual test to run, -1 for none. */
  readonly test: number;
  readonly decision: D;
}

/**
 * What is left to decide for one tool on one server: the residual tests of the rules that match
 * both, in precedence order, each with the decision it gives when it passes, then the decision
 * when none passes. Most plans hold one or two tests, so those are fields of this one object.
 */
export interface Plan<D> {
  readonly test0: number;
  readonly decision0: D;
  /** -1 when the plan has a single test. */
  readonly test1: number;
  readonly decision1: D;
  /** Tests after the second and their decisions, or null. */
  readonly moreTests: readonly number[] | null;
  readonly moreDecisions: readonly D[] | null;
  readonly otherwise: D;
}

/** What a tool on a server comes to: its decision when no test remains, else a plan. */
export type Outcome<D> = D | Plan<D>;

/**
 * What a server name selects: the patterns it matches and the `*`-tool rules that apply to it.
 * Servers that select the same are one class, numbered, so that outcomes are kept per class.
 */
export interface ServerClass<D> {
  readonly id: number;
  /** Which start of the memos the class belongs to (ids are reused after a start over). */
  readonly epoch: number;
  readonly patterns: Int32Array;
  readonly candidates: readonly Candidate<D>[];
  /** The outcome for tools that no tool pattern names (only `*`-tool rules apply), shared by all of them. */
  readonly otherTools: Outcome<D>;
  /** Outcomes by tool name (named tools only), so that a call usually needs one lookup after the server's. */
  readonly byTool: Memo<Outcome<D>>;
}

/** What a tool name selects: the rules whose tool pattern (other than `*`) accepts it, in precedence order. Names that select the same are one class. */
export interface ToolClass<D> {
  /** -1 for the class of tools that no tool pattern names. */
  readonly id: number;
  readonly epoch: number;
  readonly candidates: readonly Candidate<D>[];
}

export interface DecisionTables<D, C> {
  readonly tool: GlobIndex;
  readonly server: GlobIndex;
  /** Candidates of the rules with each tool pattern, in precedence order; empty for `*`. */
  readonly byToolPattern: readonly (readonly Candidate<D>[])[];
  /** Candidates of the `*`-tool rules with each server pattern, in precedence order. */
  readonly anyToolByServerPattern: readonly (readonly Candidate<D>[])[];
  readonly anyToolAnyServer: readonly Candidate<D>[];
  readonly fallback: D;
  readonly residualTest: ResidualTest<C>;
  toolMemo: Memo<ToolClass<D>>;
  serverMemo: Memo<ServerClass<D>>;
  /** Classes by what they select (the candidates' positions, and for servers the patterns matched). */
  toolClasses: Map<string, ToolClass<D>>;
  serverClasses: Map<string, ServerClass<D>>;
  /** Plans by the positions of the rules they consist of. */
  plans: Map<string, Plan<D>>;
  epoch: number;
  /** Names in the memos since they last started over. */
  names: number;
  /**
   * Outcomes by (tool class, server class), open addressing over the two ids, three entries per
   * slot (tool class id or -1 for free, server class id, outcome) so that a probe reads one cache
   * line: a few hundred classes of each make a few thousand pairs, a small table where a
   * dictionary per tool or per server would spread over far more memory (and cache misses).
   */
  pairs: (number | Outcome<D>)[];
  pairShift: number;
  pairCount: number;
  outcomes: number;
  readonly memoLimit: number;
  readonly outcomeLimit: number;
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

export function buildDecisionTables<D, C>(spec: TableSpec<D, C>): DecisionTables<D, C> {
  const columns = spec.columns;
  const count = columns.length / 5;
  const order: number[] = [];
  for (let i = 0; i < count; i++) order.push(i);
  // `strictest` is a first match over rules sorted by outcome (block > approve > auto, then risk), ties in file order.
  if (!spec.firstMatch) order.sort((a, b) => columns[b * 5 + 3] - columns[a * 5 + 3] || a - b);
  const byToolPattern: Candidate<D>[][] = spec.toolPatterns.map(() => []);
  const anyToolByServerPattern: Candidate<D>[][] = spec.serverPatterns.map(() => []);
  const anyToolAnyServer: Candidate<D>[] = [];
  for (let position = 0; position < count; position++) {
    const rule = order[position];
    const toolPattern = columns[rule * 5];
    const serverPattern = columns[rule * 5 + 1];
    const test = columns[rule * 5 + 4];
    const serverIsAny = spec.serverMatchers[serverPattern] === 1;
    const decision = spec.decisions[rule];
    if (spec.toolMatchers[toolPattern] !== 1) byToolPattern[toolPattern].push({ position, serverPattern: serverIsAny ? -1 : serverPattern, test, decision });
    // `*`-tool rules are found through the server, which they are then known to match.
    else if (serverIsAny) anyToolAnyServer.push({ position, serverPattern: -1, test, decision });
    else anyToolByServerPattern[serverPattern].push({ position, serverPattern: -1, test, decision });
  }
  const t: DecisionTables<D, C> = {
    tool: buildGlobIndex(spec.toolMatchers, spec.toolPatterns),
    server: buildGlobIndex(spec.serverMatchers, spec.serverPatterns),
    byToolPattern,
    anyToolByServerPattern,
    anyToolAnyServer,
    fallback: spec.fallback,
    residualTest: spec.residualTest,
    toolMemo: newMemo(),
    serverMemo: newMemo(),
    toolClasses: new Map(),
    serverClasses: new Map(),
    plans: new Map(),
    epoch: 0,
    names: 0,
    pairs: [],
    pairShift: 0,
    pairCount: 0,
    outcomes: 0,
    memoLimit: spec.memoLimit,
    outcomeLimit: spec.outcomeLimit,
  };
  emptyPairs(t, 10);
  return t;
}

/** An empty outcome table of 2^bits slots; it doubles when half full. */
function emptyPairs<D, C>(t: DecisionTables<D, C>, bits: number): void {
  t.pairs = new Array<number | Outcome<D>>(3 << bits).fill(-1);
  t.pairShift = 32 - bits;
  t.pairCount = 0;
}


function newMemo<V>(): Memo<V> {
  return Object.create(null) as Memo<V>;
}

/**
 * Forgets every name, class and outcome. Names are remembered up to a bound (tools and servers
 * together), outcomes too, so that hostile streams of new names cannot grow memory without end.
 */
function startOver<D, C>(t: DecisionTables<D, C>): void {
  t.toolMemo = newMemo();
  t.serverMemo = newMemo();
  t.toolClasses = new Map();
  t.serverClasses = new Map();
  t.plans = new Map();
  t.epoch++;
  t.names = 0;
  emptyPairs(t, 10);
  t.outcomes = 0;
}

/** Candidates in precedence order, cut after the first one that always decides (nothing after it can win). */
function untilDecisive<D>(candidates: Candidate<D>[]): Candidate<D>[] {
  candidates.sort((a, b) => a.position - b.position);
  const cut = candidates.findIndex((c) => c.serverPattern < 0 && c.test < 0);
  return cut < 0 ? candidates : candidates.slice(0, cut + 1);
}

function positions<D>(candidates: readonly Candidate<D>[]): string {
  return candidates.map((c) => c.position).join(",");
}

/** The class of a tool name not seen before (or forgotten). Long names are classified each time rather than filling memory. */
export function newToolClass<D, C>(t: DecisionTables<D, C>, tool: string): ToolClass<D> {
  const found: Candidate<D>[] = [];
  for (const id of matchingPatterns(t.tool, tool)) for (const c of t.byToolPattern[id]) found.push(c);
  const candidates = untilDecisive(found);
  const key = positions(candidates);
  if (t.names >= t.memoLimit) startOver(t);
  let tc = t.toolClasses.get(key);
  if (tc === undefined) {
    tc = { id: candidates.length === 0 ? -1 : t.toolClasses.size, epoch: t.epoch, candidates };
    t.toolClasses.set(key, tc);
  }
  if (tool.length <= 256) {
    t.toolMemo[tool] = tc;
    t.names++;
  }
  return tc;
}

/** The class of a server name not seen before (or forgotten). */
export function newServerClass<D, C>(t: DecisionTables<D, C>, server: string): ServerClass<D> {
  const patterns = Int32Array.from(matchingPatterns(t.server, server));
  const all: Candidate<D>[] = [...t.anyToolAnyServer];
  for (const id of patterns) for (const c of t.anyToolByServerPattern[id]) all.push(c);
  const candidates = untilDecisive(all);
  const key = `${patterns.join(",")}|${positions(candidates)}`;
  if (t.names >= t.memoLimit) startOver(t);
  let sc = t.serverClasses.get(key);
  if (sc === undefined) {
    sc = { id: t.serverClasses.size, epoch: t.epoch, patterns, candidates, otherTools: merge(t, [], patterns, candidates), byTool: newMemo() };
    t.serverClasses.set(key, sc);
  }
  if (server.length <= 256) {
    t.serverMemo[server] = sc;
    t.names++;
  }
  return sc;
}

function hasPattern(patterns: Int32Array, id: number): boolean {
  for (let i = 0; i < patterns.length; i++) if (patterns[i] === id) return true;
  return false;
}

/**
 * Merges a tool's candidates (keeping those whose server pattern the server matches) with the
 * server's `*`-tool candidates in precedence order, up to the first that needs no further test.
 */
function merge<D, C>(t: DecisionTables<D, C>, byTool: readonly Candidate<D>[], patterns: Int32Array, byServer: readonly Candidate<D>[]): Outcome<D> {
  const tests: number[] = [];
  const decisions: D[] = [];
  // The positions of the rules a plan tests and of the one that decides otherwise name it.
  let key = "";
  let otherwise = t.fallback;
  let i = 0;
  let j = 0;
  while (i < byTool.length || j < byServer.length) {
    let c: Candidate<D>;
    if (j === byServer.length || (i < byTool.length && byTool[i].position < byServer[j].position)) {
      c = byTool[i++];
      if (c.serverPattern >= 0 && !hasPattern(patterns, c.serverPattern)) continue;
    } else {
      c = byServer[j++];
    }
    key += `${c.position},`;
    if (c.test < 0) {
      otherwise = c.decision;
      break;
    }
    tests.push(c.test);
    decisions.push(c.decision);
  }
  if (tests.length === 0) return otherwise;
  // Many pairs of classes come to the same plan; sharing it keeps fewer objects in the cache.
  const known = t.plans.get(key);
  if (known !== undefined) return known;
  const more = tests.length > 2;
  const plan: Plan<D> = {
    test0: tests[0],
    decision0: decisions[0],
    test1: tests.length > 1 ? tests[1] : -1,
    decision1: tests.length > 1 ? decisions[1] : otherwise,
    moreTests: more ? tests.slice(2) : null,
    moreDecisions: more ? decisions.slice(2) : null,
    otherwise,
  };
  t.plans.set(key, plan);
  return plan;
}

/** Where the outcome of tool class `a` on server class `b` is, or would go, in `t.pairs` (a multiplicative hash, then the next free slot). */
function pairSlot<D, C>(t: DecisionTables<D, C>, a: number, b: number): number {
  const pairs = t.pairs;
  let k = (Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca77) >>> t.pairShift) * 3;
  for (;;) {
    const x = pairs[k];
    if (x === -1 || (x === a && pairs[k + 1] === b)) return k;
    k += 3;
    if (k === pairs.length) k = 0;
  }
}

/** Merges and keeps the outcome of a tool class on a server class, the first time they meet. */
export function newOutcome<D, C>(t: DecisionTables<D, C>, tc: ToolClass<D>, sc: ServerClass<D>): Outcome<D> {
  const outcome = merge(t, tc.candidates, sc.patterns, sc.candidates);
  // A class from before the memos started over (during this call) must not be kept under an id now reused.
  if (tc.epoch !== t.epoch || sc.epoch !== t.epoch) return outcome;
  if (t.outcomes >= t.outcomeLimit) {
    startOver(t);
    return outcome;
  }
  t.outcomes++;
  // The table doubles when half its slots (three entries each) are taken.
  if ((t.pairCount + 1) * 6 > t.pairs.length) {
    const old = t.pairs;
    const count = t.pairCount;
    emptyPairs(t, 33 - t.pairShift);
    for (let k = 0; k < old.length; k += 3) {
      if (old[k] === -1) continue;
      const to = pairSlot(t, old[k] as number, old[k + 1] as number);
      t.pairs[to] = old[k];
      t.pairs[to + 1] = old[k + 1];
      t.pairs[to + 2] = old[k + 2];
    }
    t.pairCount = count;
  }
  t.pairCount++;
  const k = pairSlot(t, tc.id, sc.id);
  t.pairs[k] = tc.id;
  t.pairs[k + 1] = sc.id;
  t.pairs[k + 2] = outcome;
  return outcome;
}

/** The outcome of a tool on a server class where it was not called before (or was forgotten). */
export function toolOutcome<D, C>(t: DecisionTables<D, C>, sc: ServerClass<D>, tool: string): Outcome<D> {
  const tc = t.toolMemo[tool] ?? newToolClass(t, tool);
  // Tools that no tool pattern names get the server's own outcome, and nothing is kept per name for them.
  if (tc.id < 0) return sc.otherTools;
  // Classes from before the memos started over (during this call) are merged afresh and nothing is kept.
  if (tc.epoch !== t.epoch || sc.epoch !== t.epoch) return merge(t, tc.candidates, sc.patterns, sc.candidates);
  const k = pairSlot(t, tc.id, sc.id);
  const outcome = t.pairs[k] === -1 ? newOutcome(t, tc, sc) : (t.pairs[k + 2] as Outcome<D>);
  if (sc.epoch === t.epoch && tool.length <= 256) {
    if (t.outcomes >= t.outcomeLimit) startOver(t);
    else {
      t.outcomes++;
      sc.byTool[tool] = outcome;
    }
  }
  return outcome;
}

/**
 * The decision for a call: the server's class, and the tool's outcome on it (a dictionary lookup
 * each; names no tool pattern accepts go through the tool memo to the server class's own
 * outcome), then, only when some rule that matches both still has an agent test or conditions,
 * those tests in precedence order up to the first that passes. Nothing is allocated once a tool
 * has been seen on a server.
 */
export function decideIndexed<D, C>(t: DecisionTables<D, C>, tool: string, server: string, agent: string, args: Record<string, unknown>, call: C): D {
  const sc = t.serverMemo[server] ?? newServerClass(t, server);
  const outcome = sc.byTool[tool] ?? toolOutcome(t, sc, tool);
  // Decisions have no `test0`, so one load tells a decision from a plan.
  const test0 = (outcome as Plan<D>).test0;
  if (test0 === undefined) return outcome as D;
  const plan = outcome as Plan<D>;
  if (t.residualTest(test0, tool, server, agent, args, call)) return plan.decision0;
  const test1 = plan.test1;
  if (test1 < 0) return plan.otherwise;
  if (t.residualTest(test1, tool, server, agent, args, call)) return plan.decision1;
  const more = plan.moreTests;
  if (more !== null) {
    const decisions = plan.moreDecisions!;
    for (let k = 0; k < more.length; k++) if (t.residualTest(more[k], tool, server, agent, args, call)) return decisions[k];
  }
  return plan.otherwise;
}
