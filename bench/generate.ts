// Seeded synthetic Aegis policies (YAML text) of any size, and call workloads that hit rules, overlaps and defaults.

import type { ToolCall } from "../compiler/interpret.ts";
import { seededRandom } from "../compiler/seeded-random.ts";

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const chance = (random: Random, p: number): boolean => random() < p;

const SERVICE_ROOTS = ["github", "slack", "jira", "gdrive", "postgres", "s3", "k8s", "stripe", "notion", "linear", "sentry", "gmail", "figma", "redis", "docker", "zendesk"];
const VERBS = ["read", "list", "get", "search", "create", "update", "delete", "export", "share", "run", "approve", "archive"];
const OBJECTS = ["file", "issue", "message", "user", "table", "bucket", "pod", "payment", "page", "comment", "secret", "report", "invoice", "repo", "channel"];
const ENVIRONMENTS = ["dev", "staging", "prod"];
/** Servers no rule names, for calls that fall to the defaults. */
const LOCAL_SERVERS = Array.from({ length: 20 }, (_, i) => `local-${i}`);
const AGENTS = ["agent-ops", "agent-support", "agent-research", "bot-ci"];
const APPROVALS = ["auto", "auto", "auto", "auto", "auto", "approve", "approve", "approve", "block", "block"] as const;
const RISKS = ["low", "medium", "high", "critical"] as const;
const PATHS = ["/data/reports/q3.csv", "/data/tmp/x", "/etc/passwd", "/home/user/notes.md", "/secrets/key.pem"];
const MODES = ["read", "write", "append"];

/**
 * Rule shapes, one slot per rule, repeating every 20 rules so that even 10-rule policies mix
 * them: E exact tool, P prefix tool glob, S suffix tool glob, O other glob (prefix+suffix, set,
 * contains), A any tool on a server glob or server, X exact tool on a server glob.
 */
const SHAPES = "EEPEEAESEEXEPEESEAOE";

export interface BenchPolicy {
  readonly rules: number;
  readonly seed: number;
  readonly yaml: string;
  /** Tool names that exact rules mention, servers that exist, for building workloads. */
  readonly toolNames: readonly string[];
  readonly servers: readonly string[];
  readonly ruleSpecs: readonly RuleSpec[];
}

export interface RuleSpec {
  readonly name: string;
  readonly type: string;
  readonly target: string;
  readonly agent: string;
  readonly conditions?: Readonly<Record<string, unknown>>;
  readonly approval: string;
  readonly risk: string;
  /** A tool name and server that the rule's globs accept, for workloads that should reach it. */
  readonly sampleTool: string;
  readonly sampleServer: string;
  readonly sampleAgent?: string;
}

/** `count` names from a vocabulary, numbered once it runs out (github, …, github2, …). */
function vocabulary(roots: readonly string[], count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const root = roots[i % roots.length];
    const round = Math.floor(i / roots.length);
    out.push(round === 0 ? root : `${root}${round + 1}`);
  }
  return out;
}

function conditionsFor(random: Random): Record<string, unknown> | undefined {
  if (!chance(random, 0.3)) return undefined;
  const kind = pick(random, ["gt", "lt", "eq", "matches", "contains", "range", "clock"]);
  switch (kind) {
    case "gt":
      return { param_gt: { size: pick(random, [1000, 10_000, 1_000_000]) } };
    case "lt":
      return { param_lt: { size: pick(random, [100, 5000]) } };
    case "eq":
      return { param_eq: { mode: pick(random, MODES) } };
    case "matches":
      return { param_matches: { path: pick(random, ["^/data/", "\\.pem$", "^/etc/"]) } };
    case "contains":
      return { param_contains: { path: pick(random, ["secret", "tmp"]) } };
    case "range":
      return { param_gte: { size: 10 }, param_lte: { size: 50_000 }, param_eq: { mode: pick(random, MODES) } };
    default:
      return chance(random, 0.5) ? { time_after: "18:00" } : { weekdays: [6, 7] };
  }
}

/** A policy of `ruleCount` rules; the same (count, seed) gives the same text byte for byte. */
export function generatePolicy(ruleCount: number, seed = 1): BenchPolicy {
  const random = seededRandom(seed * 7919 + ruleCount);
  // The vocabulary grows with the policy, as in an organisation with more MCP servers and tools:
  // a service per 40 rules, and more kinds of objects past 1,000 rules, so that a suffix glob
  // such as `*_invoice` keeps matching a similar share of the tools.
  const services = vocabulary(SERVICE_ROOTS, Math.max(3, Math.ceil(ruleCount / 40)));
  const objects = vocabulary(OBJECTS, OBJECTS.length * Math.max(1, Math.ceil(ruleCount / 1000)));
  // Rules for every server of an environment (`prod-*` on any tool) stay a handful at any size.
  const anyToolShare = (SHAPES.split("A").length - 1) / SHAPES.length;
  const globalServerRuleChance = Math.min(1, 3 / Math.max(1, ruleCount * anyToolShare));
  const servers = services.flatMap((s) => ENVIRONMENTS.map((e) => `${e}-${s}`));
  const specs: RuleSpec[] = [];
  const toolNames = new Set<string>();
  for (let i = 0; i < ruleCount; i++) {
    const service = pick(random, services);
    const verb = pick(random, VERBS);
    const object = pick(random, objects);
    const tool = `${service}_${verb}_${object}`;
    const env = pick(random, ENVIRONMENTS);
    const server = `${env}-${service}`;
    const approval = pick(random, APPROVALS);
    const risk = pick(random, RISKS);
    let type = tool;
    let target = "*";
    let agent = "*";
    let sampleTool = tool;
    let sampleServer = server;
    let sampleAgent: string | undefined;
    switch (SHAPES[i % SHAPES.length]) {
      case "E":
        toolNames.add(tool);
        if (chance(random, 0.2)) target = server;
        break;
      case "X":
        toolNames.add(tool);
        target = chance(random, 0.5) ? `${env}-*` : `*-${service}`;
        break;
      case "P":
        type = chance(random, 0.5) ? `${service}_*` : `${service}_${verb}_*`;
        sampleTool = `${service}_${verb}_${object}_v2`;
        break;
      case "S":
        type = chance(random, 0.5) ? `*_${object}` : `*_${verb}_${object}`;
        sampleTool = `${service}_${verb}2_${object}`;
        break;
      case "O": {
        const which = pick(random, ["prefix-suffix", "set", "contains"]);
        if (which === "prefix-suffix") type = `${service}_*_${object}`;
        else if (which === "set") type = `${service}_[rw]*`;
        else type = `*${verb}_${object}*`;
        sampleTool = which === "set" ? `${service}_read_${object}` : `${service}_x${verb}_${object}_y`;
        break;
      }
      case "A":
        type = "*";
        target = chance(random, globalServerRuleChance) ? `${env}-*` : pick(random, [`*-${service}`, server, `staging-${service}`]);
        sampleTool = `${service}_${verb}_${object}`;
        sampleServer = target.replace("*", target.startsWith("*") ? "prod" : service);
        break;
    }
    if (chance(random, 0.08)) {
      agent = chance(random, 0.5) ? "agent-*" : pick(random, AGENTS);
      sampleAgent = agent === "agent-*" ? "agent-ops" : agent;
    }
    const conditions = conditionsFor(random);
    specs.push({
      name: `${{ auto: "allow", approve: "ask", block: "deny" }[approval]}_${type.replace(/\*/g, "any").replace(/[^a-z0-9_]/g, "")}_${i}`,
      type,
      target,
      agent,
      ...(conditions ? { conditions } : {}),
      approval,
      risk,
      sampleTool,
      sampleServer,
      ...(sampleAgent ? { sampleAgent } : {}),
    });
  }
  return { rules: ruleCount, seed, yaml: policyYaml(specs), toolNames: [...toolNames], servers, ruleSpecs: specs };
}

/** JSON strings and flow mappings are valid YAML, so the text needs no YAML library and is stable. */
function policyYaml(specs: readonly RuleSpec[], combine?: "strictest" | "first-match"): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ["# Synthetic policy generated by bench/generate.ts; do not edit.", 'version: "1"'];
  if (combine) lines.push(`combine: ${combine}`);
  lines.push("defaults: { risk_level: medium, approval: approve }", "rules:");
  for (const r of specs) {
    lines.push(`  - name: ${q(r.name)}`);
    const match = [`type: ${q(r.type)}`, ...(r.target !== "*" ? [`target: ${q(r.target)}`] : []), ...(r.agent !== "*" ? [`agent: ${q(r.agent)}`] : [])];
    lines.push(`    match: { ${match.join(", ")} }`);
    if (r.conditions) lines.push(`    conditions: ${JSON.stringify(r.conditions)}`);
    lines.push(`    risk_level: ${r.risk}`, `    approval: ${r.approval}`);
  }
  return lines.join("\n") + "\n";
}

/** The same rules under an explicit combine mode (the generated text leaves it to the default, strictest). */
export function withCombine(policy: BenchPolicy, combine: "strictest" | "first-match"): string {
  return policyYaml(policy.ruleSpecs, combine);
}

function argsFor(random: Random): Record<string, unknown> | undefined {
  if (chance(random, 0.25)) return undefined;
  const args: Record<string, unknown> = { path: pick(random, PATHS) };
  if (chance(random, 0.8)) args.size = pick(random, [5, 64, 4096, 20_000, 2_000_000]);
  if (chance(random, 0.5)) args.mode = pick(random, MODES);
  return args;
}

/**
 * Calls against a policy, shaped like agent traffic: a tool is called on its own service's
 * servers (dev, staging or prod, so server rules overlap tool rules). Half the calls aim at a
 * random rule (arguments may or may not satisfy its conditions); the rest use known tool names,
 * names only globs accept, a few tools on another service's server, and unknown tools and
 * servers that fall to the defaults; some calls carry an agent id.
 */
export function generateWorkload(policy: BenchPolicy, count: number, seed = 2): ToolCall[] {
  const random = seededRandom(seed * 104729 + policy.rules);
  const calls: ToolCall[] = [];
  const known = policy.toolNames.length > 0 ? policy.toolNames : ["read_file"];
  // Server names are the same string objects call after call, as in a runtime configured per server.
  const serversByService = new Map<string, string[]>();
  for (const server of policy.servers) {
    const service = server.slice(server.indexOf("-") + 1);
    serversByService.set(service, [...(serversByService.get(service) ?? []), server]);
  }
  const serverOf = (tool: string) => pick(random, serversByService.get(tool.slice(0, tool.indexOf("_"))) ?? policy.servers);
  for (let i = 0; i < count; i++) {
    const roll = random();
    let tool: string;
    let server: string;
    let agent: string | undefined;
    if (roll < 0.5) {
      const rule = pick(random, policy.ruleSpecs);
      tool = rule.sampleTool;
      server = rule.sampleServer;
      agent = rule.sampleAgent;
    } else if (roll < 0.7) {
      tool = pick(random, known);
      server = serverOf(tool);
    } else if (roll < 0.8) {
      tool = pick(random, policy.ruleSpecs).sampleTool;
      server = serverOf(tool);
    } else if (roll < 0.85) {
      tool = pick(random, known);
      server = pick(random, policy.servers);
    } else {
      tool = `${pick(random, ["unknown", "custom", "legacy"])}_${pick(random, VERBS)}_${Math.floor(random() * 50)}`;
      server = chance(random, 0.5) ? pick(random, policy.servers) : pick(random, LOCAL_SERVERS);
    }
    if (agent === undefined && chance(random, 0.1)) agent = pick(random, [...AGENTS, ""]);
    const call: ToolCall = { tool, server };
    const args = argsFor(random);
    if (args) call.args = args;
    if (agent !== undefined) call.agent = agent;
    // A fixed clock keeps time conditions deterministic; Date.now() would make runs differ.
    call.time = Date.UTC(2026, 0, 5 + Math.floor(random() * 7), Math.floor(random() * 24), Math.floor(random() * 60));
    calls.push(call);
  }
  return calls;
}
