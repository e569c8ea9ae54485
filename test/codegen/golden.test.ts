// Golden files of generated modules (straight-line and table forms): stale goldens fail (UPDATE_GOLDEN=1 rewrites them) and every golden type-checks under the strictest flags a project would use.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitGuardFiles } from "../../compiler/codegen/emit-files.ts";
import type { Strategy } from "../../compiler/codegen/plan.ts";
import { compilePolicyText } from "../support/load-guard.ts";
import { typeCheck } from "../support/typecheck.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const GOLDEN = here("golden/");
const update = process.env.UPDATE_GOLDEN === "1";

const inputs: { name: string; path: string; source: string; strategy?: Strategy }[] = [
  { name: "seed", path: "policy.yaml", source: here("../../examples/quickstart/policy.yaml") },
  { name: "seed-first-match", path: "policy.yaml", source: here("../../examples/quickstart/policy.yaml") },
  { name: "conditions", path: "conditions.yaml", source: here("fixtures/conditions.yaml") },
  { name: "hostile", path: "hostile.yaml", source: here("fixtures/hostile.yaml") },
  { name: "when", path: "when.yaml", source: here("fixtures/when.yaml") },
  { name: "covered", path: "covered.yaml", source: here("fixtures/covered.yaml") },
  // The table form that large policies get, on small inputs so that a review can follow it.
  { name: "seed-tables", path: "policy.yaml", source: here("../../examples/quickstart/policy.yaml"), strategy: "tables" },
  { name: "conditions-tables", path: "conditions.yaml", source: here("fixtures/conditions.yaml"), strategy: "tables" },
  { name: "hostile-tables", path: "hostile.yaml", source: here("fixtures/hostile.yaml"), strategy: "tables" },
  { name: "when-tables", path: "when.yaml", source: here("fixtures/when.yaml"), strategy: "tables" },
];

mkdirSync(GOLDEN, { recursive: true });

for (const input of inputs) {
  test(`golden ${input.name}.guard.ts is current`, () => {
    const policy = compilePolicyText(readFileSync(input.source, "utf8"), {
      path: input.path,
      ...(input.name.endsWith("first-match") ? { combine: "first-match" as const } : {}),
    });
    const [file] = emitGuardFiles(policy, input.name, "ts", input.strategy ? { strategy: input.strategy } : {});
    const goldenPath = GOLDEN + file.fileName;
    if (update) writeFileSync(goldenPath, file.text);
    let expected: string;
    try {
      expected = readFileSync(goldenPath, "utf8");
    } catch {
      throw new Error(`missing golden ${goldenPath}; run UPDATE_GOLDEN=1 npm test`);
    }
    assert.fixture(file.text, expected, `stale golden ${file.fileName}; review the diff and run UPDATE_GOLDEN=1 npm test`);
  });
}

test("every golden module type-checks with --strict --noUnusedLocals --noUnusedParameters --exactOptionalPropertyTypes --noUncheckedIndexedAccess and no libraries but ES2022", () => {
  const files = readdirSync(GOLDEN).filter((f) => f.endsWith(".ts")).map((f) => GOLDEN + f);
  assert.ok(files.length >= inputs.length);
  assert.equal(typeCheck(files), []);
});

test("the run-time code that modules copy (support helpers, fast paths, table engine) type-checks with the same flags", () => {
  // Modules copy only the helpers they call; checking the sources whole covers the helpers that no golden needs.
  const sources = ["../../compiler/semantics/support.ts", "../../compiler/codegen/fast-support.ts", "../../compiler/codegen/table-runtime.ts"].map(here);
  assert.equal(typeCheck(sources, { allowImportingTsExtensions: true }), []);
});

test("generated modules have no imports or requires", () => {
  for (const f of readdirSync(GOLDEN).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(GOLDEN + f, "utf8");
    assert.not.match(text, /^\s*import\s/m, f);
    assert.not.match(text, /\brequire\s*\(/, f);
    assert.not.match(text, /\beval\s*\(|new Function\b/, f);
  }
});

test.run();
