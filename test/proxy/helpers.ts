// Test helpers for the proxy: spawn `aegisc proxy` (or run it in-process) and talk to it with the SDK Client.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ElicitRequestSchema, ListRootsRequestSchema, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { Cli } from "../../compiler/cli.ts";
import type { ProxyIo } from "../../compiler/proxy/command.ts";
import { LineTransport } from "../../runtime/src/proxy/line-transport.ts";
import { auditCalls } from "../../runtime/src/audit-calls.ts";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const fakeServer = join(fixtures, "fake-server.mjs");
export const filesystemServer = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");
const bin = join(repoRoot, "bin", "aegisc.js");

export type ElicitHandler = (request: ElicitRequest, extra: { signal: AbortSignal }) => Promise<ElicitResult> | ElicitResult;

export interface ProxyConnection {
  client: Client;
  /** Everything the proxy wrote to stderr so far. */
  stderr(): string;
  /** Raw lines the proxy wrote to stdout. */
  stdoutLines: string[];
  /** The first line the proxy wrote (or writes) to stdout that `matches`, waited for by listening, not polling. */
  waitForLine(matches: (line: string) => boolean): Promise<string>;
  /** Resolves when the proxy process exits (or, in-process, when its command returns). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Writes raw bytes to the proxy's stdin, bypassing the client. */
  writeRaw(text: string): void;
  /** Ends the proxy's stdin: the client went away. */
  endInput(): void;
  /** Closes the client and the proxy's stdin, and waits for the proxy to exit. */
  close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  child?: ChildProcess;
}

export interface ConnectOptions {
  /** Declares the elicitation capability and answers with this handler. */
  elicit?: ElicitHandler;
  /** Declares the roots capability and answers roots/list with these. */
  roots?: { uri: string; name?: string }[];
  cwd?: string;
  /** The spawned proxy's environment (default this process's); execArgv goes to its node, e.g. ["--import", shim]. */
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
}

const open = new Set<ProxyConnection>();

/**
 * Ends every proxy a test started and did not close (a failed assertion skips its close): stdin
 * first, and SIGTERM for a spawned proxy that is still running, which stops it gracefully.
 */
export async function closeAllProxies(): Promise<void> {
  await Promise.all(
    [...open].map(async (connection) => {
      connection.endInput();
      if (connection.child && connection.child.exitCode === null && connection.child.signalCode === null) connection.child.kill("SIGTERM");
      await connection.exited;
      await connection.client.close().catch(() => undefined);
    }),
  );
  open.clear();
}

function register(connection: ProxyConnection): ProxyConnection {
  open.add(connection);
  void connection.exited.then(() => open.delete(connection));
  return connection;
}

/** A fresh temporary folder. */
export function tempDir(prefix = "aegisc-proxy-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

function newClient(options: ConnectOptions): Client {
  const capabilities = { ...(options.elicit ? { elicitation: {} } : {}), ...(options.roots ? { roots: { listChanged: true } } : {}) };
  const client = new Client({ name: "aegisc-proxy-test", version: "1.0.0" }, { capabilities });
  if (options.roots) {
    const roots = options.roots;
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots }));
  }
  if (options.elicit) {
    const handler = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, (request, extra) => handler(request, extra));
  }
  return client;
}

/** Spawns `node bin/aegisc.js proxy <args>` and connects an SDK Client to its stdio. */
export async function spawnProxy(args: string[], options: ConnectOptions = {}): Promise<ProxyConnection> {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), bin, "proxy", ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const stdoutLines: string[] = [];
  const waitForLine = collectLines(child.stdout, stdoutLines);
  child.stdin.on("error", () => undefined);
  const client = newClient(options);
  const connection: ProxyConnection = register({
    client,
    stderr: () => stderr,
    stdoutLines,
    waitForLine,
    exited,
    writeRaw: (text) => void child.stdin.write(text),
    endInput: () => void child.stdin.end(),
    close: async () => {
      await client.close();
      child.stdin.end();
      return exited;
    },
    child,
  });
  await client.connect(new LineTransport(child.stdout, child.stdin));
  return connection;
}

/** Runs `aegisc proxy <args>` in this process (the CLI with injected streams) and connects an SDK Client to it. */
export async function inProcessProxy(args: string[], options: ConnectOptions & { openTerminal?: ProxyIo["openTerminal"] } = {}): Promise<ProxyConnection> {
  const toProxy = new PassThrough();
  const fromProxy = new PassThrough();
  let stderr = "";
  const io: ProxyIo = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: options.cwd ?? repoRoot,
    env: process.env,
    stdin: toProxy,
    mcpOut: fromProxy,
    ...(options.openTerminal ? { openTerminal: options.openTerminal } : {}),
  };
  const exited = new Cli(io).run(["proxy", ...args]).then((code) => ({ code, signal: null }));
  const stdoutLines: string[] = [];
  const waitForLine = collectLines(fromProxy, stdoutLines);
  const client = newClient(options);
  const connection = register({
    client,
    stderr: () => stderr,
    stdoutLines,
    waitForLine,
    exited,
    writeRaw: (text) => void toProxy.write(text),
    endInput: () => void toProxy.end(),
    close: async () => {
      await client.close();
      toProxy.end();
      return exited;
    },
  });
  await client.connect(new LineTransport(fromProxy, toProxy));
  return connection;
}

function collectLines(stream: NodeJS.ReadableStream, lines: string[]): (matches: (line: string) => boolean) => Promise<string> {
  let rest = "";
  const waiters: { matches: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  stream.on("data", (chunk: Buffer | string) => {
    rest += chunk.toString();
    const parts = rest.split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (!waiters[i].matches(line)) continue;
        waiters[i].resolve(line);
        waiters.splice(i, 1);
      }
    }
  });
  return (matches) => {
    const seen = lines.find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => waiters.push({ matches, resolve }));
  };
}

export interface AuditLine {
  [key: string]: unknown;
  id: string;
  server: string;
  tool: string;
  args: Record<string, unknown>;
  rule: string;
  risk: string;
  approval: string;
  human: string | null;
  status: string;
  via?: string;
  answer?: string;
  error?: string;
  durationMs: number;
}

/** Every line of an audit file, parsed. */
export function readAuditLines(file: string): AuditLine[] {
  const text = readFileSync(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditLine);
}

/** One record per call, in the order the calls were recorded: a forwarded call's intent folded with its outcome (see auditCalls). */
export function readAudit(file: string): AuditLine[] {
  return auditCalls(readAuditLines(file) as never[]) as AuditLine[];
}

/** The text of a tool result's first content item. */
export function resultText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? "").join("\n");
}

/** A promise with its resolve function, for waiting on events without sleeping. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
