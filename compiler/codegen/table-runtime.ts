// The indexed decision engine of table-mode guard modules. emit-tables copies this file verbatim (without `export`),
// so it holds only types and function declarations (the module calls it before this text), imports nothing, keeps no
// module state, and type-checks against ES2022 alone with every strict flag a project may set (noUncheckedIndexedAccess
// included): indexes into the tables are in range by construction, which `!` states without a run-time check.

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
  /** Five numbers per row (the rules in file order, then the fail-closed entries): tool pattern, server pattern, agent pattern, outcome (approval rank × 4 + risk rank), residual test or -1. */
  readonly columns: readonly number[];
  /**
   * For the rules with an agent pattern, pairs of numbers: the rule, then its residual test for a
   * call without an agent id (matched as the literal agent `*`): the conditions alone, -1 for none,
   * or -2 when the agent pattern rejects `*`, so that such calls never run agent tests.
   */
  readonly withoutAgent: readonly number[];
  /**
   * The rule of each fail-closed entry: the rows after the rules' own, each blocking where that
   * rule's conditions cannot be evaluated. An entry comes right before its rule in file order.
   */
  readonly failRules: readonly number[];
  readonly residualTest: ResidualTest<C>;
  /** The decision of each row (rules in file order, then fail-closed entries), and of no rule. */
  readonly decisions: readonly D[];
  readonly fallback: D;
  readonly firstMatch: boolean;
  /** Tool and server names remembered before the memos start over, bounding memory on hostile inputs. */
  readonly memoLimit: number;
  /** Tool class × server class outcomes remembered before they start over. */
  readonly outcomeLimit: number;
}

/** A rule as the engine sees it once its tool (or, for `*`-tool rules, its server) is known to match. */
export interface Candidate {
  /** Precedence position: the candidate with the lowest position that matches decides. */
  readonly position: number;
  /** The server pattern the call's server must match, -1 for `*` (or when already known to match). */
  readonly serverPattern: number;
  /** The residual test to run, -1 for none. */
  readonly test: number;
  /** The residual test for calls without an agent id: -1 for none, -2 when the rule never matches them. */
  readonly testWithoutAgent: number;
  /** Index of the rule's decision in `decisions`. */
  readonly decision: number;
}

/** What a tool name selects: the rules whose tool pattern (other than `*`) accepts it, in precedence order. Names that select the same are one class. */
export interface ToolClass {
  readonly id: number;
  readonly candidates: readonly Candidate[];
}

/** What a server name selects: the patterns it matches and the `*`-tool rules that apply to it. Servers that select the same are one class. */
export interface ServerClass {
  readonly id: number;
  readonly patterns: Int32Array;
  readonly candidates: readonly Candidate[];
}

/**
 * The indexed tables. Outcomes are small integers rather than objects: `~i` for `decisions[i]`,
 * or the offset of a plan in `planData`, so that what a call reads on its way to a decision is
 * two dictionary probes (the names' class ids) and one slot of a typed array, not a chain of
 * objects that a stream of calls keeps pushing out of the cache.
 */
export interface DecisionTables<D, C> {
  readonly tool: GlobIndex;
  readonly server: GlobIndex;
  /** Candidates of the rules with each tool pattern, in precedence order; empty for `*`. */
  readonly byToolPattern: readonly (readonly Candidate[])[];
  /** Candidates of the `*`-tool rules with each server pattern, in precedence order. */
  readonly anyToolByServerPattern: readonly (readonly Candidate[])[];
  readonly anyToolAnyServer: readonly Candidate[];
  /** The decision of each rule (file order), then the default decision. */
  readonly decisions: readonly D[];
  /** The default decision's index in `decisions`. */
  readonly fallback: number;
  readonly residualTest: ResidualTest<C>;
  /** Class id by name: -1 for tools that no tool pattern names. */
  toolIds: Memo<number>;
  serverIds: Memo<number>;
  /** Classes by what they select (the candidates' positions, and for servers the patterns matched), and by id. */
  toolClasses: Map<string, ToolClass>;
  toolClassList: ToolClass[];
  serverClasses: Map<string, ServerClass>;
  serverClassList: ServerClass[];
  /** Per server class and agent mode (`id * 2 + 1` without an agent id): the outcome of tools that no tool pattern names. */
  serverOther: number[];
  /**
   * Plans: each a run of (residual test, decision index) pairs in precedence order, ended by
   * (-1, decision when no test passes). Pairs of classes that come to the same plan share it.
   */
  planData: number[];
  plans: Map<string, number>;
  /**
   * Outcomes by (tool class, server class, agent mode): open addressing over the key
   * `tool << 16 | server << 1 | withoutAgent`, two entries per slot (key or -1 for free, outcome).
   */
  pairs: Int32Array;
  pairShift: number;
  pairCount: number;
  /** Names in the memos since they last started over. */
  names: number;
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
    const m = matchers[id]!;
    if (m === 0) exact.set(patterns[id]!, id);
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
    if (ids !== undefined) for (const id of ids) if (matcherAccepts(index.matchers[id]!, s)) out.push(id);
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
  const rules = count - spec.failRules.length;
  const order: number[] = [];
  for (let i = 0; i < count; i++) order.push(i);
  // A row's place in file order: a fail-closed entry right before its rule.
  const place = (row: number) => (row < rules ? row * 2 + 1 : spec.failRules[row - rules]! * 2);
  // `strictest` is a first match over rows sorted by outcome (block > approve > auto, then risk), ties in file order.
  if (!spec.firstMatch) order.sort((a, b) => columns[b * 5 + 3]! - columns[a * 5 + 3]! || place(a) - place(b));
  else if (spec.failRules.length > 0) order.sort((a, b) => place(a) - place(b));
  const withoutAgent = new Map<number, number>();
  for (let i = 0; i < spec.withoutAgent.length; i += 2) withoutAgent.set(spec.withoutAgent[i]!, spec.withoutAgent[i + 1]!);
  const byToolPattern: Candidate[][] = spec.toolPatterns.map(() => []);
  const anyToolByServerPattern: Candidate[][] = spec.serverPatterns.map(() => []);
  const anyToolAnyServer: Candidate[] = [];
  for (let position = 0; position < count; position++) {
    const rule = order[position]!;
    const toolPattern = columns[rule * 5]!;
    const serverPattern = columns[rule * 5 + 1]!;
    const test = columns[rule * 5 + 4]!;
    const testWithoutAgent = withoutAgent.get(rule) ?? test;
    const serverIsAny = spec.serverMatchers[serverPattern] === 1;
    if (spec.toolMatchers[toolPattern] !== 1) {
      byToolPattern[toolPattern]!.push({ position, serverPattern: serverIsAny ? -1 : serverPattern, test, testWithoutAgent, decision: rule });
    }
    // `*`-tool rules are found through the server, which they are then known to match.
    else if (serverIsAny) anyToolAnyServer.push({ position, serverPattern: -1, test, testWithoutAgent, decision: rule });
    else anyToolByServerPattern[serverPattern]!.push({ position, serverPattern: -1, test, testWithoutAgent, decision: rule });
  }
  const t: DecisionTables<D, C> = {
    tool: buildGlobIndex(spec.toolMatchers, spec.toolPatterns),
    server: buildGlobIndex(spec.serverMatchers, spec.serverPatterns),
    byToolPattern,
    anyToolByServerPattern,
    anyToolAnyServer,
    decisions: [...spec.decisions, spec.fallback],
    fallback: count,
    residualTest: spec.residualTest,
    toolIds: newMemo(),
    serverIds: newMemo(),
    toolClasses: new Map(),
    toolClassList: [],
    serverClasses: new Map(),
    serverClassList: [],
    serverOther: [],
    planData: [],
    plans: new Map(),
    pairs: new Int32Array(0),
    pairShift: 0,
    pairCount: 0,
    names: 0,
    memoLimit: spec.memoLimit,
    outcomeLimit: spec.outcomeLimit,
  };
  emptyPairs(t, 10);
  return t;
}

/** An empty outcome table of 2^bits slots. */
function emptyPairs<D, C>(t: DecisionTables<D, C>, bits: number): void {
  t.pairs = new Int32Array(2 << bits).fill(-1);
  t.pairShift = 32 - bits;
  t.pairCount = 0;
}

function newMemo<V>(): Memo<V> {
  return Object.create(null) as Memo<V>;
}

/**
 * Forgets every name, class, plan and outcome. Names are remembered up to a bound (tools and
 * servers together), outcomes too, so that hostile streams of new names cannot grow memory
 * without end. Callers classify afresh afterwards: ids and outcomes from before mean nothing now.
 */
function startOver<D, C>(t: DecisionTables<D, C>): void {
  t.toolIds = newMemo();
  t.serverIds = newMemo();
  t.toolClasses = new Map();
  t.toolClassList = [];
  t.serverClasses = new Map();
  t.serverClassList = [];
  t.serverOther = [];
  t.planData = [];
  t.plans = new Map();
  t.names = 0;
  emptyPairs(t, 10);
}

/** Candidates in precedence order, cut after the first one that always decides (nothing after it can win). */
function untilDecisive(candidates: Candidate[]): Candidate[] {
  candidates.sort((a, b) => a.position - b.position);
  // A rule without a test has no agent pattern either, so it decides with or without an agent id.
  const cut = candidates.findIndex((c) => c.serverPattern < 0 && c.test < 0);
  return cut < 0 ? candidates : candidates.slice(0, cut + 1);
}

function positions(candidates: readonly Candidate[]): string {
  return candidates.map((c) => c.position).join(",");
}

/** The class id of a tool name not in the memo (-1 when no tool pattern names it). Long names are classified each time rather than filling memory. */
export function classifyTool<D, C>(t: DecisionTables<D, C>, tool: string): number {
  const found: Candidate[] = [];
  for (const id of matchingPatterns(t.tool, tool)) for (const c of t.byToolPattern[id]!) found.push(c);
  let id = -1;
  if (found.length > 0) {
    const candidates = untilDecisive(found);
    const key = positions(candidates);
    let tc = t.toolClasses.get(key);
    if (tc === undefined) {
      tc = { id: t.toolClassList.length, candidates };
      t.toolClasses.set(key, tc);
      t.toolClassList.push(tc);
    }
    id = tc.id;
  }
  if (tool.length <= 256) {
    t.toolIds[tool] = id;
    t.names++;
  }
  return id;
}

/** The class id of a server name not in the memo. */
export function classifyServer<D, C>(t: DecisionTables<D, C>, server: string): number {
  const patterns = Int32Array.from(matchingPatterns(t.server, server));
  const all: Candidate[] = [...t.anyToolAnyServer];
  for (const id of patterns) for (const c of t.anyToolByServerPattern[id]!) all.push(c);
  const candidates = untilDecisive(all);
  const key = `${patterns.join(",")}|${positions(candidates)}`;
  let sc = t.serverClasses.get(key);
  if (sc === undefined) {
    sc = { id: t.serverClassList.length, patterns, candidates };
    t.serverClasses.set(key, sc);
    t.serverClassList.push(sc);
    t.serverOther.push(merge(t, [], sc, 0), merge(t, [], sc, 1));
  }
  if (server.length <= 256) {
    t.serverIds[server] = sc.id;
    t.names++;
  }
  return sc.id;
}

function hasPattern(patterns: Int32Array, id: number): boolean {
  for (let i = 0; i < patterns.length; i++) if (patterns[i] === id) return true;
  return false;
}

/**
 * Merges a tool's candidates (keeping those whose server pattern the server matches) with the
 * server's `*`-tool candidates in precedence order, up to the first that needs no further test,
 * and returns the outcome: a decision when no test remains, else a plan.
 */
function merge<D, C>(t: DecisionTables<D, C>, byTool: readonly Candidate[], sc: ServerClass, withoutAgent: number): number {
  const byServer = sc.candidates;
  const tests: number[] = [];
  const decisions: number[] = [];
  // The rules a plan tests, with their tests (which differ without an agent id), and the one that decides otherwise name it.
  let key = "";
  let otherwise = t.fallback;
  let i = 0;
  let j = 0;
  while (i < byTool.length || j < byServer.length) {
    let c: Candidate;
    if (j === byServer.length || (i < byTool.length && byTool[i]!.position < byServer[j]!.position)) {
      c = byTool[i++]!;
      if (c.serverPattern >= 0 && !hasPattern(sc.patterns, c.serverPattern)) continue;
    } else {
      c = byServer[j++]!;
    }
    const test = withoutAgent === 1 ? c.testWithoutAgent : c.test;
    if (test === -2) continue;
    key += `${c.position}:${test},`;
    if (test < 0) {
      otherwise = c.decision;
      break;
    }
    tests.push(test);
    decisions.push(c.decision);
  }
  if (tests.length === 0) return ~otherwise;
  const known = t.plans.get(key);
  if (known !== undefined) return known;
  const offset = t.planData.length;
  for (let k = 0; k < tests.length; k++) t.planData.push(tests[k]!, decisions[k]!);
  t.planData.push(-1, otherwise);
  t.plans.set(key, offset);
  return offset;
}

/** Where key `key` is, or would go, in `t.pairs` (a multiplicative hash, then the next free slot). */
function pairSlot<D, C>(t: DecisionTables<D, C>, key: number): number {
  const pairs = t.pairs;
  const mask = pairs.length - 2;
  let k = (Math.imul(key, 0x9e3779b1) >>> t.pairShift) << 1;
  for (;;) {
    const x = pairs[k];
    if (x === -1 || x === key) return k;
    k = (k + 2) & mask;
  }
}

/**
 * The decision for a call whose tool or server name is not in the memos (or is too long to be
 * kept), or whose pair of classes meets for the first time. Starting over, when a bound is
 * reached, happens before anything is classified, so that the ids used together are of one start.
 * All of it is one function: V8 inlines a callee only up to a size, and this path, hot only while
 * the memos fill, should not take the hot path's place in its caller.
 */
export function decideSlow<D, C>(t: DecisionTables<D, C>, tool: string, server: string, agent: string, args: Record<string, unknown>, call: C): D {
  const withoutAgent = agent === "*" ? 1 : 0;
  // Class ids stay below 2^15, so that two of them and the agent mode make one non-negative 31-bit key.
  if (t.names + 2 > t.memoLimit || t.toolClassList.length >= 0x7fff || t.serverClassList.length >= 0x7fff || t.pairCount >= t.outcomeLimit) {
    startOver(t);
  }
  const s = t.serverIds[server] ?? classifyServer(t, server);
  const c = t.toolIds[tool] ?? classifyTool(t, tool);
  let outcome: number;
  if (c < 0) outcome = t.serverOther[(s << 1) | withoutAgent]!;
  else {
    const key = (c << 16) | (s << 1) | withoutAgent;
    let k = pairSlot(t, key);
    if (t.pairs[k] === key) outcome = t.pairs[k + 1]!;
    else {
      outcome = merge(t, t.toolClassList[c]!.candidates, t.serverClassList[s]!, withoutAgent);
      // Linear probing stays short up to three quarters full; past that the table doubles.
      if ((t.pairCount + 1) * 8 > t.pairs.length * 3) {
        const old = t.pairs;
        const count = t.pairCount;
        emptyPairs(t, 33 - t.pairShift);
        for (let o = 0; o < old.length; o += 2) {
          const moved = old[o]!;
          if (moved === -1) continue;
          const to = pairSlot(t, moved);
          t.pairs[to] = moved;
          t.pairs[to + 1] = old[o + 1]!;
        }
        t.pairCount = count;
        k = pairSlot(t, key);
      }
      t.pairs[k] = key;
      t.pairs[k + 1] = outcome;
      t.pairCount++;
    }
  }
  return outcome < 0 ? t.decisions[~outcome]! : runPlan(t, t.planData, outcome, tool, server, agent, args, call);
}

/**
 * The decision for a call: the class ids of its server and tool (a dictionary probe each, on
 * the interned names), the outcome of the pair (or the server class's, for tools that no tool
 * pattern names), then, only when some rule that matches still has an agent test or conditions,
 * those tests in precedence order up to the first that passes. Calls without an agent id have
 * outcomes of their own, in which rules with an agent pattern are already settled. Nothing is
 * allocated once a tool class has met a server class.
 */
export function decideIndexed<D, C>(t: DecisionTables<D, C>, tool: string, server: string, agent: string, args: Record<string, unknown>, call: C): D {
  const withoutAgent = agent === "*" ? 1 : 0;
  // The tool's probe first: its dictionary is the larger, and the server's can run while the tool's waits on memory.
  const c = t.toolIds[tool];
  const s = t.serverIds[server];
  // Outcomes are at least -(rules + 1), so this marks one not in the tables yet; the slow path has a single call site.
  let outcome = -0x40000000;
  if (s !== undefined && c !== undefined) {
    if (c < 0) outcome = t.serverOther[(s << 1) | withoutAgent]!;
    else {
      const key = (c << 16) | (s << 1) | withoutAgent;
      const pairs = t.pairs;
      const mask = pairs.length - 2;
      for (let k = (Math.imul(key, 0x9e3779b1) >>> t.pairShift) << 1; ; k = (k + 2) & mask) {
        const x = pairs[k];
        if (x === key) {
          outcome = pairs[k + 1]!;
          break;
        }
        if (x === -1) break;
      }
    }
  }
  if (outcome === -0x40000000) return decideSlow(t, tool, server, agent, args, call);
  if (outcome < 0) return t.decisions[~outcome]!;
  return runPlan(t, t.planData, outcome, tool, server, agent, args, call);
}

/**
 * The tests of the plan at `offset` in precedence order, up to the first that passes. `plan` is
 * read by the caller, once: a test that calls back into this guard may start the tables over,
 * which replaces (never changes) the array.
 */
function runPlan<D, C>(t: DecisionTables<D, C>, plan: readonly number[], offset: number, tool: string, server: string, agent: string, args: Record<string, unknown>, call: C): D {
  for (let k = offset; ; k += 2) {
    const test = plan[k]!;
    if (test < 0 || t.residualTest(test, tool, server, agent, args, call)) return t.decisions[plan[k + 1]!]!;
  }
}
