// Reads aegisc.proxy.yaml: several MCP servers behind one proxy, each with its server name, plus the proxy's options.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { didYouMean } from "../load/suggest.ts";
import { parseRedactPath, PREFIXABLE_SERVER_NAME, type DownstreamSpec } from "@aegisc/runtime/proxy";

/** Everything a config file can say; paths are already resolved against the file's folder. */
export interface ProxyConfig {
  readonly file: string;
  readonly dir: string;
  readonly policy?: string[];
  /** A guard module built by `aegisc build --emit js`, resolved against the file's folder. */
  readonly guard?: string;
  readonly auditDir?: string;
  readonly auditFsync?: boolean;
  /** `audit_key:` where the HMAC key is (env:NAME or file:PATH, relative to the config file), never the key itself. */
  readonly auditKey?: string;
  readonly auditHead?: string;
  readonly approval?: "deny" | "prompt";
  readonly approvalTimeout?: number;
  readonly rememberApprovals?: number;
  readonly callTimeout?: number;
  readonly redact?: string[];
  readonly hideBlocked?: boolean;
  readonly agent?: string;
  readonly servers: DownstreamSpec[];
}

export interface ConfigLoad {
  config?: ProxyConfig;
  /** `file:line:column: message`, every problem found. */
  errors: string[];
  /** True when the file could not be read at all (the CLI's exit code 2). */
  ioError?: boolean;
}

const TOP_KEYS = ["policy", "guard", "audit_dir", "audit_fsync", "audit_key", "audit_head", "approval", "approval_timeout", "remember_approvals", "call_timeout", "redact", "hide_blocked", "agent", "servers"] as const;
const SERVER_KEYS = ["command", "args", "env", "cwd", "redact"] as const;

export async function loadProxyConfig(path: string, cwd: string): Promise<ConfigLoad> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { errors: [`${path}: cannot read the proxy config: ${code === "ENOENT" ? "no such file" : (error as Error).message}`], ioError: true };
  }
  return parseProxyConfig(text, path, dirname(file));
}

/** Parses config text; `dir` is where relative paths in it start from. */
export function parseProxyConfig(text: string, displayPath: string, dir: string): ConfigLoad {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const errors: string[] = [];
  const at = (node: Node | null | undefined, message: string) => {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lines.linePos(offset);
    errors.push(`${displayPath}:${line}:${col}: ${message}`);
  };
  for (const e of doc.errors) {
    const { line, col } = lines.linePos(e.pos[0]);
    errors.push(`${displayPath}:${line}:${col}: ${e.message.split("\n")[0]}`);
  }
  if (errors.length > 0) return { errors };
  const root = doc.contents;
  if (!isMap(root)) {
    at(root as Node | null, "the proxy config must be a mapping with a `servers:` key");
    return { errors };
  }

  const read = new ConfigReader(at);
  const config: { -readonly [K in keyof ProxyConfig]: ProxyConfig[K] } = { file: resolve(dir, displayPath), dir, servers: [] };
  for (const pair of root.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : "";
    const value = pair.value as Node | null;
    switch (key) {
      case "policy": {
        const globs = read.stringList(value, "policy");
        if (globs) config.policy = globs;
        break;
      }
      case "guard": {
        const guard = read.string(value, "guard");
        if (guard !== undefined) config.guard = resolve(dir, guard);
        break;
      }
      case "audit_dir": {
        const auditDir = read.string(value, "audit_dir");
        if (auditDir !== undefined) config.auditDir = resolve(dir, auditDir);
        break;
      }
      case "audit_key": {
        const source = read.string(value, "audit_key");
        if (source === undefined) break;
        if (!source.startsWith("env:") && !source.startsWith("file:")) at(value, "audit_key must say where the key is, env:NAME or file:PATH, never the key itself");
        else config.auditKey = source;
        break;
      }
      case "audit_head": {
        const head = read.string(value, "audit_head");
        if (head !== undefined) config.auditHead = resolve(dir, head);
        break;
      }
      case "approval": {
        const approval = read.string(value, "approval");
        if (approval === "deny" || approval === "prompt") config.approval = approval;
        else if (approval !== undefined) at(value, `approval must be deny or prompt, not ${JSON.stringify(approval)}`);
        break;
      }
      case "approval_timeout":
      case "remember_approvals":
      case "call_timeout": {
        const seconds = read.seconds(value, key);
        if (seconds === undefined) break;
        if (key === "approval_timeout") config.approvalTimeout = seconds;
        else if (key === "remember_approvals") config.rememberApprovals = seconds;
        else config.callTimeout = seconds;
        break;
      }
      case "redact": {
        const paths = read.redactPaths(value, "redact");
        if (paths) config.redact = paths;
        break;
      }
      case "audit_fsync":
      case "hide_blocked": {
        if (!isScalar(value) || typeof value.value !== "boolean") at(value ?? keyNode, `${key} must be true or false`);
        else if (key === "audit_fsync") config.auditFsync = value.value;
        else config.hideBlocked = value.value;
        break;
      }
      case "agent": {
        const agent = read.string(value, "agent");
        if (agent !== undefined) config.agent = agent;
        break;
      }
      case "servers":
        config.servers = readServers(value ?? keyNode, read, at, dir);
        break;
      default: {
        const hint = didYouMean(key, TOP_KEYS);
        at(keyNode, `unknown key \`${key}\`${hint ? `; ${hint}` : ""} (the keys are ${TOP_KEYS.join(", ")})`);
      }
    }
  }
  if (!root.items.some((pair) => isScalar(pair.key) && pair.key.value === "servers")) at(root, "the proxy config needs `servers:`, a mapping from server name to { command, args }");
  return errors.length > 0 ? { errors } : { config, errors };
}

function readServers(node: Node, read: ConfigReader, at: (node: Node | null | undefined, message: string) => void, dir: string): DownstreamSpec[] {
  if (!isMap(node) || node.items.length === 0) {
    at(node, "servers must be a mapping from server name to { command, args, env, cwd, redact }, with at least one server");
    return [];
  }
  const servers: DownstreamSpec[] = [];
  const several = node.items.length > 1;
  for (const pair of node.items) {
    const nameNode = pair.key as Node;
    const name = isScalar(nameNode) ? String(nameNode.value) : "";
    if (name === "") at(nameNode, "a server needs a name");
    else if (several && !PREFIXABLE_SERVER_NAME.test(name)) {
      at(nameNode, `with several servers, tools are named <server>__<tool>, so a server name is letters, digits, ".", "-" and single "_" (not ${JSON.stringify(name)})`);
    }
    const body = pair.value as Node | null;
    if (!isMap(body)) {
      at(body ?? nameNode, `server ${name} must be a mapping with at least \`command:\``);
      continue;
    }
    const spec: { -readonly [K in keyof DownstreamSpec]: DownstreamSpec[K] } = { name, command: "" };
    for (const item of body.items) {
      const keyNode = item.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : "";
      const value = item.value as Node | null;
      const where = `servers.${name}.${key}`;
      switch (key) {
        case "command":
          spec.command = read.string(value, where) ?? "";
          break;
        case "args":
          spec.args = read.stringList(value, where, { scalarsAsStrings: true }) ?? [];
          break;
        case "env": {
          if (!isMap(value)) {
            at(value ?? keyNode, `${where} must be a mapping of variable names to values`);
            break;
          }
          const env: Record<string, string> = {};
          for (const entry of value.items) {
            const variable = isScalar(entry.key) ? String(entry.key.value) : "";
            const val = entry.value as Node | null;
            if (isScalar(val) && val.value !== null && typeof val.value !== "object") env[variable] = String(val.value);
            else at(val ?? (entry.key as Node), `${where}.${variable} must be a string`);
          }
          spec.env = env;
          break;
        }
        case "cwd": {
          const cwd = read.string(value, where);
          if (cwd !== undefined) spec.cwd = resolve(dir, cwd);
          break;
        }
        case "redact": {
          const paths = read.redactPaths(value, where);
          if (paths) spec.redact = paths;
          break;
        }
        default: {
          const hint = didYouMean(key, SERVER_KEYS);
          at(keyNode, `unknown key \`${key}\` in server ${name}${hint ? `; ${hint}` : ""} (the keys are ${SERVER_KEYS.join(", ")})`);
        }
      }
    }
    if (spec.command === "" && !body.items.some((i) => isScalar(i.key) && i.key.value === "command")) at(nameNode, `server ${name} needs \`command:\``);
    servers.push(spec);
  }
  return servers;
}

class ConfigReader {
  constructor(readonly at: (node: Node | null | undefined, message: string) => void) {}

  string(node: Node | null, what: string): string | undefined {
    if (isScalar(node) && typeof node.value === "string" && node.value !== "") return node.value;
    this.at(node, `${what} must be a non-empty string`);
    return undefined;
  }

  /** A string or a list of strings; `scalarsAsStrings` lets `args: [--port, 8080]` keep 8080 as "8080". */
  stringList(node: Node | null, what: string, options: { scalarsAsStrings?: boolean } = {}): string[] | undefined {
    if (isScalar(node) && typeof node.value === "string") return [node.value];
    if (!isSeq(node)) {
      this.at(node, `${what} must be a string or a list of strings`);
      return undefined;
    }
    const out: string[] = [];
    for (const item of node.items as (Node | null)[]) {
      if (isScalar(item) && typeof item.value === "string") out.push(item.value);
      else if (options.scalarsAsStrings && isScalar(item) && (typeof item.value === "number" || typeof item.value === "boolean")) out.push(String(item.source ?? item.value));
      else this.at(item, `${what} must contain only strings`);
    }
    return out;
  }

  seconds(node: Node | null, what: string): number | undefined {
    if (isScalar(node) && typeof node.value === "number" && Number.isFinite(node.value) && node.value >= 0) return node.value;
    this.at(node, `${what} must be a number of seconds, 0 or more`);
    return undefined;
  }

  redactPaths(node: Node | null, what: string): string[] | undefined {
    const paths = this.stringList(node, what);
    if (!paths) return undefined;
    const valid: string[] = [];
    for (const path of paths) {
      try {
        parseRedactPath(path);
        valid.push(path);
      } catch (error) {
        this.at(node, (error as Error).message.replace("--redact path", `${what} path`));
      }
    }
    return valid;
  }
}
