// Preloaded with `node --import` by test/cli/loading.test.ts: writes every module the process loaded (ESM through a resolve hook, CommonJS from require.cache) to $AEGISC_LOADS_FILE.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const out = process.env.AEGISC_LOADS_FILE;
if (out) {
  register(new URL("./record-loads-hooks.mjs", import.meta.url), { data: { out } });
  const require = createRequire(import.meta.url);
  process.on("exit", () => appendFileSync(out, Object.keys(require.cache).map((f) => `file://${f}\n`).join("")));
}
