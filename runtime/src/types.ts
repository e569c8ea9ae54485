// Structural types shared by the runtime and the guard modules the compiler generates.

/** One MCP tool call as the policy sees it: `tool` is the MCP tool name, `server` the MCP server name. */
export interface ToolCall {
  server: string;
  tool: string;
  args?: Record<string, unknown>;
  agent?: string;
  /** When the call happens (Date or epoch milliseconds); time conditions use it. */
  time?: Date | number;
}

export type Approval = "auto" | "approve" | "block";
export type Risk = "low" | "medium" | "high" | "critical";

/** What a guard module's `decide` returns (a frozen constant in generated modules). */
export interface Decision {
  readonly approval: Approval;
  readonly risk: Risk;
  /** The deciding rule's name, `"<default>"` when no rule matched, `"<error>"` when the runtime failed closed. */
  readonly rule: string;
  /** The deciding rule's position in the policy, -1 for the defaults and for errors. */
  readonly index: number;
  /** Present when the rule's conditions cannot be evaluated on the call (where Aegis raises): the rule blocks it, fail-closed. */
  readonly failClosed?: true;
}

export interface PolicyRuleInfo {
  readonly name: string;
  readonly description?: string;
  readonly risk: string;
  readonly approval: string;
}

/** The `POLICY` constant of a generated guard module. */
export interface PolicyInfo {
  readonly hash: string;
  readonly combine: "strictest" | "first-match";
  readonly rules: readonly PolicyRuleInfo[];
}

/** The shape of a generated guard module, so that `createGuard({ ...guardModule })` type-checks. */
export interface GuardModule {
  decide(call: ToolCall): Decision;
  POLICY: PolicyInfo;
}

export interface ApprovalRequest {
  call: ToolCall;
  decision: Decision;
  policy?: PolicyInfo;
}

/** Asked for every `approve` decision; only a literal `true` lets the call through. */
export type Approver = (request: ApprovalRequest) => Promise<boolean> | boolean;

export type HumanDecision = "approved" | "denied" | null;

export type CheckStatus = "allowed" | "approval_required" | "blocked";
export type RunStatus = "success" | "blocked" | "denied" | "failed";

/**
 * What an audit record says happened: a call's end, or `forwarded` for the first record of a
 * call recorded in two, written before the call runs (its outcome record follows).
 */
export type AuditStatus = RunStatus | "forwarded";

/**
 * One line of the audit trail. A call that is refused (blocked, denied) has one record; a call
 * that runs, when the sink records intents (`AuditSink.intents`), has two: its intent
 * (`status: "forwarded"`), on disk before the call runs, then its outcome (an AuditOutcomeRecord).
 */
export interface AuditRecord {
  /** ISO 8601 time from the runtime's clock. */
  time: string;
  /** Unique per call; an outcome record repeats its intent's. */
  id?: string;
  server: string;
  tool: string;
  agent?: string;
  args: Record<string, unknown>;
  rule: string;
  risk: Risk;
  approval: Approval;
  /** The approver's answer for `approve` decisions, null when nobody was asked. */
  human: HumanDecision;
  status: AuditStatus;
  error?: string;
  /** Hash of the policy that decided, when the runtime knows it. */
  policy?: string;
}

/** The second record of a call recorded in two: how the call that its intent record shows forwarded ended. */
export interface AuditOutcomeRecord {
  /** When the outcome was known. */
  time: string;
  /** The intent record's id. */
  id: string;
  phase: "outcome";
  server: string;
  tool: string;
  status: "success" | "failed";
  error?: string;
  /** From receiving the call to writing this record (the proxy's records). */
  durationMs?: number;
  policy?: string;
}

export interface AuditSink {
  /** Called before the call executes; throwing blocks the call, so nothing runs that cannot be audited. */
  prepare?(server: string): void | Promise<void>;
  write(record: AuditRecord | AuditOutcomeRecord): void | Promise<void>;
  /**
   * The sink records calls that run in two records: the intent (`status: "forwarded"`) is written,
   * and must succeed, before the call executes; the outcome after. A full disk then refuses the
   * call instead of letting it run unrecorded. The JSONL sink does this.
   */
  readonly intents?: boolean;
}

export type Executor<T = unknown> = (call: ToolCall) => Promise<T> | T;

export interface RuntimeOptions {
  decide: (call: ToolCall) => Decision;
  policy?: PolicyInfo;
  /** Alias of `policy`, so that a generated module can be spread in: `createGuard({ ...guard, approver })`. */
  POLICY?: PolicyInfo;
  approver?: Approver;
  audit?: AuditSink;
  clock?: () => Date;
  executor?: Executor;
  /** Agent id for calls that do not name one. */
  agent?: string;
}

export interface CheckResult {
  /** False only when the call would be blocked; `approve` counts as ok, as in the seed's filter check. */
  ok: boolean;
  status: CheckStatus;
  decision: Decision;
  error?: string;
}

export interface RunResult<T = unknown> {
  /** True only for status `success`. */
  ok: boolean;
  status: RunStatus;
  decision: Decision;
  value?: T;
  error?: string;
}

export interface RunOptions<T = unknown> {
  /**
   * Classifies a value the executor returned as a failure (e.g. an MCP result with `isError`):
   * return the error message to audit the call as failed. The value is still returned.
   */
  failureOf?: (value: T) => string | undefined;
}
