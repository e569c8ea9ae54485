// The compiler's name and version, read once from aegisc's own package.json (the one source of the version number).

import { readFileSync } from "node:fs";

export const COMPILER_NAME = "aegisc";

/**
 * The sources run from `compiler/` (tests, tsx) and the package from `dist/compiler/`, so the
 * package.json is one or two folders up; the first one named aegisc is ours.
 */
function readPackageVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === COMPILER_NAME && typeof pkg.version === "string") return pkg.version;
    } catch {
      // Not there: try the next folder up.
    }
  }
  throw new Error(`aegisc cannot find its own package.json above ${import.meta.url}`);
}

export const COMPILER_VERSION = readPackageVersion();
