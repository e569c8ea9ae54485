// What an approval is bound to (server, tool, agent, canonical arguments, policy hash), and the memory of recent approvals.
import { createHash } from "node:crypto";
import type { ToolCall } from "../types.ts";

/**
 * JSON with object keys sorted at every depth, so that `{a:1,b:2}` and `{b:2,a:1}` are the same
 * call. Values JSON cannot represent compare as their JSON.stringify forms (undefined members
 * vanish, bigints become strings); a cycle is a distinct marker rather than an exception.
 */
export function canonicalJson(value: unknown): string {
  const ancestors: object[] = [];
  const walk = (v: unknown): string => {
    if (typeof v === "bigint") return JSON.stringify(v.toString());
    if (typeof v !== "object" || v === null) return JSON.stringify(v) ?? "null";
    if (ancestors.includes(v)) return '"[Circular]"';
    ancestors.push(v);
    try {
      if (Array.isArray(v)) return `[${v.map((item) => (item === undefined || typeof item === "function" ? "null" : walk(item))).join(",")}]`;
      const keys = Object.keys(v)
        .filter((k) => {
          const member = (v as Record<string, unknown>)[k];
          return member !== undefined && typeof member !== "function" && typeof member !== "symbol";
        })
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k])}`).join(",")}}`;
    } finally {
      ancestors.pop();
    }
  };
  return walk(value);
}

/** The identity of one exact call under one exact policy: a different argument or policy is a different approval. */
export function approvalKey(call: ToolCall, policyHash: string | undefined): string {
  const bound = [call.server, call.tool, call.agent ?? null, canonicalJson(call.args ?? {}), policyHash ?? null];
  return createHash("sha256").update(JSON.stringify(bound), "utf8").digest("hex");
}

/**
 * Approvals remembered for `ttlMs` (`--remember-approvals`), reused only for identical calls.
 * Denials are never remembered: asking again is the safe side. Bounded, oldest forgotten first.
 */
export class RememberedApprovals {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #maxEntries: number;
  readonly #expiry = new Map<string, number>();

  constructor(ttlMs: number, now: () => number = Date.now, maxEntries = 10_000) {
    this.#ttlMs = ttlMs;
    this.#now = now;
    this.#maxEntries = maxEntries;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0;
  }

  has(key: string): boolean {
    const expires = this.#expiry.get(key);
    if (expires === undefined) return false;
    if (this.#now() < expires) return true;
    this.#expiry.delete(key);
    return false;
  }

  remember(key: string): void {
    if (!this.enabled) return;
    this.#expiry.delete(key);
    this.#expiry.set(key, this.#now() + this.#ttlMs);
    while (this.#expiry.size > this.#maxEntries) {
      const oldest = this.#expiry.keys().next().value as string;
      this.#expiry.delete(oldest);
    }
  }
}
