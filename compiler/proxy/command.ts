// The `aegisc proxy` and `aegisc audit verify` commands: options and config file in, a running proxy or a verification report out.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { EXIT, type CliIo } from "../commands/io.ts";
import type { GuardModule } from "@aegisc/runtime";
import type { DownstreamSpec, LineOutput, ProxyOptions } from "@aegisc/runtime/proxy";
import type { Policy } from "../ir/types.ts";

/** The CLI's streams, plus where MCP comes from when not process.stdin (tests run the proxy in-process). */
export interface ProxyIo extends CliIo {
  readonly stdin?: NodeJS.ReadableStream;
  /** MCP to the client; default `stdout`. */
  readonly mcpOut?: LineOutput;
  /** Overrides the terminal used by `--approval prompt` (tests). */
  readonly openTerminal?: ProxyOptions["openTerminal"];
}

export interface ProxyCommandOptions {
  policy?: string[];
  guard?: string;
  serverName?: string;
  config?: string;
  auditDir?: string;
  auditFsync?: boolean;
  auditKey?: string;
  auditHead?: string;
  approval?: "deny" | "prompt";
  approvalTimeout?: number;
  rememberApprovals?: number;
  callTimeout?: number;
  redact?: string[];
  hideBlocked?: boolean;
  agent?: string;
}


/** Adds `proxy` and `audit verify` to the program; each action reports its exit code through `setExit`. */
export function registerProxyCommands(program: Command, io: ProxyIo, setExit: (code: number) => void): void {
  program
    .command("proxy")
    .description("govern an MCP server: speak MCP on stdin/stdout, launch the server, decide every tools/call by the policy, ask a human, audit")
    .usage("(--policy <globs...> | --guard <file.guard.js>) --server-name <name> [options] -- <command...>\n       aegisc proxy --config aegisc.proxy.yaml [options]")
    .argument("[command...]", "the server's command line, after --")
    .option("--policy <globs...>", "policy files or fast-glob patterns, merged in order; compiled at start, or, with --guard, checked against the guard's policy hash")
    .option("--guard <file>", "a guard module built by `aegisc build --emit js`: the proxy runs it without loading the compiler")
    .option("--server-name <name>", "the server's name as the policy sees it (match.target) and as its audit file is named")
    .option("--config <file>", "an aegisc.proxy.yaml that runs several servers behind one proxy")
    .option("--audit-dir <dir>", "where <server>.jsonl audit files go (default: $XDG_STATE_HOME/aegisc/audit or ~/.local/state/aegisc/audit)")
    .option("--audit-fsync", "flush every audit record to disk (fdatasync) before the call goes on; records already survive a crash or kill -9 of the proxy without it, this also keeps them through a power loss")
    .option("--audit-key <source>", "seal audit records with HMAC-SHA256 under a key read from env:NAME or file:PATH (never the key itself on the command line), so that no one without it can re-seal an edited file")
    .option("--audit-head <dir>", "keep each audit file's head (its length and last seal) in <dir>/<file>.head, rewritten after every record; on another disk or out of the audit directory's writers' reach, `audit verify --head` then detects a truncated or rewritten file")
    .addOption(new Option("--approval <fallback>", "when the client cannot show an approval form: deny, or prompt on the controlling terminal (default: deny)").choices(["deny", "prompt"]))
    .option("--approval-timeout <seconds>", "how long a human may take to answer, 0 for no limit (default: 600)", parseSeconds)
    .option("--remember-approvals <seconds>", "reuse an approval for identical calls (same server, tool, arguments, policy) for this long (default: 0, never)", parseSeconds)
    .option("--call-timeout <seconds>", "longest a forwarded request may take, 0 for no limit (default: as long as the client waits)", parseSeconds)
    .option("--redact <paths...>", "argument paths masked in the audit trail, e.g. content headers.authorization")
    .option("--hide-blocked", "leave out of tools/list the tools the policy blocks whatever the arguments")
    .option("--agent <id>", "the agent id the policy sees for every call")
    .action(async (command: string[], opts: ProxyCommandOptions) => setExit(await runProxyCommand(command, opts, io)));

  const audit = program.command("audit").description("work with the proxy's audit trails");
  audit
    .command("verify")
    .description("check the chain of audit files; exit 0 intact, 1 tampered or cut short of its head (the first bad line is named), 2 unreadable, 3 only a torn line (a crash mid-write)")
    .argument("<files...>", "JSONL audit files or fast-glob patterns")
    .option("--key <source>", "check HMAC seals under the proxy's --audit-key: env:NAME or file:PATH")
    .option("--head <path>", "check that each file still reaches its head anchor: a .head file, or the proxy's --audit-head directory")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .action(async (files: string[], opts: AuditVerifyOptions) => setExit(await runAuditVerify(files, opts, io)));
  audit
    .command("repair")
    .description("move a torn last line (a write a crash cut short) to <file>.torn, so that the file verifies; refuses anything else")
    .argument("<files...>", "JSONL audit files")
    .action(async (files: string[]) => setExit(await runAuditRepair(files, io)));
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) throw new InvalidArgumentError("expected a number of seconds, 0 or more.");
  return seconds;
}

export interface AuditVerifyOptions {
  format: "text" | "json";
  key?: string;
  head?: string;
}

export async function runAuditVerify(files: readonly string[], opts: AuditVerifyOptions, io: CliIo): Promise<number> {
  const { auditExitCode, readAuditKey, renderAuditReports, verifyAuditFiles } = await import("./audit-verify.ts");
  let key: Uint8Array | undefined;
  if (opts.key !== undefined) {
    const read = await readAuditKey(opts.key, io.env ?? process.env, io.cwd);
    if ("error" in read) {
      io.stderr.write(`aegisc audit verify: --key: ${read.error}\n`);
      return EXIT.usage;
    }
    key = read.key;
  }
  const reports = await verifyAuditFiles(files, io.cwd, { ...(key ? { key } : {}), ...(opts.head !== undefined ? { head: opts.head } : {}) });
  if (opts.format === "json") io.stdout.write(JSON.stringify({ files: reports }, null, 2) + "\n");
  else io.stdout.write(renderAuditReports(reports));
  return auditExitCode(reports);
}

export async function runAuditRepair(files: readonly string[], io: CliIo): Promise<number> {
  const { repairAuditFile } = await import("./audit-verify.ts");
  let code = 0;
  for (const file of files) {
    const outcome = await repairAuditFile(file, io.cwd);
    io.stdout.write(`${outcome.message}\n`);
    code = Math.max(code, outcome.code);
  }
  return code;
}

/** Where audit files go when --audit-dir is not given: the user's state directory, never the (client-chosen) working directory. */
export function defaultAuditDir(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === "win32") return env.LOCALAPPDATA ? join(env.LOCALAPPDATA, "aegisc", "audit") : undefined;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "aegisc", "audit");
  const home = env.HOME ?? safeHomedir();
  return home ? join(home, ".local", "state", "aegisc", "audit") : undefined;
}

function safeHomedir(): string | undefined {
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

export async function runProxyCommand(command: readonly string[], opts: ProxyCommandOptions, io: ProxyIo): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`aegisc proxy: ${message}\n(run \`aegisc proxy --help\` for usage)\n`);
    return EXIT.usage;
  };
  // Loaded here, not at the top: check, explain and build must not pay for the MCP SDK; a proxy with --guard never loads the compiler.
  const [guards, { startProxy, parseRedactPath }, { jsonlAudit }] = await Promise.all([
    import("./load-guard.ts"),
    import("@aegisc/runtime/proxy"),
    import("@aegisc/runtime"),
  ]);
  let config: import("./config.ts").ProxyConfig | undefined;
  if (opts.config !== undefined) {
    if (command.length > 0) return usage("give the server command either after -- or in the config file's servers:, not both");
    if (opts.serverName !== undefined) return usage("--server-name names the server of a command given after --; in a config file, servers are named by their keys");
    const { loadProxyConfig } = await import("./config.ts");
    const loaded = await loadProxyConfig(opts.config, io.cwd);
    if (!loaded.config) {
      io.stderr.write(loaded.errors.map((e) => `aegisc proxy: ${e}`).join("\n") + "\n");
      return loaded.ioError ? EXIT.usage : EXIT.errors;
    }
    config = loaded.config;
  } else {
    if (command.length === 0) return usage("no server command: put it after --, e.g. aegisc proxy --policy policy.yaml --server-name fs -- npx -y @modelcontextprotocol/server-filesystem ~/dev");
    if (opts.serverName === undefined || opts.serverName === "") return usage("--server-name is required: it is the name your policy's match.target globs see");
  }

  // Flags win over the config file; the config's relative paths are relative to the config file.
  const policyGlobs = opts.policy ?? config?.policy;
  const guardFile = opts.guard !== undefined ? resolve(io.cwd, opts.guard) : config?.guard;
  if ((!policyGlobs || policyGlobs.length === 0) && guardFile === undefined) return usage("--policy or --guard is required (or `policy:` or `guard:` in the config file)");
  const policyCwd = opts.policy || !config ? io.cwd : config.dir;
  const redact = opts.redact ?? config?.redact ?? [];
  for (const path of redact) {
    try {
      parseRedactPath(path);
    } catch (error) {
      return usage((error as Error).message);
    }
  }
  const env = io.env ?? process.env;
  const auditDir = opts.auditDir !== undefined ? resolve(io.cwd, opts.auditDir) : (config?.auditDir ?? defaultAuditDir(env));
  if (auditDir === undefined) return usage("no home directory to keep audit files in; give --audit-dir");
  const agent = opts.agent ?? config?.agent;
  const hideBlocked = opts.hideBlocked ?? config?.hideBlocked ?? false;
  if (hideBlocked && guardFile !== undefined && !policyGlobs) return usage("--hide-blocked reads the policy itself: give --policy beside --guard");
  const servers: DownstreamSpec[] = config ? config.servers : [{ name: opts.serverName as string, command: command[0], args: command.slice(1) }];

  // The guard: a built module (checked against the policy when both are given), or the policy compiled here.
  let guard: GuardModule;
  let policy: Policy | undefined;
  let enforced: string;
  const reportDiagnostics = async (compiled: import("../compile-files.ts").CompileFilesResult) => {
    if (compiled.diagnostics.length === 0) return;
    const { renderDiagnosticsText } = await import("../diagnostics/render-text.ts");
    io.stderr.write(renderDiagnosticsText(compiled.diagnostics, compiled.sources, { color: false }) + "\n");
  };
  const policyErrors = () => {
    io.stderr.write("aegisc proxy: the policy has errors; not starting.\n");
    return EXIT.errors;
  };
  if (guardFile !== undefined) {
    const built = await guards.importGuardFile(guardFile, io.cwd);
    if ("error" in built) {
      io.stderr.write(`aegisc proxy: ${built.error}\n`);
      return EXIT.usage;
    }
    guard = built.guard;
    enforced = built.file;
    if (policyGlobs && policyGlobs.length > 0) {
      const compiled = await guards.compilePolicy(policyGlobs, { cwd: policyCwd });
      await reportDiagnostics(compiled);
      if (compiled.ioError) return EXIT.usage;
      if (!compiled.policy) return policyErrors();
      if (compiled.policy.hash !== guard.POLICY.hash) {
        io.stderr.write(
          `aegisc proxy: ${built.file} was built from another policy (its hash ${guard.POLICY.hash}; ${compiled.files.join(", ")} compile to ${compiled.policy.hash}): ` +
            "rebuild it with `aegisc build --emit js`; not starting.\n",
        );
        return EXIT.errors;
      }
      policy = compiled.policy;
      enforced = `${built.file}, built from ${compiled.files.join(", ")}`;
    }
  } else {
    const { compiled, loaded } = await guards.loadGuard(policyGlobs as string[], { cwd: policyCwd });
    await reportDiagnostics(compiled);
    if (compiled.ioError) return EXIT.usage;
    if (!loaded) return policyErrors();
    guard = loaded.guard;
    policy = loaded.policy;
    enforced = compiled.files.join(", ");
  }
  const hideTool = hideBlocked && policy ? await guards.blockedToolPredicate(policy, agent) : undefined;

  // Synchronous appends: every call waits for its record anyway, and thread-pool round trips were most of the proxy's latency.
  const auditFsync = opts.auditFsync ?? config?.auditFsync ?? false;
  const keySource = opts.auditKey ?? config?.auditKey;
  let auditKey: Uint8Array | undefined;
  if (keySource !== undefined) {
    const { readAuditKey } = await import("./audit-verify.ts");
    const read = await readAuditKey(keySource, env, opts.auditKey !== undefined || !config ? io.cwd : config.dir);
    if ("error" in read) return usage(`--audit-key: ${read.error}`);
    auditKey = read.key;
  }
  const auditHead = opts.auditHead !== undefined ? resolve(io.cwd, opts.auditHead) : config?.auditHead;
  const audit = jsonlAudit({ dir: auditDir, sync: true, fsync: auditFsync, ...(auditKey ? { key: auditKey } : {}), ...(auditHead !== undefined ? { headDir: auditHead } : {}), log: (line) => void io.stderr.write(`[aegisc proxy] ${line}\n`) });
  const approval = opts.approval ?? config?.approval ?? "deny";
  const rememberSeconds = opts.rememberApprovals ?? config?.rememberApprovals ?? 0;
  const approvalTimeout = opts.approvalTimeout ?? config?.approvalTimeout ?? 600;
  const callTimeout = opts.callTimeout ?? config?.callTimeout;
  const log = (line: string) => void io.stderr.write(`[aegisc proxy] ${line}\n`);
  log(
    `${servers.map((s) => s.name).join(", ")} governed by policy ${guard.POLICY.hash} (${enforced}); ` +
      `audit in ${auditDir}${auditFsync ? " (flushed to disk per record)" : ""}; approvals by MCP elicitation, or ${approval === "prompt" ? "the terminal" : "denied"} when the client cannot ask` +
      (rememberSeconds > 0 ? `; approvals remembered ${rememberSeconds} s` : "") +
      (servers.length > 1 ? `; tools are named <server>__<tool>` : ""),
  );

  const usesProcessStdin = io.stdin === undefined;
  const running = startProxy({
    guard,
    servers,
    audit,
    approval,
    approvalTimeoutMs: approvalTimeout * 1000,
    rememberApprovalsMs: rememberSeconds * 1000,
    ...(callTimeout !== undefined ? { callTimeoutMs: callTimeout * 1000 } : {}),
    redact,
    ...(hideTool ? { hideTool } : {}),
    ...(agent !== undefined ? { agent } : {}),
    input: io.stdin ?? process.stdin,
    output: io.mcpOut ?? io.stdout,
    env,
    log,
    ...(io.openTerminal ? { openTerminal: io.openTerminal } : {}),
  });

  // Only the real process has signals to answer; a stop lets in-flight calls finish their audit records.
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const onSignal = (signal: NodeJS.Signals) => void running.stop(`received ${signal}`);
  if (usesProcessStdin) for (const signal of signals) process.on(signal, onSignal);
  try {
    const exit = await running.done;
    return exit.code;
  } finally {
    if (usesProcessStdin) {
      for (const signal of signals) process.off(signal, onSignal);
      // Nothing more will be read; a paused stdin must not keep the process alive.
      process.stdin.destroy();
    }
  }
}
