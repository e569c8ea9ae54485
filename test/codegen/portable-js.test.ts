// The `.js` of `--emit js` in both module formats runs where only ECMAScript is (a browser, a worker): evaluated in a node:vm realm without Node's globals, it decides every decision case as the interpreter does.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { emitGuardFiles } from "../../compiler/codegen/emit-files.ts";
import type { Strategy } from "../../compiler/codegen/plan.ts";
import { numberLiteral, stringLiteral, valueLiteral } from "../../compiler/codegen/literals.ts";
import { decide, type ToolCall } from "../../compiler/interpret.ts";
import { loadCaseSuites } from "../support/cases.ts";
import { ECMASCRIPT_GLOBALS, ecmascriptOnlyContext, evaluateCommonJsInRealm } from "../support/es-realm.mjs";
import { compilePolicyText } from "../support/load-guard.ts";

/**
 * A call as source text, so that the realm builds it from its own intrinsics (a Date from another
 * realm is no `instanceof Date` there, as in a browser's worker): keys and values through the
 * compiler's own literal helpers.
 */
function callSource(call: ToolCall): string {
  const entries = Object.keys(call).map((key) => {
    const value = (call as unknown as Record<string, unknown>)[key];
    const code = value instanceof Date ? `new Date(${numberLiteral(value.getTime())})` : valueLiteral(value);
    return `[${stringLiteral(key)}, ${code}]`;
  });
  return `Object.fromEntries([${entries.join(", ")}])`;
}

interface Prepared {
  readonly label: string;
  readonly esm: string;
  readonly cjs: string;
  readonly calls: string;
  readonly expected: readonly string[];
  readonly callText: readonly string[];
}

// Every case suite in both formats; the strategy alternates, so that both the straight-line and the table form run in the realm.
const prepared: Prepared[] = loadCaseSuites().map((suite, i) => {
  const policy = compilePolicyText(suite.policy, suite.combine ? { combine: suite.combine } : {});
  const strategy: Strategy = i % 2 === 0 ? "straight" : "tables";
  const [esm, cjs] = (["esm", "cjs"] as const).map((module) => emitGuardFiles(policy, "policy", "js", { strategy, module })[0].text);
  return {
    label: `${suite.file}: ${suite.name} (${strategy})`,
    esm,
    cjs,
    calls: `[${suite.cases.map((c) => callSource(c.call)).join(", ")}]`,
    expected: suite.cases.map((c) => JSON.stringify(decide(policy, c.call))),
    callText: suite.cases.map((c) => JSON.stringify(c.call)),
  };
});

test("the realm has only ECMAScript's globals", () => {
  const context = ecmascriptOnlyContext();
  const names: string[] = vm.runInContext("Object.getOwnPropertyNames(globalThis)", context);
  assert.ok(names.every((n) => ECMASCRIPT_GLOBALS.has(n)), names.join(" "));
  for (const absent of ["process", "Buffer", "require", "module", "console", "setTimeout", "TextEncoder", "URL", "fetch", "structuredClone"]) {
    assert.is(vm.runInContext(`typeof ${absent}`, context), "undefined", absent);
  }
});

test("the CommonJS form, run as a function of exports in the realm, decides every case as the interpreter", () => {
  assert.ok(prepared.length > 50);
  let compared = 0;
  for (const p of prepared) {
    const { exports, context } = evaluateCommonJsInRealm(p.cjs) as { exports: { decide(call: unknown): unknown }; context: vm.Context };
    const calls = vm.runInContext(p.calls, context) as unknown[];
    calls.forEach((call, i) => {
      assert.is(JSON.stringify(exports.decide(call)), p.expected[i], `${p.label}: ${p.callText[i]}`);
      compared++;
    });
  }
  assert.is(compared, prepared.reduce((n, p) => n + p.expected.length, 0));
  assert.ok(compared > 200);
});

test("the ES module form, evaluated with vm.SourceTextModule in the realm, decides every case as the interpreter", () => {
  // SourceTextModule needs --experimental-vm-modules, so a child process evaluates them all; it warns that the flag is experimental.
  const child = spawnSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", fileURLToPath(new URL("../support/decide-in-realm.mjs", import.meta.url))], {
    input: JSON.stringify(prepared.map((p) => ({ source: p.esm, calls: p.calls }))),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  assert.is(child.stderr, "");
  assert.is(child.status, 0);
  const results = JSON.parse(child.stdout) as string[][];
  assert.is(results.length, prepared.length);
  results.forEach((decisions, m) => {
    const p = prepared[m];
    assert.is(decisions.length, p.expected.length, p.label);
    decisions.forEach((d, i) => assert.is(d, p.expected[i], `${p.label}: ${p.callText[i]}`));
  });
});

test.run();
