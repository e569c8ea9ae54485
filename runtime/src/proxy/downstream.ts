// One real MCP server behind the proxy: launched over stdio, connected with the SDK Client, watched until it exits.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { ClientCapabilities, Implementation, JSONRPCMessage, ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";

/**
 * The SDK's stdio client transport, with writes taken one at a time: the SDK adds a "drain"
 * listener per write that finds the pipe full, so a thousand concurrent calls would pile up a
 * thousand listeners (and Node's leak warning). One at a time, the pipe's backpressure still holds.
 */
class SerialStdioClientTransport extends StdioClientTransport {
  #previous: Promise<void> = Promise.resolve();

  override send(message: JSONRPCMessage): Promise<void> {
    const sent = this.#previous.then(() => super.send(message));
    this.#previous = sent.catch(() => undefined);
    return sent;
  }
}

export interface DownstreamSpec {
  /** The server name the policy sees (`match.target`) and the audit file is named after. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Added to the proxy's own environment (the proxy passes its whole environment on, as the client meant it for the server). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** `--redact` paths for this server only, on top of the global ones. */
  redact?: readonly string[];
}

export interface DownstreamConnectOptions {
  clientInfo: Implementation;
  /** What the real client supports (roots, sampling, elicitation): the server must see the same. */
  capabilities: ClientCapabilities;
  /** Installs request and notification handlers on the client before it connects. */
  configure(client: Client, downstream: Downstream): void;
  /** How long the server may take to answer `initialize`. */
  startupTimeoutMs: number;
  env?: Readonly<Record<string, string | undefined>>;
}

export class Downstream {
  readonly name: string;
  readonly spec: DownstreamSpec;
  readonly client: Client;
  readonly #transport: StdioClientTransport;
  #alive = false;
  readonly exited: Promise<void>;
  #markExited!: () => void;

  private constructor(spec: DownstreamSpec, client: Client, transport: StdioClientTransport) {
    this.name = spec.name;
    this.spec = spec;
    this.client = client;
    this.#transport = transport;
    this.exited = new Promise((resolve) => (this.#markExited = resolve));
  }

  /** Launches and initializes the server; rejects (after cleaning up) if it cannot start. */
  static async connect(spec: DownstreamSpec, options: DownstreamConnectOptions): Promise<Downstream> {
    const baseEnv = options.env ?? process.env;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(baseEnv)) if (value !== undefined) env[key] = value;
    Object.assign(env, spec.env ?? {});
    const transport = new SerialStdioClientTransport({
      command: spec.command,
      args: [...(spec.args ?? [])],
      env,
      ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
      // The server's log lines go where the proxy's go: the MCP client's log for this server.
      stderr: "inherit",
    });
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    const downstream = new Downstream(spec, client, transport);
    options.configure(client, downstream);
    client.onclose = () => {
      downstream.#alive = false;
      downstream.#markExited();
    };
    try {
      await client.connect(transport, { timeout: options.startupTimeoutMs });
    } catch (error) {
      await client.close().catch(() => undefined);
      downstream.#markExited();
      throw error;
    }
    downstream.#alive = true;
    return downstream;
  }

  get alive(): boolean {
    return this.#alive;
  }

  get capabilities(): ServerCapabilities {
    return this.client.getServerCapabilities() ?? {};
  }

  get serverInfo(): Implementation | undefined {
    return this.client.getServerVersion();
  }

  get instructions(): string | undefined {
    return this.client.getInstructions();
  }

  get pid(): number | null {
    return this.#transport.pid;
  }

  /** Ends the server's stdin, then escalates to SIGTERM and SIGKILL (the SDK's schedule) until it exits. */
  async close(): Promise<void> {
    this.#alive = false;
    await this.client.close().catch(() => undefined);
    this.#markExited();
  }
}
