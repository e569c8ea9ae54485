// Which module syntax a `.guard.js` needs where it is written: ESM or CommonJS, as the nearest package.json's "type" makes Node read `.js` files there.

import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

export const MODULE_FORMATS = ["esm", "cjs"] as const;
export type ModuleFormat = (typeof MODULE_FORMATS)[number];

export interface ModuleFormatChoice {
  readonly format: ModuleFormat;
  /** The package.json that decided, absent when there is none. */
  readonly packageJson?: string;
}

/** The nearest package.json cannot be read as JSON: Node would refuse every `.js` below it, whichever syntax it has. */
export class PackageJsonError extends Error {}

/**
 * The format of `.js` files in `dir` (which need not exist yet): ESM when the nearest package.json
 * says `"type": "module"`, CommonJS when it says anything else or nothing, since Node then runs
 * `.js` as CommonJS (on Node 20, ESM syntax there fails, or is reparsed with a warning). With no
 * package.json at all the module is ESM: Node detects its syntax without a warning, and browsers and
 * bundlers expect it. Like Node, the search stops at a `node_modules` folder.
 */
export function moduleFormatFor(dir: string): ModuleFormatChoice {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (basename(current) === "node_modules") return { format: "esm" };
    const path = join(current, "package.json");
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A folder named package.json is no package, for Node either.
      if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EISDIR") throw new PackageJsonError(`cannot read ${path}: ${(e as Error).message}`);
    }
    if (text !== undefined) {
      let manifest: unknown;
      try {
        manifest = JSON.parse(text);
      } catch (e) {
        throw new PackageJsonError(`${path} is not valid JSON (${(e as Error).message})`);
      }
      const type = manifest !== null && typeof manifest === "object" ? (manifest as { type?: unknown }).type : undefined;
      return { format: type === "module" ? "esm" : "cjs", packageJson: path };
    }
    if (dirname(current) === current) return { format: "esm" };
  }
}
