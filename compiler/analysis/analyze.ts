// The anomaly classifier: for each combine mode, which rules can never decide, which are redundant, which overlap, each with a witness call.

import { decide, precedenceOrder, ruleMatchesCall, type Decision, type ToolCall } from "../interpret.ts";
import type { Combine, Policy, Rule } from "../ir/types.ts";
import { APPROVAL_RANK } from "../ir/types.ts";
import { andRegions, isEmptyRegion, minus, RegionTooLarge, type Cube, type Region } from "./region.ts";
import { ruleRegion } from "./rule-region.ts";
import * as Str from "./string-set.ts";
import { cubeWitness, type WitnessCall, type WitnessHints } from "./witness.ts";

export type FindingKind = "unreachable" | "shadowed" | "redundant" | "overlap" | "correlation" | "generalization" | "unsatisfiable" | "mode-dependent" | "incomplete";

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: "error" | "warning" | "info";
  /** The rule the finding is about. */
  readonly rule: Rule;
  /** The other rules involved (covering rules, the other rule of a pair), in precedence order. */
  readonly others: readonly Rule[];
  /** Whether `others` ends with the defaults (for redundancy and mode-dependence). */
  readonly withDefaults?: boolean;
  readonly witness?: WitnessCall;
  /** "possible" when the finding rests on opaque predicates and no witness could confirm it. */
  readonly certainty: "proven" | "possible";
  readonly combine: Combine;
  readonly message: string;
  readonly hint?: string;
}

export interface AnalysisOptions {
  /** Modes to analyse; by default the policy's own, plus mode-dependence when `combine:` is not stated. */
  readonly modes?: readonly Combine[];
}

interface Outcome {
  readonly approval: string;
  readonly risk: string;
}

const sameOutcome = (a: Outcome, b: Outcome) => a.approval === b.approval && a.risk === b.risk;
const outcomeText = (o: Outcome) => `${o.approval}, ${o.risk}`;
const q = (r: Rule) => `\`${r.name}\``;

export function toToolCall(w: WitnessCall): ToolCall {
  return { server: w.server, tool: w.tool, ...(w.agent !== undefined ? { agent: w.agent } : {}), ...(w.args ? { args: w.args } : {}), ...(w.time ? { time: new Date(w.time) } : {}) };
}

/** Everything the analysis of one policy knows: regions per rule and candidate indexes. */
class PolicyModel {
  readonly regions: Region[];
  readonly opaque: boolean[];
  readonly hints: WitnessHints;
  private readonly exactTools = new Map<string, number[]>();
  private readonly globTools: number[] = [];

  constructor(readonly policy: Policy) {
    const rr = policy.rules.map(ruleRegion);
    this.regions = rr.map((r) => r.region);
    this.opaque = rr.map((r) => r.opaque);
    const literal = (p: string) => (/[*?[]/.test(p) ? undefined : p);
    this.hints = {
      tools: [...new Set(policy.rules.map((r) => literal(r.tool.source)).filter((x): x is string => x !== undefined))],
      servers: [...new Set(policy.rules.map((r) => literal(r.server.source)).filter((x): x is string => x !== undefined))],
      agents: [...new Set(policy.rules.map((r) => literal(r.agent.source)).filter((x): x is string => x !== undefined))],
    };
    for (const rule of policy.rules) {
      const tool = literal(rule.tool.source);
      if (tool === undefined) this.globTools.push(rule.index);
      else (this.exactTools.get(tool) ?? this.exactTools.set(tool, []).get(tool)!).push(rule.index);
    }
  }

  /**
   * Rules whose tool pattern can share a call with rule i: the same exact name, globs that match
   * it, or for a glob rule every glob and every exact name it matches. Avoids pairwise work on
   * policies of mostly exact names.
   */
  candidates(i: number): Set<number> {
    const rule = this.policy.rules[i];
    const out = new Set<number>();
    const isLiteral = !/[*?[]/.test(rule.tool.source);
    if (isLiteral) {
      for (const j of this.exactTools.get(rule.tool.source) ?? []) out.add(j);
      for (const j of this.globTools) if (Str.has(Str.fromGlob(this.policy.rules[j].tool.source), rule.tool.source)) out.add(j);
    } else {
      const glob = Str.fromGlob(rule.tool.source);
      for (const j of this.globTools) out.add(j);
      for (const [name, list] of this.exactTools) if (Str.has(glob, name)) for (const j of list) out.add(j);
    }
    out.delete(i);
    return out;
  }

  witness(region: Region, check: (call: ToolCall) => boolean): { witness?: WitnessCall; confirmed: boolean } {
    let first: WitnessCall | undefined;
    for (const cube of region.slice(0, 50)) {
      const w = cubeWitness(cube, this.hints);
      if (!w) continue;
      first ??= w;
      if (check(toToolCall(w))) return { witness: w, confirmed: true };
    }
    return first ? { witness: first, confirmed: false } : { confirmed: false };
  }
}

/** Who decides which part of `region`, walking `order` (the first rule to match a part takes it). */
function partition(model: PolicyModel, region: Region, order: readonly number[]): { parts: { index: number; region: Region }[]; rest: Region } {
  const parts: { index: number; region: Region }[] = [];
  let rest: Region = region;
  for (const j of order) {
    if (rest.length === 0) break;
    const part = andRegions(rest, model.regions[j]);
    if (part.length === 0) continue;
    parts.push({ index: j, region: part });
    rest = minus(rest, model.regions[j]);
  }
  return { parts, rest };
}

export function analyzePolicy(policy: Policy, options: AnalysisOptions = {}): Finding[] {
  const model = new PolicyModel(policy);
  const findings: Finding[] = [];
  const modes = options.modes ?? [policy.combine];
  const unsatisfiable = new Set<number>();
  for (const rule of policy.rules) {
    if (isEmptyRegion(model.regions[rule.index])) {
      unsatisfiable.add(rule.index);
      findings.push(unsatisfiableFinding(rule, policy.combine, model.opaque[rule.index]));
    }
  }
  for (const combine of modes) {
    const modePolicy: Policy = { ...policy, combine };
    const order = precedenceOrder(modePolicy);
    const position = new Map(order.map((idx, pos) => [idx, pos]));
    for (const index of order) {
      if (unsatisfiable.has(index)) continue;
      try {
        findings.push(...ruleFindings(model, modePolicy, index, order, position));
      } catch (e) {
        if (!(e instanceof RegionTooLarge)) throw e;
        findings.push({
          kind: "incomplete",
          severity: "info",
          rule: policy.rules[index],
          others: [],
          certainty: "possible",
          combine,
          message: `The analysis of ${q(policy.rules[index])} was stopped: its region grew past the size limit.`,
        });
      }
    }
  }
  if (!policy.combineExplicit && options.modes === undefined) findings.push(...modeDependence(model, policy));
  return findings;
}

function unsatisfiableFinding(rule: Rule, combine: Combine, opaque: boolean): Finding {
  const times = rule.conditions.filter((c) => c.key === "time_after" || c.key === "time_before");
  const overnight = times.length === 2;
  return {
    kind: "unsatisfiable",
    severity: "error",
    rule,
    others: [],
    certainty: "proven",
    combine,
    message: overnight
      ? `${q(rule)} can never match: \`time_after\` and \`time_before\` are ANDed, so this overnight window is empty.`
      : `${q(rule)} can never match: its own patterns and conditions exclude each other.`,
    ...(overnight
      ? { hint: "split it into two rules, one with `time_after` and one with `time_before`" }
      : opaque
        ? {}
        : {}),
  };
}

function ruleFindings(model: PolicyModel, policy: Policy, index: number, order: readonly number[], position: Map<number, number>): Finding[] {
  const rule = policy.rules[index];
  const combine = policy.combine;
  const candidates = model.candidates(index);
  const before = order.filter((j) => position.get(j)! < position.get(index)! && candidates.has(j));
  const after = order.filter((j) => position.get(j)! > position.get(index)! && candidates.has(j));
  const own = model.regions[index];
  const { parts, rest: effective } = partition(model, own, before);
  const findings: Finding[] = [];
  const opaque = (...idx: number[]) => idx.some((i) => model.opaque[i]);
  const certainty = (confirmed: boolean, ...idx: number[]): "proven" | "possible" => (confirmed || !opaque(...idx) ? "proven" : "possible");

  if (effective.length === 0) {
    // Never decides: every call it matches is taken by the rules before it (possibly several together).
    const others = parts.map((p) => policy.rules[p.index]);
    const names = others.map(q).join(others.length === 2 ? " and " : ", ");
    const together = others.length > 1 ? " together" : "";
    // A differing part counts as proof only with a confirmed witness, or when no opaque predicate is involved.
    const differing = parts
      .filter((p) => !sameOutcome(policy.rules[p.index], rule))
      .map((p) => ({ ...p, ...model.witness(p.region, (call) => ruleMatchesCall(rule, call) && decide(policy, call).index === p.index) }))
      .map((p) => ({ ...p, proven: p.confirmed || !opaque(index, p.index) }));
    const shadow = differing.find((p) => p.proven) ?? differing[0];
    if (shadow) {
      const d = policy.rules[shadow.index];
      findings.push({
        kind: "shadowed",
        severity: "error",
        rule,
        others,
        ...(shadow.witness ? { witness: shadow.witness } : {}),
        certainty: shadow.proven ? "proven" : "possible",
        combine,
        message:
          others.length === 1
            ? `${q(rule)} (${outcomeText(rule)}) never decides: ${names} covers it and decides ${shadow.proven ? "" : "possibly "}differently (${outcomeText(d)}).`
            : `${q(rule)} (${outcomeText(rule)}) never decides: ${names} cover it${together}, and ${q(d)} decides ${shadow.proven ? "" : "possibly "}differently (${outcomeText(d)}).`,
        hint: combine === "first-match" ? `move ${q(rule)} above ${q(d)}, or narrow the earlier rules` : `narrow ${q(d)} or remove ${q(rule)}`,
      });
    } else {
      const { witness } = model.witness(parts[0].region, (call) => ruleMatchesCall(rule, call) && decide(policy, call).index === parts[0].index);
      findings.push({
        kind: "unreachable",
        severity: "warning",
        rule,
        others,
        ...(witness ? { witness } : {}),
        certainty: "proven",
        combine,
        message: `${q(rule)} never decides: ${names} cover${others.length > 1 ? "" : "s"} it${together} with the same outcome, so it is redundant.`,
        hint: `remove ${q(rule)}`,
      });
    }
    return findings;
  }

  // Partly taken by earlier rules: one finding per rule that decides some of its calls.
  for (const part of parts) {
    const winner = policy.rules[part.index];
    const check = (call: ToolCall) => ruleMatchesCall(rule, call) && ruleMatchesCall(winner, call) && decide(policy, call).index === winner.index;
    const { witness, confirmed } = model.witness(part.region, check);
    const same = sameOutcome(winner, rule);
    const winnerInside = !same && minus(model.regions[part.index], own).length === 0;
    const kind = same ? "overlap" : winnerInside ? "generalization" : "correlation";
    const laxerWins = APPROVAL_RANK[winner.approval] < APPROVAL_RANK[rule.approval];
    const severity = same ? "info" : laxerWins && !winnerInside ? "warning" : "info";
    const how = combine === "first-match" ? "comes first" : "is stricter or earlier";
    const message = same
      ? `${q(rule)} overlaps ${q(winner)} with the same outcome (${outcomeText(rule)}); ${q(winner)} ${how} and decides the common calls.`
      : winnerInside
        ? `${q(rule)} generalizes ${q(winner)}: on ${q(winner)}'s calls, ${q(winner)} decides (${outcomeText(winner)}) instead of ${q(rule)} (${outcomeText(rule)}).`
        : `${q(rule)} is partly shadowed by ${q(winner)}: on calls both match, ${q(winner)} decides (${outcomeText(winner)}) instead of ${q(rule)} (${outcomeText(rule)}).`;
    findings.push({
      kind,
      severity,
      rule,
      others: [winner],
      ...(witness ? { witness } : {}),
      certainty: certainty(confirmed, index, part.index),
      combine,
      message,
    });
  }

  // Downward redundancy: what it decides, the rules after it (or the defaults) would decide the same.
  const below = partition(model, effective, after);
  const changes = below.parts.some((p) => !sameOutcome(policy.rules[p.index], rule)) || (below.rest.length > 0 && !sameOutcome(policy.defaults, rule));
  if (!changes) {
    const others = below.parts.map((p) => policy.rules[p.index]);
    const withoutRule: Policy = { ...policy, rules: policy.rules.filter((r) => r.index !== index).map((r) => r) };
    void withoutRule;
    const { witness, confirmed } = model.witness(effective, (call) => decide(policy, call).index === index);
    const takers = [...others.map(q), ...(below.rest.length > 0 ? ["the defaults"] : [])];
    findings.push({
      kind: "redundant",
      severity: "warning",
      rule,
      others,
      withDefaults: below.rest.length > 0,
      ...(witness ? { witness } : {}),
      certainty: certainty(confirmed, index, ...below.parts.map((p) => p.index)),
      combine,
      message: `${q(rule)} is redundant: without it, ${takers.join(" and ")} would decide its calls the same way (${outcomeText(rule)}).`,
      hint: `remove ${q(rule)}`,
    });
  }
  return findings;
}

/** Calls that `strictest` and `first-match` decide differently, for policies that do not state `combine:`. */
function modeDependence(model: PolicyModel, policy: Policy): Finding[] {
  const fm = precedenceOrder({ ...policy, combine: "first-match" });
  const st = precedenceOrder({ ...policy, combine: "strictest" });
  const stPolicy: Policy = { ...policy, combine: "strictest" };
  const fmPolicy: Policy = { ...policy, combine: "first-match" };
  const findings: Finding[] = [];
  const stPos = new Map(st.map((idx, pos) => [idx, pos]));
  for (const r of fm) {
    const candidates = model.candidates(r);
    let effective: Region;
    try {
      effective = partition(model, model.regions[r], fm.filter((j) => j !== r && candidates.has(j) && fm.indexOf(j) < fm.indexOf(r))).rest;
      if (effective.length === 0) continue;
      const under = partition(model, effective, st.filter((j) => candidates.has(j) || j === r).sort((a, b) => stPos.get(a)! - stPos.get(b)!));
      const rule = policy.rules[r];
      for (const part of under.parts) {
        const s = policy.rules[part.index];
        if (part.index === r || sameOutcome(s, rule)) continue;
        const { witness, confirmed } = model.witness(part.region, (call) => decide(fmPolicy, call).index === r && decide(stPolicy, call).index === part.index);
        findings.push({
          kind: "mode-dependent",
          severity: "warning",
          rule,
          others: [s],
          ...(witness ? { witness } : {}),
          certainty: confirmed || !(model.opaque[r] || model.opaque[part.index]) ? "proven" : "possible",
          combine: policy.combine,
          message: `The policy does not state \`combine:\`, and the modes disagree: first-match lets ${q(rule)} decide (${outcomeText(rule)}), strictest lets ${q(s)} decide (${outcomeText(s)}).`,
          hint: `add \`combine: strictest\` (the default) or \`combine: first-match\` (Aegis's engine) at the top level`,
        });
      }
    } catch (e) {
      if (!(e instanceof RegionTooLarge)) throw e;
    }
  }
  return findings;
}

export type { Decision, Cube };

/**
 * Whether the policy blocks every call of `tool` on `server` whatever its arguments, time and
 * agent (or for the given agent): the rules that can match such calls and the defaults all say
 * `block`. Used to hide such tools from an MCP client. Opaque conditions can only make a rule
 * match less, so a non-block rule that might match keeps the tool visible (never hidden wrongly).
 */
export function blocksEveryCall(policy: Policy, target: { server: string; tool: string; agent?: string }): boolean {
  const model = new PolicyModel(policy);
  const cube: Cube = {
    params: new Map(),
    atoms: new Map(),
    tool: Str.exactly(target.tool),
    server: Str.exactly(target.server),
    ...(target.agent !== undefined ? { agent: Str.exactly(target.agent) } : {}),
  };
  try {
    const { parts, rest } = partition(model, [cube], precedenceOrder(policy));
    return parts.every((p) => policy.rules[p.index].approval === "block") && (rest.length === 0 || policy.defaults.approval === "block");
  } catch (e) {
    if (e instanceof RegionTooLarge) return false;
    throw e;
  }
}
