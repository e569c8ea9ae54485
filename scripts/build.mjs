#!/usr/bin/env node
// `npm run build [-- --clean]`: compiles compiler/, grammar/ and runtime/src/ to JavaScript with declarations (tsc -b), and writes beside them, as data, the TypeScript that the code generator copies into guard modules.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

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
// The text the code generator copies into every module, extracted from the sources once here, so
// that the installed compiler emits `.ts` modules without loading TypeScript.
const { extractEmbeddedSources, EMBEDDED_SOURCES_JSON } = await import(pathToFileURL(join(root, "dist/compiler/codegen/support-source.js")).href);
const embedded = extractEmbeddedSources({
  support: ["compiler/semantics/support.ts", "compiler/codegen/fast-support.ts"].map((f) => join(root, f)),
  tableRuntime: join(root, "compiler/codegen/table-runtime.ts"),
});
writeFileSync(join(root, "dist/compiler/codegen", EMBEDDED_SOURCES_JSON), JSON.stringify(embedded) + "\n");
