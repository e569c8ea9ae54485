// Cedar translation of an Aegis policy (one Cedar policy per rule, forbid for block) and a decider over a preparsed Cedar policy set.

import { preparsePolicySet, statefulIsAuthorized, type StatefulAuthorizationCall } from "@cedar-policy/cedar-wasm/nodejs";
import type { Decision, ToolCall } from "../../compiler/interpret.ts";
import type { Expr, Policy, Rule } from "../../compiler/ir/types.ts";
import { argumentKey, couldBeInInteger, literalGlob, literalRegex, Notes, outcomesOf, requestParts, starAlternatives, TranslationError, type Outcomes, type StarPart, type TranslationNote } from "./shared.ts";

const ENGINE = "Cedar";
const CLOCK_NOTE = "time conditions read context.minute and context.weekday, which the request builder computes from the call's time in UTC (Cedar has no clock)";

/**
 * The mapping, and why it decides as `strictest` does:
 * - A rule is one Cedar policy with id `r<index>`: `forbid` for `block`, `permit` for `approve` and
 *   `auto` (annotated with the rule's name, approval and risk). A call is the request
 *   principal `Agent::"<agent id, or * without one>"`, action `Action::"call"`, resource
 *   `Tool::"<tool>"`, and a context with the tool, server and agent as strings, the arguments,
 *   and the UTC minute of the day and ISO weekday (Cedar has no clock).
 * - Cedar denies when any forbid is satisfied, and then names the satisfied forbids as the
 *   determining policies; otherwise it allows when some permit is satisfied and names every
 *   satisfied permit; otherwise it denies and names none. Under `strictest` a matching block rule
 *   always wins, and otherwise the winner is among the matching rules: so the winner is always among
 *   the determining policies, and it is the one of them that `strictest` ranks first (approval, then
 *   risk, then file position). The request builder picks it (this is how an application reads an
 *   outcome Cedar's two-valued decision has no room for: approve versus auto, the risk, the rule's
 *   name for the audit trail). No policy named: the policy's defaults.
 * - Literal tool and agent patterns are written in the policy scope (`resource ==`, `principal ==`),
 *   as a Cedar author writes them; globs become `like` over the context strings.
 */
export interface CedarTranslation {
  /** Policy text by policy id, for `preparsePolicySet`'s `staticPolicies`. */
  readonly policies: Readonly<Record<string, string>>;
  readonly outcomes: Outcomes;
  readonly notes: readonly TranslationNote[];
}

export function translateToCedar(policy: Policy): CedarTranslation {
  const outcomes = outcomesOf(policy);
  const notes = new Notes();
  const policies: Record<string, string> = {};
  for (const rule of policy.rules) policies[`r${rule.index}`] = cedarPolicy(rule, notes);
  const blocks = policy.rules.filter((r) => r.approval === "block").length;
  if (blocks > 0) notes.add("block rules are `forbid` policies, the others `permit`; the strictest of the determining policies gives approve or auto, the risk and the rule", "block rules", blocks);
  return { policies, outcomes, notes: notes.list() };
}

function cedarPolicy(rule: Rule, notes: Notes): string {
  const scope: string[] = [];
  const when: string[] = [];
  const agent = rule.agent.source;
  const agentLiteral = literalGlob(agent);
  if (agent === "*") scope.push("principal");
  else if (agentLiteral !== undefined) scope.push(`principal == Agent::${cedarString(agentLiteral)}`);
  else {
    scope.push("principal");
    when.push(likeAny("context.agent", agent, notes));
  }
  scope.push(`action == Action::"call"`);
  const toolLiteral = literalGlob(rule.tool.source);
  if (rule.tool.source === "*") scope.push("resource");
  else if (toolLiteral !== undefined) scope.push(`resource == Tool::${cedarString(toolLiteral)}`);
  else {
    scope.push("resource");
    when.push(likeAny("context.tool", rule.tool.source, notes));
  }
  const serverLiteral = literalGlob(rule.server.source);
  if (serverLiteral !== undefined) when.push(`context.server == ${cedarString(serverLiteral)}`);
  else if (rule.server.source !== "*") when.push(likeAny("context.server", rule.server.source, notes));
  if (!(rule.when.kind === "const" && rule.when.value)) when.push(cedarExpr(rule.when, notes));
  const annotations = `@rule(${cedarString(rule.name)}) @approval("${rule.approval}") @risk("${rule.risk}")`;
  const effect = rule.approval === "block" ? "forbid" : "permit";
  return `${annotations}\n${effect} (${scope.join(", ")})${when.length > 0 ? `\nwhen { ${when.join(" && ")} }` : ""};`;
}

/** A glob as `like` tests: one, or a disjunction when a character set expands (Cedar's `like` has `*` only). */
function likeAny(subject: string, pattern: string, notes: Notes): string {
  const { alternatives, expandedSets } = starAlternatives(pattern, ENGINE);
  if (expandedSets) notes.add("globs with a character set ([rw]) are a disjunction of `like` patterns, one per character (Cedar's `like` has `*` only)", "globs");
  if (alternatives.length === 0) return "false";
  const tests = alternatives.map((alt) => `${subject} like ${cedarLikePattern(alt)}`);
  return tests.length === 1 ? tests[0] : `(${tests.join(" || ")})`;
}

/**
 * A condition as a Cedar expression. Cedar skips a policy whose condition errs (a Long compared
 * with a String, `like` on a Long), which is what Aegis does with a leaf that cannot compare (it is
 * false); that holds under `&&` but not under `||` or `!`, whose Aegis result can be true where
 * Cedar's errs, so those are not translated (the bench's policies have none).
 */
function cedarExpr(expr: Expr, notes: Notes): string {
  switch (expr.kind) {
    case "const":
      return expr.value ? "true" : "false";
    case "and":
      return expr.items.length === 0 ? "true" : `(${expr.items.map((e) => cedarExpr(e, notes)).join(" && ")})`;
    case "compare": {
      const key = argumentKey(expr, ENGINE);
      const v = expr.value;
      if (typeof v === "string") {
        if (expr.op !== "==" && expr.op !== "!=") throw new TranslationError(`${ENGINE} has no ordering of strings: ${expr.op} ${JSON.stringify(v)} is not translated`);
        return `(${hasArg(key)} && ${arg(key)} ${expr.op} ${cedarString(v)})`;
      }
      if (typeof v === "number" && Number.isSafeInteger(v)) return `(${hasArg(key)} && ${arg(key)} ${expr.op} ${v})`;
      throw new TranslationError(`${ENGINE}: a comparison with ${JSON.stringify(v)} is not translated (Cedar compares Longs and Strings only)`);
    }
    case "contains": {
      const key = argumentKey(expr, ENGINE);
      if (typeof expr.value !== "string") throw new TranslationError(`${ENGINE}: param_contains of ${JSON.stringify(expr.value)} is not translated (only text in text)`);
      // On a String: substring, as Python's `in`; on a Long, `like` errs and Python raises: both false.
      return `(${hasArg(key)} && ${arg(key)} like ${cedarLikePattern([{ t: "star" }, { t: "lit", s: expr.value }, { t: "star" }])})`;
    }
    case "matches": {
      const key = argumentKey(expr, ENGINE);
      const literal = literalRegex(expr.written);
      if (!literal) throw new TranslationError(`${ENGINE} has no regular expressions: /${expr.written}/ is not literal text with anchors, so it has no \`like\` equivalent`);
      // Python searches str(value): an integer's digits could match where Cedar's `like` errs on a Long.
      if (expr.operand === "python-str" && couldBeInInteger(literal.text)) throw new TranslationError(`${ENGINE}: /${expr.written}/ could match an integer's digits, which \`like\` cannot test`);
      notes.add("literal regexes (^/etc/, \\.pem$) are `like` patterns, `$` also before one final newline as in Python (Cedar has no regular expressions)", "conditions");
      const lit = { t: "lit", s: literal.text } as const;
      const nl = { t: "lit", s: `${literal.text}\n` } as const;
      const star = { t: "star" } as const;
      const heads = literal.start ? [] : [star];
      const tails: StarPart[][] = literal.end ? [[lit], [nl]] : [[lit, star]];
      const tests = tails.map((tail) => `${arg(key)} like ${cedarLikePattern([...heads, ...tail])}`);
      return `(${hasArg(key)} && ${tests.length === 1 ? tests[0] : `(${tests.join(" || ")})`})`;
    }
    case "clock":
      utcOnly(expr.zone);
      notes.add(CLOCK_NOTE, "conditions");
      return `context.minute ${expr.op} ${expr.minute}`;
    case "window":
      utcOnly(expr.zone);
      notes.add(CLOCK_NOTE, "conditions");
      return expr.from <= expr.to ? `(context.minute >= ${expr.from} && context.minute < ${expr.to})` : `(context.minute >= ${expr.from} || context.minute < ${expr.to})`;
    case "weekday":
      utcOnly(expr.zone);
      notes.add(CLOCK_NOTE, "conditions");
      return `[${expr.days.join(", ")}].contains(context.weekday)`;
    default:
      throw new TranslationError(`${ENGINE}: a condition of kind ${expr.kind} is not translated`);
  }
}

function utcOnly(zone: string): void {
  if (zone !== "UTC") throw new TranslationError(`${ENGINE}: time conditions in ${zone} are not translated (the request builder supplies the UTC clock)`);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(["true", "false", "if", "then", "else", "in", "like", "has", "is", "__cedar"]);
const hasArg = (key: string) => (IDENTIFIER.test(key) && !RESERVED.has(key) ? `context.args has ${key}` : `context.args has ${cedarString(key)}`);
const arg = (key: string) => (IDENTIFIER.test(key) && !RESERVED.has(key) ? `context.args.${key}` : `context.args[${cedarString(key)}]`);

/** A Cedar string literal: `\\`, `"` and control characters escaped, as Cedar's lexer reads them. */
export function cedarString(s: string): string {
  return `"${escapeCedar(s)}"`;
}

function escapeCedar(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f || cp === 0x2028 || cp === 0x2029) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out;
}

/** A `like` pattern: `*` is the wildcard, a literal star is `\*`. */
function cedarLikePattern(parts: readonly StarPart[]): string {
  return `"${parts.map((p) => (p.t === "star" ? "*" : escapeCedar(p.s).replace(/\*/g, "\\*"))).join("")}"`;
}

export interface CedarDecider {
  readonly decide: (call: ToolCall) => Decision;
}

const ACTION = Object.freeze({ type: "Action", id: "call" });
const NO_ENTITIES: never[] = [];

/**
 * Preparses the policy set under `id` (Cedar keeps it in the Wasm module for the process's life)
 * and returns a decider that authorizes each call against it: one `statefulIsAuthorized` per call.
 */
export function loadCedar(translation: CedarTranslation, id: string): CedarDecider {
  const parsed = preparsePolicySet(id, { staticPolicies: translation.policies as Record<string, string> });
  if (parsed.type !== "success") throw new Error(`Cedar did not parse the translated policy set: ${parsed.errors.map((e) => e.message).join("; ")}`);
  const { decisions, rank, fallback } = translation.outcomes;
  const indexOf = new Map(Object.keys(translation.policies).map((pid) => [pid, Number(pid.slice(1))]));
  const decide = (call: ToolCall): Decision => {
    const parts = requestParts(call, translation.outcomes.raising);
    const request: StatefulAuthorizationCall = {
      principal: { type: "Agent", id: parts.agent },
      action: ACTION,
      resource: { type: "Tool", id: parts.tool },
      context: { tool: parts.tool, server: parts.server, agent: parts.agent, args: parts.args, minute: parts.minute, weekday: parts.weekday },
      preparsedPolicySetId: id,
      entities: NO_ENTITIES,
    };
    const answer = statefulIsAuthorized(request);
    if (answer.type !== "success") throw new Error(`Cedar could not authorize ${JSON.stringify(call)}: ${answer.errors.map((e) => e.message).join("; ")}`);
    let best = -1;
    for (const pid of answer.response.diagnostics.reason) {
      const index = indexOf.get(pid)!;
      if (best < 0 || rank[index] < rank[best]) best = index;
    }
    if (best < 0) return fallback;
    const decision = decisions[best];
    // Cedar's own decision must be the block/not-block half of the answer.
    if ((answer.response.decision === "deny") !== (decision.approval === "block")) throw new Error(`Cedar decided ${answer.response.decision} but its determining policy r${best} is ${decision.approval}`);
    return decision;
  };
  return { decide };
}
