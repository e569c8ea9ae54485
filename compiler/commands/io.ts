// What every command shares: the injected streams, the exit codes, usage errors, and when to color.

import type { Diagnostic } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";

/** Anything with `write(string)`: process streams in the binary, string buffers in tests. */
export interface OutputStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit codes: the contract scripts depend on (DESIGN.md §4). */
export const EXIT = Object.freeze({ ok: 0, errors: 1, usage: 2, internal: 3 });

/** A problem with how the command was called (exit 2), reported without a stack. */
export class UsageError extends Error {}

/** Color only when wanted, not refused by NO_COLOR, and either forced or on a terminal. */
export function useColor(io: CliIo, stream: OutputStream, wanted: boolean): boolean {
  const env = io.env ?? {};
  if (!wanted || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return stream.isTTY === true;
}

/** Diagnostics that are not the command's main output (explain, build) go to stderr. */
export async function reportToStderr(io: CliIo, diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, SourceText>, color: boolean): Promise<void> {
  if (diagnostics.length === 0) return;
  const { renderDiagnosticsText } = await import("../diagnostics/render-text.ts");
  io.stderr.write(renderDiagnosticsText(diagnostics, sources, { color: useColor(io, io.stderr, color) }) + "\n");
}
