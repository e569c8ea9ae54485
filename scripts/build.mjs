#!/usr/bin/env node
// `npm run build [-- --clean]`: compiles compiler/, grammar/ and runtime/src/ to JavaScript with declarations (tsc -b), and copies beside them the TypeScript that the code generator embeds in guard modules.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * compiler/codegen/support-source.ts reads these as text, relative to itself, and copies their
 * functions into every module it emits; they ship as TypeScript so that `.guard.ts` output stays typed.
 */
const EMBEDDED_SOURCES = ["compiler/semantics/support.ts", "compiler/codegen/fast-support.ts", "compiler/codegen/table-runtime.ts"];

// npm lists `prepare` among a tarball dependency's install scripts; in a packed package there is
// nothing to build (dist/ ships built, the sources and tsconfig do not), so running it is harmless.
if (!existsSync(join(root, "tsconfig.build.json"))) process.exit(0);

if (process.argv.includes("--clean")) {
  // tsc -b trusts its build info: a clean build removes it with the outputs, so nothing stale ships.
  for (const dir of ["dist", "runtime/dist"]) rmSync(join(root, dir), { recursive: true, force: true });
}
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-b", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (result.status !== 0) process.exit(result.status ?? 1);
for (const file of EMBEDDED_SOURCES) {
  const target = join(root, "dist", file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(root, file), target);
}
