// Runs the CLI in-process with captured streams, and makes temporary policy folders.
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cli } from "../../compiler/cli.ts";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const seedPolicy = "examples/quickstart/policy.yaml";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined>; tty?: boolean } = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const cli = new Cli({
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false },
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? {},
  });
  const code = await cli.run(argv);
  return { code, stdout, stderr };
}

/** A fresh temporary folder holding the given files (paths relative to it). */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "aegisc-cli-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
