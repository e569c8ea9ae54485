// MCP adapters: the seed's govern/filter helpers and a governed drop-in for an MCP SDK Client.
import { shownName } from "./display.ts";
import { ruleDescription, type Runtime } from "./runtime.ts";
import type { CheckResult, RunResult, ToolCall } from "./types.ts";

export interface GovernMcpToolCallParams {
  toolName: string;
  arguments?: Record<string, unknown>;
  /** Defaults to "default", as in Aegis. */
  serverName?: string;
  agent?: string;
}

/** A real, governed run of one MCP tool call through the runtime's own executor (Aegis's `govern_mcp_tool_call`). */
export function governMcpToolCall(runtime: Runtime, params: GovernMcpToolCallParams): Promise<RunResult> {
  return runtime.run(mcpCall(params.serverName ?? "default", params.toolName, params.arguments, params.agent));
}

export interface McpToolFilterParams {
  server: string;
  tool: string;
  arguments?: Record<string, unknown>;
  agent?: string;
}

/** Aegis's `AegisMCPToolFilter`: a pre-check before an MCP call, and a governed call through the runtime's executor. */
export class McpToolFilter {
  constructor(readonly runtime: Runtime) {}

  /** Dry run: ok for auto and approve, not ok for block; nobody is asked and nothing is audited. */
  async check(params: McpToolFilterParams): Promise<CheckResult> {
    return this.runtime.check(mcpCall(params.server, params.tool, params.arguments, params.agent));
  }

  callTool(params: McpToolFilterParams): Promise<RunResult> {
    return governMcpToolCall(this.runtime, { toolName: params.tool, arguments: params.arguments, serverName: params.server, agent: params.agent });
  }
}

function mcpCall(server: string, tool: string, args: Record<string, unknown> | undefined, agent: string | undefined): ToolCall {
  const call: ToolCall = { server, tool, args: args ?? {} };
  if (agent !== undefined) call.agent = agent;
  return call;
}

/** What `wrapClient` needs from an MCP SDK `Client`; structural so the runtime imports no SDK. */
export interface McpClientLike {
  callTool(params: { name: string; arguments?: Record<string, unknown> }, resultSchema?: unknown, options?: unknown): Promise<unknown>;
}

export interface WrapClientOptions {
  /** The server this client talks to, as the policy names it (`match.target`). */
  server: string;
  agent?: string;
}

/** The MCP tool result a refused call resolves to, so the model reads the refusal as a tool error. */
export interface McpRefusal {
  isError: true;
  content: [{ type: "text"; text: string }];
}

/**
 * Returns a stand-in for `client` whose `callTool` is governed by `runtime.run`: auto calls are
 * forwarded, approve calls only after the approver agrees, block calls never. Refusals resolve
 * to an `isError` tool result; a downstream error is audited and rethrown unchanged. Every other
 * member is the client's own, bound to the client (so private fields and `this` keep working).
 * Calls the client makes internally, and raw `request()` calls, are not governed.
 */
export function wrapClient<C extends McpClientLike>(client: C, runtime: Runtime, options: WrapClientOptions): C {
  const { server, agent } = options;

  const callTool = async (params: Parameters<McpClientLike["callTool"]>[0], ...rest: unknown[]): Promise<unknown> => {
    const call: ToolCall = { server, tool: params?.name, args: params?.arguments ?? {} };
    if (agent !== undefined) call.agent = agent;
    let downstream: { error: unknown } | undefined;
    const result = await runtime.run(
      call,
      async () => {
        try {
          return await (client.callTool as (...args: unknown[]) => Promise<unknown>).call(client, params, ...rest);
        } catch (error) {
          downstream = { error };
          throw error;
        }
      },
      { failureOf: mcpResultError },
    );
    switch (result.status) {
      case "success":
        return result.value;
      case "failed":
        if (downstream) throw downstream.error;
        // A server-reported tool error: audited as failed, but it is the server's answer to give back.
        if ("value" in result) return result.value;
        // The tool ran but its audit record could not be written: withhold the result.
        throw new Error(`[aegisc] ${result.error}`);
      default:
        return refusal(result, call, runtime);
    }
  };

  const bound = new WeakMap<object, unknown>();
  return new Proxy(client, {
    get(target, property) {
      if (property === "callTool") return callTool;
      // Read with the client as receiver: getters that touch private fields would throw on the proxy.
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      // Cached so that `wrapped.connect === wrapped.connect`, as on the client itself.
      let method = bound.get(value);
      if (method === undefined) {
        method = (value as (...args: unknown[]) => unknown).bind(target);
        bound.set(value, method);
      }
      return method;
    },
    set(target, property, value) {
      return Reflect.set(target, property, value, target);
    },
  });
}

/** The error text of an MCP tool result with `isError: true`, undefined for anything else. */
export function mcpResultError(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || (value as { isError?: unknown }).isError !== true) return undefined;
  const content = (value as { content?: unknown }).content;
  const texts = Array.isArray(content)
    ? content.flatMap((item: unknown) => (typeof item === "object" && item !== null && (item as { type?: unknown }).type === "text" && typeof (item as { text?: unknown }).text === "string" ? [(item as { text: string }).text] : []))
    : [];
  return texts.length > 0 ? texts.join("\n") : "The tool reported an error";
}

function refusal(result: RunResult, call: ToolCall, runtime: Runtime): McpRefusal {
  const { decision } = result;
  const reason = (result.error ?? "Refused").replace(/[.\s]+$/, "");
  // A block message already quotes the rule's description; a denial does not.
  const description = result.status === "denied" ? ruleDescription(decision, runtime.policy) : undefined;
  const text =
    `[aegisc] Tool call refused: ${reason}. ` +
    `Tool: ${shownName(call.tool)}, server: ${shownName(call.server)}, rule: ${decision.rule}, risk: ${decision.risk}.` +
    (description ? ` Rule description: ${description}` : "");
  return { isError: true, content: [{ type: "text", text }] };
}
