// Reads policy files (expanding fast-glob patterns) into source texts; failures become diagnostics.

import { readFile } from "node:fs/promises";
import fg from "fast-glob";
import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { span } from "../ir/span.ts";

/**
 * Expands each pattern with fast-glob (sorted within a pattern, patterns in the order given);
 * a pattern without glob characters is taken as a path so that a missing file is reported by name.
 */
export async function expandPolicyPatterns(patterns: readonly string[], cwd: string, bag: DiagnosticBag): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const matched = fg.isDynamicPattern(pattern)
      ? (await fg(pattern, { cwd, onlyFiles: true, dot: false })).sort()
      : [pattern];
    if (matched.length === 0) bag.add(Diagnostics.noFiles, `No file matches ${JSON.stringify(pattern)}.`, span(pattern, 0, 0));
    for (const f of matched) {
      if (!seen.has(f)) {
        seen.add(f);
        files.push(f);
      }
    }
  }
  return files;
}

export async function readSources(paths: readonly string[], cwd: string, bag: DiagnosticBag): Promise<SourceText[]> {
  const out: SourceText[] = [];
  for (const path of paths) {
    try {
      const text = await readFile(new URL(path, `file://${cwd.endsWith("/") ? cwd : cwd + "/"}`), "utf8");
      out.push({ path, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.message;
      bag.add(Diagnostics.fileUnreadable, `Cannot read ${path}: ${reason}.`, span(path, 0, 0));
    }
  }
  return out;
}
