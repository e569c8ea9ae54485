// The governing runtime: decide, ask a human, execute, audit — and fail closed at every step.
import { denyApprover } from "./approvers.ts";
import type {
  ApprovalRequest,
  Approver,
  AuditOutcomeRecord,
  AuditRecord,
  AuditStatus,
  AuditSink,
  CheckResult,
  Decision,
  Executor,
  HumanDecision,
  PolicyInfo,
  RunOptions,
  RunResult,
  RunStatus,
  RuntimeOptions,
  ToolCall,
} from "./types.ts";

/** What the runtime decides on its own when it cannot trust the policy's answer. */
export const ERROR_DECISION: Decision = Object.freeze({ approval: "block", risk: "critical", rule: "<error>", index: -1 });

export const DENIED_BY_HUMAN = "Denied by human operator";

const APPROVALS: ReadonlySet<unknown> = new Set(["auto", "approve", "block"]);
const RISKS: ReadonlySet<unknown> = new Set(["low", "medium", "high", "critical"]);

export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    return String(error);
  } catch {
    return "unprintable error";
  }
}

function malformedDecisionReason(decision: unknown): string | undefined {
  if (typeof decision !== "object" || decision === null) return `expected an object, got ${decision === null ? "null" : typeof decision}`;
  const d = decision as Record<string, unknown>;
  if (!APPROVALS.has(d.approval)) return `approval ${JSON.stringify(d.approval) ?? "undefined"} is not auto, approve or block`;
  if (!RISKS.has(d.risk)) return `risk ${JSON.stringify(d.risk) ?? "undefined"} is not low, medium, high or critical`;
  if (typeof d.rule !== "string") return "rule is not a string";
  if (typeof d.index !== "number" || !Number.isInteger(d.index) || d.index < -1) return "index is not an integer >= -1";
  return undefined;
}

function malformedCallReason(call: unknown): string | undefined {
  if (typeof call !== "object" || call === null) return "a tool call must be an object";
  const c = call as Record<string, unknown>;
  if (typeof c.server !== "string") return "server must be a string";
  if (typeof c.tool !== "string") return "tool must be a string";
  if (c.agent !== undefined && typeof c.agent !== "string") return "agent must be a string";
  if (c.args !== undefined && (typeof c.args !== "object" || c.args === null || Array.isArray(c.args))) return "args must be an object";
  return undefined;
}

/** The message a blocked call carries; the rule's description tells the operator (or the model) why. */
export function blockMessage(decision: Decision, policy?: PolicyInfo): string {
  // The rule's description says why it matches, which a call its conditions cannot evaluate did not.
  if (decision.failClosed) return `Blocked by policy rule: ${decision.rule} — its conditions cannot be evaluated on this call (fail-closed)`;
  const description = ruleDescription(decision, policy);
  return `Blocked by policy rule: ${decision.rule}${description ? ` — ${description}` : ""}`;
}

export function ruleDescription(decision: Decision, policy?: PolicyInfo): string | undefined {
  const rule = decision.index >= 0 ? policy?.rules[decision.index] : undefined;
  // A guard compiled from another policy than the one described would otherwise show a wrong reason.
  return rule && rule.name === decision.rule ? rule.description || undefined : undefined;
}

/** What decideNow() and check() find; `now` is the time decided at, when the clock was read. */
export type Decided = ({ call: ToolCall; decision: Decision; error?: undefined } | { call?: ToolCall; decision: Decision; error: string }) & { now?: Date };

export class Runtime {
  readonly policy?: PolicyInfo;
  readonly agent?: string;
  readonly #decide: (call: ToolCall) => Decision;
  readonly #approver: Approver;
  readonly #audit?: AuditSink;
  readonly #clock: () => Date;
  readonly #executor?: Executor;

  constructor(options: RuntimeOptions) {
    if (typeof options?.decide !== "function") throw new TypeError("createGuard: options.decide must be a function (a generated guard module's decide)");
    this.#decide = options.decide;
    this.policy = options.policy ?? options.POLICY;
    this.agent = options.agent;
    this.#approver = options.approver ?? denyApprover;
    this.#audit = options.audit;
    this.#clock = options.clock ?? (() => new Date());
    this.#executor = options.executor;
  }

  /** Dry run: what would happen to this call. Asks nobody, executes nothing, audits nothing. */
  check(call: ToolCall): CheckResult {
    const decided = this.#decideSafely(call, undefined);
    const { decision } = decided;
    const status = decision.approval === "block" ? "blocked" : decision.approval === "approve" ? "approval_required" : "allowed";
    const result: CheckResult = { ok: status !== "blocked", status, decision };
    if (decided.error !== undefined) result.error = decided.error;
    return result;
  }

  /** Governs one real call: decide → approve (if asked) → execute → audit. Never throws. */
  async run<T = unknown>(call: ToolCall, execute?: Executor<T>, options?: RunOptions<T>): Promise<RunResult<T>> {
    const decided = this.decideNow(call);
    const { decision, now } = decided;
    // Without a well-formed call there is no server to audit under; refusing is all that is safe.
    if (!decided.call || !now) return { ok: false, status: "blocked", decision, error: decided.error };
    const governed = decided.call;
    // A sink that records intents gets two records for a call that runs, tied by this id.
    const id = this.#audit?.intents ? callId() : undefined;
    const record = (status: AuditStatus, human: HumanDecision, error?: string): AuditRecord => {
      const base = this.auditRecord(now, governed, decision, status, human, error);
      if (id === undefined) return base;
      const { time, ...rest } = base;
      return { time, id, ...rest };
    };

    // Prepared before anyone is asked or anything runs: a call that cannot be audited must not happen.
    const prepareError = await this.#prepareAudit(governed.server);
    if (prepareError !== undefined) {
      const reason = decided.error ?? (decision.approval === "block" ? blockMessage(decision, this.policy) : undefined);
      return { ok: false, status: "blocked", decision, error: reason ? `${reason}; ${prepareError}` : prepareError };
    }

    if (decided.error !== undefined || decision.approval === "block") {
      const error = decided.error ?? blockMessage(decision, this.policy);
      return this.#refuse("blocked", decision, await this.#writeAudit(record("blocked", null, error)), error);
    }

    let human: HumanDecision = null;
    if (decision.approval === "approve") {
      const approval = await this.#askApprover({ call: governed, decision, policy: this.policy });
      human = approval.approved ? "approved" : "denied";
      if (!approval.approved) {
        const error = approval.error ?? DENIED_BY_HUMAN;
        return this.#refuse("denied", decision, await this.#writeAudit(record("denied", human, error)), error);
      }
    }

    const executor = (execute ?? this.#executor) as Executor<T> | undefined;
    if (id !== undefined && executor) {
      // On disk before anything runs: a call whose intent cannot be recorded (a full disk) does not run.
      const intentError = await this.#writeAudit(record("forwarded", human));
      if (intentError !== undefined) return { ok: false, status: "blocked", decision, error: `${intentError}; the call was not executed` };
    }
    let value: T | undefined;
    let executed = false;
    let failure: string | undefined;
    if (!executor) {
      failure = "No executor: pass one to run() or to createGuard({ executor })";
    } else {
      try {
        value = await executor(governed);
        executed = true;
        failure = options?.failureOf ? this.#classifyFailure(options.failureOf, value) : undefined;
      } catch (error) {
        failure = errorMessage(error);
      }
    }

    const status = failure === undefined ? "success" : "failed";
    const auditError = await this.#writeAudit(id !== undefined && executor ? this.#outcomeRecord(id, governed, status, failure, now) : record(status, human, failure));
    if (auditError !== undefined) {
      // The tool may have run, but the caller must not receive a result the audit trail does not show.
      return { ok: false, status: "failed", decision, error: failure === undefined ? auditError : `${failure}; ${auditError}` };
    }
    const result: RunResult<T> = { ok: status === "success", status, decision };
    if (executed) result.value = value;
    if (failure !== undefined) result.error = failure;
    return result;
  }

  /**
   * run()'s first step alone, for callers that drive the later ones themselves (the proxy answers
   * most calls without a promise): reads the clock and decides, failing closed as run() does.
   * Without `call` (a malformed call) or `now` (a broken clock), run() refuses without auditing.
   */
  decideNow(call: ToolCall): Decided {
    let now: Date;
    try {
      now = this.#now();
    } catch (error) {
      return { decision: ERROR_DECISION, error: `Clock failed: ${errorMessage(error)}` };
    }
    return this.#decideSafely(call, now);
  }

  /** The audit record run() writes for a call decided at `now`. */
  auditRecord(now: Date, call: ToolCall, decision: Decision, status: AuditStatus, human: HumanDecision, error?: string): AuditRecord {
    const record: AuditRecord = {
      time: now.toISOString(),
      server: call.server,
      tool: call.tool,
      ...(call.agent !== undefined ? { agent: call.agent } : {}),
      args: call.args ?? {},
      rule: decision.rule,
      risk: decision.risk,
      approval: decision.approval,
      human,
      status,
    };
    if (error !== undefined) record.error = error;
    if (this.policy?.hash !== undefined) record.policy = this.policy.hash;
    return record;
  }

  #outcomeRecord(id: string, call: ToolCall, status: "success" | "failed", error: string | undefined, decidedAt: Date): AuditOutcomeRecord {
    let at = decidedAt;
    try {
      at = this.#now();
    } catch {
      // The clock worked when the call was decided; its time stands in.
    }
    const outcome: AuditOutcomeRecord = { time: at.toISOString(), id, phase: "outcome", server: call.server, tool: call.tool, status };
    if (error !== undefined) outcome.error = error;
    if (this.policy?.hash !== undefined) outcome.policy = this.policy.hash;
    return outcome;
  }

  #now(): Date {
    const now = this.#clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError("the clock did not return a valid Date");
    return now;
  }

  #decideSafely(call: ToolCall, now: Date | undefined): Decided {
    const malformedCall = malformedCallReason(call);
    if (malformedCall !== undefined) return { decision: ERROR_DECISION, error: `Malformed tool call: ${malformedCall}`, now };
    const governed: ToolCall = { ...call };
    if (governed.agent === undefined) {
      if (this.agent !== undefined) governed.agent = this.agent;
      else delete governed.agent;
    }
    try {
      if (governed.time === undefined) governed.time = now ?? this.#now();
      const decision: unknown = this.#decide(governed);
      const malformed = malformedDecisionReason(decision);
      if (malformed !== undefined) return { call: governed, decision: ERROR_DECISION, error: `Policy returned a malformed decision: ${malformed}`, now };
      return { call: governed, decision: decision as Decision, now };
    } catch (error) {
      return { call: governed, decision: ERROR_DECISION, error: `Policy evaluation failed: ${errorMessage(error)}`, now };
    }
  }

  async #askApprover(request: ApprovalRequest): Promise<{ approved: boolean; error?: string }> {
    try {
      // Anything but a literal true (a truthy string, a forgotten return) is a no.
      return { approved: (await this.#approver(request)) === true };
    } catch (error) {
      return { approved: false, error: `Approval failed, call denied: ${errorMessage(error)}` };
    }
  }

  #classifyFailure<T>(failureOf: (value: T) => string | undefined, value: T): string | undefined {
    try {
      return failureOf(value);
    } catch (error) {
      return `Could not classify the result: ${errorMessage(error)}`;
    }
  }

  async #prepareAudit(server: string): Promise<string | undefined> {
    if (!this.#audit?.prepare) return undefined;
    try {
      await this.#audit.prepare(server);
      return undefined;
    } catch (error) {
      return `Audit log unavailable: ${errorMessage(error)}`;
    }
  }

  async #writeAudit(record: AuditRecord | AuditOutcomeRecord): Promise<string | undefined> {
    if (!this.#audit) return undefined;
    try {
      await this.#audit.write(record);
      return undefined;
    } catch (error) {
      return `Audit write failed: ${errorMessage(error)}`;
    }
  }

  #refuse<T>(status: "blocked" | "denied", decision: Decision, auditError: string | undefined, error: string): RunResult<T> {
    return { ok: false, status, decision, error: auditError === undefined ? error : `${error}; ${auditError}` };
  }
}

/** A unique id for a call: crypto.randomUUID where the host has it (Node, browsers, workers), else time and randomness. */
function callId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID;
  if (uuid) return uuid.call((globalThis as { crypto?: unknown }).crypto);
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/** The usual way in: `createGuard({ ...generatedGuard, approver, audit, executor })`. */
export function createGuard(options: RuntimeOptions): Runtime {
  return new Runtime(options);
}
