// Compiles policy files named by paths or fast-glob patterns: read, then run the stage table.

import { DiagnosticBag } from "./diagnostics/diagnostic.ts";
import { expandPolicyPatterns, readSources } from "./load/read-sources.ts";
import { compileSources, type CompileOptions, type CompileResult } from "./pipeline.ts";

export interface CompileFilesOptions extends CompileOptions {
  readonly cwd?: string;
}

export interface CompileFilesResult extends CompileResult {
  /** The files read, in merge order. */
  readonly files: readonly string[];
  /** True when a file could not be found or read (the CLI's exit code 2). */
  readonly ioError: boolean;
}

export async function compileFiles(patterns: readonly string[], options: CompileFilesOptions = {}): Promise<CompileFilesResult> {
  const cwd = options.cwd ?? process.cwd();
  const bag = new DiagnosticBag();
  const files = await expandPolicyPatterns(patterns, cwd, bag);
  const sources = await readSources(files, cwd, bag);
  const ioError = bag.hasErrors;
  const result = compileSources(sources, options, bag);
  return { ...result, files, ioError };
}
