// `aegisc audit verify` and `audit repair`: check the chain of JSONL audit files (under a key, against a head anchor), name the first bad line of each, tell tampering from a torn tail, and move a torn tail aside.
import { appendFile, readFile, stat, truncate } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { expandPattern } from "../load/expand-pattern.ts";
import { parseAuditHead, verifyAuditLog, type AuditHead, type AuditProblem } from "@aegisc/runtime";

export interface AuditFileReport {
  file: string;
  ok: boolean;
  /** Lines in the file (records, valid or not). */
  lines: number;
  /** Lines whose seal and link hold. */
  valid: number;
  /** The first bad line; everything before it verifies. */
  firstProblem?: AuditProblem;
  problems: number;
  /** Every problem is a torn line (a write cut short by a crash), nothing else: `audit repair` moves a torn last line aside. */
  tornOnly?: boolean;
  /** Forwarded calls whose outcome record is missing (the proxy stopped, or the disk filled, before they finished). */
  open?: { line: number; id: string }[];
  /** The last line's hash: write it down elsewhere to detect a later truncation, which a chain alone cannot. */
  head?: string;
  /** The file's length in bytes, with `head` the anchor `--head` checks. */
  bytes?: number;
  /** Lines sealed with a key (hmac); `unchecked` when no --key was given to check them. */
  keyed?: number;
  unchecked?: boolean;
  /** With --head: the anchor the file was checked against. */
  anchor?: AuditHead & { file: string };
  /** Set when the file could not be read. */
  readError?: string;
}

export interface VerifyFilesOptions {
  /** The HMAC key the proxy was given (`--key`, read by readAuditKey). */
  key?: Uint8Array;
  /** `--head`: a head file, or the directory of the proxy's `--audit-head` (`<dir>/<file>.head`). */
  head?: string;
}

/**
 * Reads a key from where `source` says, never from the command line itself: `env:NAME` (the
 * variable's value, as UTF-8) or `file:PATH` (the file's bytes, without one final newline). At
 * least 16 bytes; 32 random bytes is the usual choice (`openssl rand -hex 32 > audit.key`).
 */
export async function readAuditKey(source: string, env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<{ key: Uint8Array } | { error: string }> {
  let key: Uint8Array;
  if (source.startsWith("env:")) {
    const name = source.slice(4);
    const value = env[name];
    if (value === undefined || value === "") return { error: `the environment variable ${name} is not set` };
    key = Buffer.from(value, "utf8");
  } else if (source.startsWith("file:")) {
    const path = resolve(cwd, source.slice(5));
    try {
      const bytes = await readFile(path);
      const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a ? (bytes.length > 1 && bytes[bytes.length - 2] === 0x0d ? bytes.length - 2 : bytes.length - 1) : bytes.length;
      key = bytes.subarray(0, end);
    } catch (error) {
      return { error: `cannot read the key file ${path}: ${(error as Error).message}` };
    }
  } else {
    return { error: "give where the key is, env:NAME or file:PATH; never the key itself, which the command line would show to every user of the machine (ps, shell history)" };
  }
  if (key.length < 16) return { error: `the key has ${key.length} bytes; at least 16 are needed (32 random bytes is usual)` };
  return { key };
}

export async function verifyAuditFiles(patterns: readonly string[], cwd: string, options: VerifyFilesOptions = {}): Promise<AuditFileReport[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    const matched = await expandPattern(pattern, cwd);
    files.push(...(matched.length > 0 ? matched : [pattern]));
  }
  return Promise.all(files.map((file) => verifyAuditFile(file, cwd, options, files.length)));
}

/** The head file for `file`: `--head` itself when it is a file (and one audit file is checked), else `<dir>/<file name>.head`. */
async function headFileFor(file: string, head: string, cwd: string, count: number): Promise<string> {
  const path = resolve(cwd, head);
  const stats = await stat(path).catch(() => undefined);
  if (stats?.isDirectory()) return join(path, `${basename(file)}.head`);
  if (count > 1) throw new Error(`--head ${head} is a file, but ${count} audit files are checked: give the directory of head files`);
  return path;
}

async function verifyAuditFile(file: string, cwd: string, options: VerifyFilesOptions, count: number): Promise<AuditFileReport> {
  let anchor: (AuditHead & { file: string }) | undefined;
  if (options.head !== undefined) {
    try {
      const headFile = await headFileFor(file, options.head, cwd, count);
      const parsed = parseAuditHead(await readFile(headFile, "utf8"));
      if (!parsed) throw new Error(`${headFile} is not a head file`);
      anchor = { ...parsed, file: headFile };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { file, ok: false, lines: 0, valid: 0, problems: 0, readError: `cannot read its head anchor: ${code === "ENOENT" ? `no such file ${(error as { path?: string }).path ?? ""}`.trim() : (error as Error).message}` };
    }
  }
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const readError = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message;
    return { file, ok: false, lines: 0, valid: 0, problems: 0, readError };
  }
  const result = verifyAuditLog(text, { ...(options.key ? { key: options.key } : {}), ...(anchor ? { head: anchor } : {}) });
  const report: AuditFileReport = { file, ok: result.ok, lines: result.lines, valid: result.valid, problems: result.problems.length };
  if (result.keyed) report.keyed = result.keyed;
  if (result.unchecked) report.unchecked = true;
  if (anchor) report.anchor = anchor;
  const first = result.problems[0];
  if (first) report.firstProblem = first;
  if (result.problems.length > 0 && result.problems.every((p) => p.kind === "torn")) report.tornOnly = true;
  if (result.open) report.open = result.open;
  if (result.head) {
    report.head = result.head.hash;
    report.bytes = result.head.bytes;
  }
  return report;
}

/** 0 every file intact; 1 any tampered with (or cut short of its head); 2 one could not be read; 3 nothing worse than torn lines. */
export function auditExitCode(reports: readonly AuditFileReport[]): number {
  if (reports.some((r) => !r.ok && !r.readError && !r.tornOnly)) return 1;
  if (reports.some((r) => r.readError)) return 2;
  return reports.some((r) => r.tornOnly) ? 3 : 0;
}

export function renderAuditReports(reports: readonly AuditFileReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const open = r.open?.length
      ? `; ${r.open.length} forwarded call${r.open.length === 1 ? " has" : "s have"} no outcome record (line${r.open.length === 1 ? "" : "s"} ${r.open
          .slice(0, 5)
          .map((o) => o.line)
          .join(", ")}${r.open.length > 5 ? ", …" : ""}): the proxy stopped, or the disk filled, before ${r.open.length === 1 ? "it" : "they"} finished`
      : "";
    if (r.readError) out.push(`error ${r.file}: cannot read it: ${r.readError}`);
    else if (r.ok) {
      const chain = r.keyed && !r.unchecked ? "chain intact, every seal checked under the key" : "hash chain intact";
      const anchored = r.anchor ? `, reaches its head anchor (${r.anchor.bytes} bytes)` : "";
      const unchecked = r.unchecked ? `; ${r.keyed} line${r.keyed === 1 ? " is" : "s are"} sealed with a key (hmac) and not checked: give --key` : "";
      out.push(`ok    ${r.file}: ${r.lines} record${r.lines === 1 ? "" : "s"}, ${chain}${anchored}${r.head ? ` (head ${r.head})` : ""}${unchecked}${open}`);
    }
    else {
      const p = r.firstProblem as AuditProblem;
      const more = r.problems > 1 ? ` (${r.problems - 1} more problem${r.problems === 2 ? "" : "s"} after it)` : "";
      const label = r.tornOnly ? "TORN " : "FAIL ";
      out.push(`${label} ${r.file}:${p.line}: ${p.message}${more}${p.line > 1 ? `; lines 1-${p.line - 1} verify` : ""}${open}`);
    }
  }
  const bad = reports.filter((r) => !r.ok && !r.readError && !r.tornOnly).length;
  const torn = reports.filter((r) => r.tornOnly).length;
  const unreadable = reports.filter((r) => r.readError).length;
  const parts: string[] = [];
  if (bad) parts.push(`${bad} file${bad === 1 ? "" : "s"} failed verification`);
  if (torn) parts.push(`${torn} file${torn === 1 ? " ends" : "s end"} in a torn line, a write cut short by a crash (nothing else wrong; \`aegisc audit repair\` moves a torn last line aside)`);
  if (unreadable) parts.push(`${unreadable} could not be read`);
  out.push(parts.length === 0 ? `${reports.length} file${reports.length === 1 ? "" : "s"} verified.` : `${parts.join(", ")}.`);
  return out.join("\n") + "\n";
}

export interface RepairOutcome {
  code: number;
  message: string;
}

/**
 * `audit repair`: a file whose only problem is a torn last line (a crash cut a write short) has
 * that line moved to `<file>.torn` (appended, with where it was) and the file cut back to the
 * whole records before it; a whole last line without its newline gets the newline. Anything
 * else is refused: a torn line that later records continue from cannot be moved without
 * breaking their chain, and tampering is not a thing to repair.
 */
export async function repairAuditFile(file: string, cwd: string): Promise<RepairOutcome> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    return { code: 2, message: `error ${file}: cannot read it: ${(error as Error).message}` };
  }
  const result = verifyAuditLog(text);
  if (result.problems.length === 0) return { code: 0, message: `ok    ${file}: nothing to repair` };
  const lastLine = result.lines;
  const [problem] = result.problems;
  if (result.problems.length > 1 || problem.kind !== "torn" || problem.line !== lastLine) {
    const why = problem.kind === "torn" ? "a torn line that later records continue from (moving it would break their chain)" : problem.message;
    return { code: 1, message: `FAIL  ${file}:${problem.line}: not repaired: ${why}; run \`aegisc audit verify\`` };
  }
  const start = text.endsWith("\n") ? text.lastIndexOf("\n", text.length - 2) + 1 : text.lastIndexOf("\n") + 1;
  const torn = text.slice(start).replace(/\n$/, "");
  if (/^\{/.test(torn) && problem.message.startsWith("the last line is whole")) {
    await appendFile(path, "\n");
    return { code: 0, message: `ok    ${file}:${lastLine}: the last record was whole; its newline was added` };
  }
  const offset = Buffer.byteLength(text.slice(0, start), "utf8");
  const aside = `${path}.torn`;
  await appendFile(aside, `${JSON.stringify({ file: basename(path), line: lastLine, offset, movedAt: new Date().toISOString(), text: torn })}\n`);
  await truncate(path, offset);
  return { code: 0, message: `ok    ${file}:${lastLine}: the torn last line (${Buffer.byteLength(torn, "utf8")} bytes) was moved to ${aside}; lines 1-${lastLine - 1} verify` };
}
