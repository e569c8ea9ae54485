// Chevrotain's runtime, loaded from the single-file build it ships (lib/chevrotain.min.mjs) when it is there: its package entry loads hundreds of lodash-es modules, which costs every command that parses a policy several times Node's own start-up.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

/**
 * The bundle sits beside the entry (lib/src/api.js → lib/chevrotain.min.mjs) in every 11.x release
 * and is the same code, bundled; the package's `exports` do not name it, so it is found by path,
 * and the package entry is the fallback if a release moves it (test/grammar/chevrotain.test.ts
 * says so when that happens).
 */
export function chevrotainBundlePath(): string | undefined {
  const entry = createRequire(import.meta.url).resolve("chevrotain");
  const bundle = entry.replace(/[\\/]src[\\/]api\.js$/, "/chevrotain.min.mjs");
  return bundle !== entry && existsSync(bundle) ? bundle : undefined;
}

const bundle = chevrotainBundlePath();
const chevrotain: Chevrotain = bundle ? await import(pathToFileURL(bundle).href) : await import("chevrotain");

export const { createToken, CstParser, EOF, Lexer } = chevrotain;
