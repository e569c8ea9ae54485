// Turns parsed YAML documents into the IR: checks every key and value, keeps spans, merges files in order.

import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { span, type Span } from "../ir/span.ts";
import {
  APPROVALS,
  COMBINES,
  RISKS,
  type AegisCondition,
  type Approval,
  type Combine,
  type Glob,
  type Policy,
  type Risk,
  type Rule,
  type WhenSource,
} from "../ir/types.ts";
import { scalarValueOffsets, type ScalarStyle } from "./scalar-offsets.ts";
import { didYouMean } from "./suggest.ts";

/** Whether Intl knows the zone (IANA names such as "Europe/Paris", and "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone.trim() !== "";
  } catch {
    return false;
  }
}

function canonicalTimeZone(zone: string): string {
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  return resolved === "Etc/UTC" || resolved === "Etc/GMT" || resolved === "GMT" ? "UTC" : resolved;
}

/** Aegis keys that aegisc knowingly does not take, with what they are for. */
const UNSUPPORTED_AEGIS_KEYS: Readonly<Record<string, string>> = {
  plan_rules: "Aegis's rules for multi-action plans",
  rate_limits: "Aegis's rate limits, which its policy loader ignores",
};

export const TOP_LEVEL_KEYS = ["version", "combine", "timezone", "description", "defaults", "rules", "scope", "scope_id"] as const;
export const DEFAULTS_KEYS = ["risk_level", "approval"] as const;
export const RULE_KEYS = ["name", "description", "match", "conditions", "when", "risk_level", "approval"] as const;
export const MATCH_KEYS = ["type", "target", "agent"] as const;
export const CONDITION_KEYS = [
  "time_after",
  "time_before",
  "weekdays",
  "param_eq",
  "param_gt",
  "param_lt",
  "param_gte",
  "param_lte",
  "param_contains",
  "param_matches",
  "semantic",
] as const;

/** What one file contributes before merging. */
export interface FileDraft {
  readonly path: string;
  readonly span: Span;
  readonly version?: { value: number; span: Span };
  readonly combine?: { value: Combine; span: Span };
  readonly timezone?: { value: string; span: Span };
  readonly defaults: { risk?: Risk; approval?: Approval; span: Span };
  readonly rules: Omit<Rule, "index">[];
}

/** Builds one file's draft; problems go to the bag, and whatever is well-formed is kept so later checks still run. */
export function buildFileDraft(source: SourceText, doc: Document, bag: DiagnosticBag): FileDraft | undefined {
  const file = source.path;
  const sp = (node: Node | null | undefined, fallback: Span): Span =>
    node && node.range ? span(file, node.range[0], node.range[1]) : fallback;
  const wholeFile = span(file, 0, source.text.length);
  const top = doc.contents;

  if (top === null || (isScalar(top) && top.value === null)) {
    bag.add(Diagnostics.emptyFile, "The policy file is empty; write at least `rules:`.", span(file, 0, source.text.length), {
      hint: "an empty policy decides every call with the defaults (block)",
    });
    return undefined;
  }
  if (!isMap(top)) {
    const what = isSeq(top) ? "a list" : typeName(isScalar(top) ? top.value : top);
    bag.add(Diagnostics.notAMapping, `The top level is ${what}, not a mapping of policy keys.`, sp(top, wholeFile), {
      hint: "a policy starts with keys such as `version:`, `defaults:` and `rules:`",
    });
    return undefined;
  }

  /** Follows an alias (`*name`) to its anchored node, so `match: *common` is read as the mapping it names. */
  const deref = (node: unknown): Node | null => (isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? node) : ((node as Node | null) ?? null));
  const keySpan = (pair: Pair): Span => sp(pair.key as Node, wholeFile);
  /** An empty value (`match:` with nothing after it) has an empty range; point at its key instead. */
  const valueSpan = (pair: Pair): Span => {
    const v = pair.value as Node | null;
    return v && v.range && v.range[1] > v.range[0] ? sp(v, keySpan(pair)) : keySpan(pair);
  };
  const text = (s: Span) => source.text.slice(s.start, s.end);

  /**
   * A mapping's pairs after YAML merge keys (`<<: *base`), as PyYAML's flatten_mapping gives
   * them: merged pairs first (earlier sources win), then the mapping's own; a later pair with
   * the same key replaces an earlier one in its place.
   */
  const pairsOf = (map: YAMLMap): Pair[] => {
    const merged: Pair[] = [];
    const own: Pair[] = [];
    for (const pair of map.items) {
      if (!(isScalar(pair.key) && typeof pair.key.value === "symbol")) {
        own.push(pair);
        continue;
      }
      const value = deref(pair.value);
      const sources = isSeq(value) ? [...value.items].reverse() : [value];
      for (const src of sources) {
        const target = deref(src);
        if (isMap(target)) merged.push(...pairsOf(target));
        else bag.add(Diagnostics.wrongType, "A merge key `<<` needs a mapping or a list of mappings.", sp(src as Node, keySpan(pair)));
      }
    }
    const out: Pair[] = [];
    const at = new Map<unknown, number>();
    for (const pair of [...merged, ...own]) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const i = at.get(key);
      if (i === undefined) {
        at.set(key, out.length);
        out.push(pair);
      } else out[i] = pair;
    }
    return out;
  };

  /** Iterates a mapping's pairs, reporting keys outside `allowed`. */
  const entries = (map: YAMLMap, allowed: readonly string[], where: string): Pair[] => {
    const out: Pair[] = [];
    for (const pair of pairsOf(map)) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== "string") {
        bag.add(Diagnostics.wrongType, `Keys ${where} must be strings, not ${typeName(isScalar(pair.key) ? key : (pair.key as Node | null)?.toJS(doc))}.`, keySpan(pair));
        continue;
      }
      if (!allowed.includes(key)) {
        const known = UNSUPPORTED_AEGIS_KEYS[key];
        const hint = didYouMean(key, allowed);
        bag.add(Diagnostics.unknownKey, known && where === "at the top level" ? `\`${key}\` (${known}) is not supported by aegisc.` : `Unknown key \`${key}\` ${where}.`, keySpan(pair), {
          hint: known && where === "at the top level" ? "remove it; aegisc decides single tool calls" : (hint ?? `the keys allowed here are ${allowed.map((k) => `\`${k}\``).join(", ")}`),
        });
        continue;
      }
      out.push(pair);
    }
    return out;
  };
  const keyOf = (pair: Pair) => (pair.key as { value: string }).value;
  const valueOf = (pair: Pair): unknown => (pair.value === null ? null : (pair.value as Node).toJS(doc));

  const readRisk = (pair: Pair): Risk | undefined => {
    const v = valueOf(pair);
    if (typeof v === "string" && (RISKS as readonly string[]).includes(v.toLowerCase())) return v.toLowerCase() as Risk;
    const hint = typeof v === "string" ? didYouMean(v, RISKS) : undefined;
    bag.add(Diagnostics.invalidRisk, `\`${display(v)}\` is not a risk level.`, valueSpan(pair), {
      hint: hint ?? "use low, medium, high or critical",
    });
    return undefined;
  };
  const readApproval = (pair: Pair): Approval | undefined => {
    const v = valueOf(pair);
    if (typeof v === "string" && (APPROVALS as readonly string[]).includes(v)) return v as Approval;
    const lower = typeof v === "string" ? v.toLowerCase() : "";
    const hint = (APPROVALS as readonly string[]).includes(lower)
      ? `approvals are lower case: \`${lower}\``
      : typeof v === "string"
        ? didYouMean(v, APPROVALS)
        : undefined;
    bag.add(Diagnostics.invalidApproval, `\`${display(v)}\` is not an approval.`, valueSpan(pair), {
      hint: hint ?? "use auto, approve or block",
    });
    return undefined;
  };

  let version: FileDraft["version"];
  let combine: FileDraft["combine"];
  let timezone: FileDraft["timezone"];
  const defaults: FileDraft["defaults"] = { span: span(file, 0, 0) };
  const rules: Omit<Rule, "index">[] = [];

  for (const pair of entries(top, TOP_LEVEL_KEYS, "at the top level")) {
    const key = keyOf(pair);
    const v = valueOf(pair);
    if (key === "version") {
      // Aegis converts with Python int(): "1", 1 and " 2 " are fine, "1.0" and "v1" are not.
      const n = typeof v === "number" && Number.isInteger(v) ? v : typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
      if (Number.isNaN(n)) bag.add(Diagnostics.invalidVersion, `Version \`${display(v)}\` is not an integer.`, valueSpan(pair), { hint: 'write `version: "1"`' });
      else version = { value: n, span: valueSpan(pair) };
    } else if (key === "combine") {
      if (typeof v === "string" && (COMBINES as readonly string[]).includes(v)) combine = { value: v as Combine, span: valueSpan(pair) };
      else
        bag.add(Diagnostics.invalidCombine, `\`${display(v)}\` is not a combine mode.`, valueSpan(pair), {
          hint: (typeof v === "string" ? didYouMean(v, COMBINES) : undefined) ?? "use strictest or first-match",
        });
    } else if (key === "timezone") {
      if (typeof v === "string" && isTimeZone(v)) timezone = { value: canonicalTimeZone(v), span: valueSpan(pair) };
      else bag.add(Diagnostics.invalidTimezone, `\`${display(v)}\` is not an IANA time zone.`, valueSpan(pair), { hint: 'for example `timezone: "Europe/Paris"` or `"UTC"`' });
    } else if (key === "description" || key === "scope" || key === "scope_id") {
      if (v !== null && typeof v !== "string") bag.add(Diagnostics.wrongType, `\`${key}\` must be a string.`, valueSpan(pair));
    } else if (key === "defaults") {
      defaults.span = valueSpan(pair);
      if (v === null) continue;
      const value = deref(pair.value);
      if (!isMap(value)) {
        bag.add(Diagnostics.wrongType, "`defaults` must be a mapping.", valueSpan(pair));
        continue;
      }
      for (const d of entries(value, DEFAULTS_KEYS, "in `defaults`")) {
        if (keyOf(d) === "risk_level") defaults.risk = readRisk(d);
        else defaults.approval = readApproval(d);
      }
    } else if (key === "rules") {
      if (v === null) continue;
      const value = deref(pair.value);
      if (!isSeq(value)) {
        bag.add(Diagnostics.wrongType, "`rules` must be a list of rules.", valueSpan(pair));
        continue;
      }
      value.items.forEach((item, indexInFile) => {
        const from = bag.size;
        const rule = buildRule(item as Node, indexInFile);
        if (rule) {
          bag.attachRule(from, rule.name);
          rules.push(rule);
        }
      });
    }
  }

  function buildRule(node: Node, indexInFile: number): Omit<Rule, "index"> | undefined {
    const ruleSpan = sp(node, wholeFile);
    // An aliased rule (`- *base`) is reported where the alias is written, not at its anchor.
    const aliased = isAlias(node);
    node = deref(node) ?? node;
    if (!isMap(node)) {
      bag.add(Diagnostics.wrongType, `Rule ${indexInFile + 1} must be a mapping.`, ruleSpan);
      return undefined;
    }
    let name: string | undefined;
    let nameSpan = span(file, ruleSpan.start, ruleSpan.start);
    let description: string | undefined;
    let risk: Risk = "medium";
    let riskSpan = nameSpan;
    let approval: Approval = "approve";
    let approvalSpan = nameSpan;
    const globs: Record<string, Glob> = {};
    let conditions: AegisCondition[] = [];
    let whenSource: WhenSource | undefined;
    for (const pair of entries(node, RULE_KEYS, "in a rule")) {
      const key = keyOf(pair);
      const v = valueOf(pair);
      if (key === "name") {
        nameSpan = aliased ? ruleSpan : valueSpan(pair);
        if (typeof v === "string") name = v;
        else {
          bag.add(Diagnostics.wrongType, `A rule name must be a string, not ${typeName(v)}.`, valueSpan(pair), {
            hint: v !== null ? `quote it: \`name: "${text(valueSpan(pair)).replace(/"/g, '\\"')}"\`` : undefined,
          });
        }
      } else if (key === "description") {
        if (typeof v === "string") description = v;
        else if (v !== null) bag.add(Diagnostics.wrongType, "A rule description must be a string.", valueSpan(pair));
      } else if (key === "risk_level") {
        riskSpan = valueSpan(pair);
        const r = readRisk(pair);
        if (r) risk = r;
      } else if (key === "approval") {
        approvalSpan = valueSpan(pair);
        const a = readApproval(pair);
        if (a) approval = a;
      } else if (key === "match") {
        const value = deref(pair.value);
        if (!isMap(value)) {
          bag.add(Diagnostics.matchNotMapping, `\`match\` must be a mapping, not ${typeName(v)}.`, valueSpan(pair), {
            hint: v === null ? "remove `match:` to match every call, or give `type`, `target` or `agent`" : undefined,
          });
          continue;
        }
        for (const m of entries(value, MATCH_KEYS, "in `match`")) {
          const g = valueOf(m);
          if (typeof g !== "string") {
            const raw = text(valueSpan(m));
            bag.add(Diagnostics.globNotString, `The \`${keyOf(m)}\` pattern must be a string, not ${typeName(g)}.`, valueSpan(m), {
              hint: isScalar(deref(m.value)) && g !== null ? `YAML 1.1 reads unquoted \`${raw}\` as ${typeName(g)}; quote it: \`${keyOf(m)}: "${raw.replace(/"/g, '\\"')}"\`` : 'give a pattern, for example `"*"`',
            });
            continue;
          }
          globs[keyOf(m)] = { source: g, span: valueSpan(m) };
        }
      } else if (key === "when") {
        const node = deref(pair.value);
        if (typeof v !== "string" || !isScalar(node) || !node.range) {
          bag.add(Diagnostics.wrongType, `\`when\` must be an expression string, not ${typeName(v)}.`, valueSpan(pair), {
            hint: 'for example `when: args.path startsWith "/data/"`',
          });
          continue;
        }
        const offsets = scalarValueOffsets(source.text, node.range[0], node.range[1], (node.type ?? "PLAIN") as ScalarStyle, v);
        whenSource = { text: v, span: valueSpan(pair), offsets };
      } else if (key === "conditions") {
        if (v === null) continue;
        const value = deref(pair.value);
        if (!isMap(value)) {
          bag.add(Diagnostics.wrongType, "`conditions` must be a mapping of condition keys.", valueSpan(pair));
          continue;
        }
        conditions = entries(value, CONDITION_KEYS, "in `conditions`").map(readCondition);
      }
    }
    // A rule with errors is still returned, so that the later checks report its other problems
    // in the same run; no policy is produced while any error stands.
    const star = (s: Span): Glob => ({ source: "*", span: s });
    const tool = globs.type ?? star(ruleSpan);
    const server = globs.target ?? star(ruleSpan);
    // Aegis's fallbacks: `rule_<i>` (index within its file) when absent, `type@target` when empty.
    const resolvedName = name === undefined ? `rule_${indexInFile}` : name === "" ? `${tool.source}@${server.source}` : name;
    return {
      name: resolvedName,
      named: name !== undefined && name !== "",
      indexInFile,
      span: ruleSpan,
      nameSpan,
      ...(description !== undefined ? { description } : {}),
      tool,
      server,
      agent: globs.agent ?? star(ruleSpan),
      conditions,
      ...(whenSource ? { whenSource } : {}),
      when: { kind: "const", value: true, span: ruleSpan },
      risk,
      riskSpan,
      approval,
      approvalSpan,
    };
  }

  function readCondition(pair: Pair): AegisCondition {
    const value = deref(pair.value);
    const cond: AegisCondition = {
      key: keyOf(pair),
      keySpan: keySpan(pair),
      value: valueOf(pair),
      valueSpan: valueSpan(pair),
      valueText: text(valueSpan(pair)),
      plainScalar: isScalar(value) && value.type === "PLAIN",
      ...(isMap(value)
        ? {
            entries: pairsOf(value).map((p) => ({
              key: isScalar(p.key) ? p.key.value : undefined,
              keySpan: keySpan(p),
              value: valueOf(p),
              valueSpan: valueSpan(p),
              valueText: text(valueSpan(p)),
            })),
          }
        : {}),
      ...(isSeq(value) ? { itemSpans: value.items.map((n) => sp(n as Node, valueSpan(pair))) } : {}),
    };
    return cond;
  }

  return { path: file, span: wholeFile, version, combine, timezone, defaults, rules };
}

/**
 * Merges files in order, as Aegis's `Policy.merge` does: rules concatenate, and version and
 * defaults come from the first file. `combine` (an aegisc key) comes from the first file that
 * states it. Later files whose defaults or combine are ignored get a warning.
 */
export function mergeDrafts(drafts: readonly FileDraft[], bag: DiagnosticBag): Policy {
  const first = drafts[0];
  const combine = drafts.find((d) => d.combine)?.combine;
  for (const d of drafts.slice(1)) {
    if (d.combine && combine && d.combine.value !== combine.value) {
      bag.add(Diagnostics.mixedDefaults, `This file says \`combine: ${d.combine.value}\`, but \`${combine.value}\` from an earlier file applies.`, d.combine.span, {
        notes: [{ message: "the mode in force is set here", span: combine.span }],
      });
    }
    const risk = d.defaults.risk ?? "medium";
    const approval = d.defaults.approval ?? "block";
    const firstRisk = first.defaults.risk ?? "medium";
    const firstApproval = first.defaults.approval ?? "block";
    if ((d.defaults.risk || d.defaults.approval) && (risk !== firstRisk || approval !== firstApproval)) {
      bag.add(Diagnostics.mixedDefaults, `These defaults are ignored: the first file's defaults (${firstRisk}, ${firstApproval}) apply to the merged policy.`, d.defaults.span);
    }
  }
  let index = 0;
  const rules: Rule[] = [];
  for (const d of drafts) for (const r of d.rules) rules.push({ ...r, index: index++ });
  return {
    files: drafts.map((d) => d.path),
    version: first.version?.value ?? 1,
    combine: combine?.value ?? "strictest",
    timezone: drafts.find((d) => d.timezone)?.timezone?.value ?? "UTC",
    combineExplicit: combine !== undefined,
    defaults: {
      risk: first.defaults.risk ?? "medium",
      approval: first.defaults.approval ?? "block",
      span: first.defaults.span.end > 0 ? first.defaults.span : span(first.path, 0, 0),
    },
    rules,
    hash: "",
  };
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Date) return "a date";
  if (v instanceof Uint8Array) return "binary data";
  if (v instanceof Set) return "a set";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "boolean") return `the boolean ${v}`;
  if (typeof v === "number") return `the number ${v}`;
  return `a ${typeof v}`;
}

export function display(v: unknown): string {
  if (typeof v === "string") return v;
  return JSON.stringify(v) ?? String(v);
}
