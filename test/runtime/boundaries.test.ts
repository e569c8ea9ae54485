// The runtime's zero-dependency promise: nothing outside runtime/src, and node:* only outside the core.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../runtime/src");
const files = readdirSync(src).filter((name) => name.endsWith(".ts"));

function importsOf(file: string): string[] {
  const text = readFileSync(join(src, file), "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm), ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
}

test("every runtime file imports only its siblings or node: built-ins", () => {
  for (const file of files) {
    for (const specifier of importsOf(file)) {
      assert.ok(specifier.startsWith("./") || specifier.startsWith("node:"), `${file} imports ${specifier}`);
      if (specifier.startsWith("./")) assert.ok(files.includes(specifier.slice(2)), `${file} imports missing ${specifier}`);
    }
  }
});

test("the core reaches no node: module, directly or through its imports", () => {
  const seen = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      assert.not.ok(specifier.startsWith("node:"), `core reaches ${specifier} via ${[...path, file].join(" → ")}`);
      visit(specifier.slice(2), [...path, file]);
    }
  };
  visit("core.ts", []);
  assert.ok(seen.has("runtime.ts") && seen.has("mcp.ts"));
});

test("every runtime file starts with a one-line purpose comment", () => {
  for (const file of files) assert.match(readFileSync(join(src, file), "utf8"), /^\/\/ \S.*\n/, file);
});

test.run();
