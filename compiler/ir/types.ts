// The IR: a policy after loading, every node carrying the span of the text it came from.

import type { CompiledRegex } from "../semantics/python-re/compile.ts";
import type { Span } from "./span.ts";

export const APPROVALS = ["auto", "approve", "block"] as const;
export const RISKS = ["low", "medium", "high", "critical"] as const;
export const COMBINES = ["strictest", "first-match"] as const;

export type Approval = (typeof APPROVALS)[number];
export type Risk = (typeof RISKS)[number];
export type Combine = (typeof COMBINES)[number];

/** JSON-like values as they appear in policies and call arguments. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export interface Glob {
  /** The pattern text exactly as written. */
  readonly source: string;
  readonly span: Span;
}

/** A reference to part of a call. `args` paths walk own properties only. */
export interface Path {
  readonly root: "args" | "tool" | "server" | "agent";
  readonly keys: readonly (string | number)[];
}

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/**
 * One expression IR for conditions. Aegis `conditions:` keys desugar into it. A leaf is false
 * when its operand is missing or null. Where Python raises on the operand's type (ordering a
 * string against a number, `in` on a number), a leaf marked `raises` cannot be evaluated: the
 * rule fails closed (semantics/fail-closed.ts); unmarked leaves (`when:`) are then false.
 * `raises` leaves appear only in a rule's top-level conjunction, never under `or` or `not`.
 */
export type Expr =
  | { readonly kind: "const"; readonly value: boolean; readonly span: Span }
  | { readonly kind: "and" | "or"; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: "not"; readonly item: Expr; readonly span: Span }
  /** Python-style comparison of a present, non-null operand with a literal. */
  | { readonly kind: "compare"; readonly op: CompareOp; readonly path: Path; readonly value: Value; readonly raises?: boolean; readonly span: Span }
  /** Python `value in operand`: substring, list membership or mapping key. */
  | { readonly kind: "contains"; readonly path: Path; readonly value: Value; readonly raises?: boolean; readonly span: Span }
  /** Whether Python raises evaluating `item` (a `raises` leaf) on the call: a Boolean test that itself never raises. */
  | { readonly kind: "fails"; readonly item: RaisingLeaf; readonly span: Span }
  /** Python `re.search`: over the Python string form of the operand (Aegis), or over string operands only (`when:`). */
  | {
      readonly kind: "matches";
      readonly path: Path;
      /** The matcher compiled from the Python pattern (and, in `when:`, its flags). */
      readonly regex: CompiledRegex;
      /** The pattern as written in the policy (`/re/flags` in `when:`). */
      readonly written: string;
      /** `python-str`: any present value, stringified as Python does; `string`: strings only. */
      readonly operand: "python-str" | "string";
      readonly span: Span;
    }
  /** Minute of the day (0-1439) in `zone` compared with a bound. */
  | { readonly kind: "clock"; readonly op: ">=" | "<"; readonly minute: number; readonly zone: string; readonly span: Span }
  /** Minute of the day in `from` (inclusive) … `to` (exclusive), wrapping past midnight when `from > to`. */
  | { readonly kind: "window"; readonly from: number; readonly to: number; readonly zone: string; readonly span: Span }
  /** ISO weekday (1 = Monday … 7 = Sunday) in `zone` is one of `days`. */
  | { readonly kind: "weekday"; readonly days: readonly number[]; readonly zone: string; readonly span: Span }
  /** Aegis's keyword evaluator: some keyword equals some token of the call. */
  | { readonly kind: "semantic"; readonly text: string; readonly keywords: readonly string[]; readonly span: Span }
  /** The operand is present, not null, and (Python-)equal to one of `values`; `negated`: present, not null, and none. */
  | { readonly kind: "in"; readonly path: Path; readonly values: readonly Value[]; readonly negated: boolean; readonly span: Span }
  /** A string operand starts or ends with `value`. */
  | { readonly kind: "text"; readonly op: "startsWith" | "endsWith"; readonly path: Path; readonly value: string; readonly span: Span }
  /** A string operand matches an Aegis (fnmatch) glob. */
  | { readonly kind: "glob"; readonly path: Path; readonly pattern: string; readonly span: Span }
  /** The operand is present and not null. */
  | { readonly kind: "exists"; readonly path: Path; readonly span: Span }
  /** The length of a string (in code points), list or mapping operand compared with a number. */
  | { readonly kind: "length"; readonly op: CompareOp; readonly path: Path; readonly value: number; readonly span: Span };

/** A leaf that Python may fail to evaluate (see Expr). */
export type RaisingLeaf = Extract<Expr, { kind: "compare" | "contains" }>;

/** An Aegis condition entry before desugaring: the key, its value, and where they are. */
export interface AegisCondition {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: unknown;
  readonly valueSpan: Span;
  /** The value's source text, to explain YAML 1.1 readings such as `18:00` → 1080. */
  readonly valueText: string;
  /** Whether the value is an unquoted scalar. */
  readonly plainScalar: boolean;
  /** Entries of a mapping value such as `param_gt: {size: 10}`, with spans. */
  readonly entries?: readonly ConditionEntry[];
  /** Spans of the items of a list value such as `weekdays: [1, 2]`. */
  readonly itemSpans?: readonly Span[];
}

export interface ConditionEntry {
  readonly key: unknown;
  readonly keySpan: Span;
  readonly value: unknown;
  readonly valueSpan: Span;
  readonly valueText: string;
}

/** A rule's `when:` text as written, with the file offset of each of its characters. */
export interface WhenSource {
  readonly text: string;
  /** The YAML scalar holding the expression. */
  readonly span: Span;
  /** offsets[i] is the file offset of text[i]; offsets[text.length] is the end. */
  readonly offsets: readonly number[];
}

export interface Rule {
  /** Position in the merged policy (0-based). */
  readonly index: number;
  /** The name decisions report: as written, or Aegis's `rule_<i>` / `type@target` fallbacks. */
  name: string;
  /** Whether `name` was written in the policy (false for generated fallback names). */
  readonly named: boolean;
  /** Position of the rule within its own file, for Aegis's `rule_<i>` names. */
  readonly indexInFile: number;
  readonly span: Span;
  readonly nameSpan: Span;
  readonly description?: string;
  readonly tool: Glob;
  readonly server: Glob;
  readonly agent: Glob;
  readonly conditions: readonly AegisCondition[];
  readonly whenSource?: WhenSource;
  /** The rule's condition after desugaring `conditions` and `when` (ANDed); `const true` when it has none. */
  when: Expr;
  readonly risk: Risk;
  readonly riskSpan: Span;
  readonly approval: Approval;
  readonly approvalSpan: Span;
  /**
   * Set only on the entries semantics/fail-closed.ts derives for the analysis and the code
   * generator: the index (in the written policy) of the rule whose conditions cannot be evaluated
   * on the calls this entry takes. Such an entry decides `block` with that rule's name and risk.
   */
  readonly failureOf?: number;
}

export interface Policy {
  readonly files: readonly string[];
  readonly version: number;
  readonly combine: Combine;
  /** Whether some file stated `combine:`; analysis reports mode-dependent decisions when not. */
  readonly combineExplicit: boolean;
  /** IANA zone for `time` and `weekday` in `when:` expressions (Aegis's own keys stay UTC). */
  readonly timezone: string;
  readonly defaults: { readonly risk: Risk; readonly approval: Approval; readonly span: Span };
  readonly rules: Rule[];
  /** sha256 of the canonical policy, set by infer-policy-hash. */
  hash: string;
}

export const APPROVAL_RANK: Readonly<Record<Approval, number>> = { auto: 0, approve: 1, block: 2 };
export const RISK_RANK: Readonly<Record<Risk, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
