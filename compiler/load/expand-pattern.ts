// One fast-glob pattern → the files it names, sorted; a plain path is returned as it is (so that a missing file is reported by name), without loading fast-glob.

import { requireCjs } from "../require-cjs.ts";

/** Every character fast-glob's isDynamicPattern looks for: without one, a pattern is a plain path. */
function mayBeGlob(pattern: string): boolean {
  return /[*?![\]{}()]/.test(pattern);
}

export async function expandPattern(pattern: string, cwd: string): Promise<string[]> {
  if (!mayBeGlob(pattern)) return [pattern];
  const fg = requireCjs("fast-glob") as typeof import("fast-glob");
  return fg.isDynamicPattern(pattern) ? (await fg(pattern, { cwd, onlyFiles: true, dot: false })).sort() : [pattern];
}
