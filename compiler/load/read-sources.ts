// Reads policy files (expanding fast-glob patterns) into source texts; failures become diagnostics.

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { expandPattern } from "./expand-pattern.ts";
import { Diagnostics } from "../diagnostics/catalog.ts";
import type { DiagnosticBag } from "../diagnostics/diagnostic.ts";
import type { SourceText } from "../diagnostics/source.ts";
import { span } from "../ir/span.ts";

/**
 * Expands each pattern with fast-glob (sorted within a pattern, patterns in the order given);
 * a pattern without glob characters is taken as a path so that a missing file is reported by
 * name. A file named twice is read once, at its first position.
 */
export async function expandPolicyPatterns(patterns: readonly string[], cwd: string, bag: DiagnosticBag): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const matched = await expandPattern(pattern, cwd);
    if (matched.length === 0)
      bag.add(Diagnostics.noFiles, `No file matches ${JSON.stringify(pattern)}.`, span(pattern, 0, 0), {
        hint: "patterns are relative to the current directory; quote them so that the shell does not expand them",
      });
    for (const f of matched) {
      const key = resolve(cwd, f);
      if (!seen.has(key)) {
        seen.add(key);
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
      // A path, not a URL: names with `#`, `%` or `?` must reach the file system unchanged.
      const text = await readFile(resolve(cwd, path), "utf8");
      out.push({ path, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "it is a directory" : err.code === "EACCES" ? "permission denied" : err.message;
      bag.add(Diagnostics.fileUnreadable, `Cannot read ${path}: ${reason}.`, span(path, 0, 0), {
        hint: err.code === "EISDIR" ? `name the files, e.g. "${path.replace(/\/+$/, "")}/*.yaml"` : undefined,
      });
    }
  }
  return out;
}
