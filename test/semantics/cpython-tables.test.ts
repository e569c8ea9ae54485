// CPython's own regex and fnmatch test tables (extracted by tools/extract-cpython-re-tests.py): every case Python accepts decides as Python says, in the automaton, the interpreter and a generated module; every pattern Python rejects is refused; the limits kept are listed here.

import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decide } from "../../compiler/interpret.ts";
import { compileGlob, globRegExpSource, parseGlob } from "../../compiler/semantics/glob.ts";
import { compilePythonRegex } from "../../compiler/semantics/python-regex.ts";
import { pyreRun } from "../../compiler/semantics/support.ts";
import { compilePolicyText, loadGeneratedGuard } from "../support/load-guard.ts";

const data = <T>(name: string): T[] => (JSON.parse(readFileSync(new URL(`./data/${name}`, import.meta.url), "utf8")) as { cases: T[] }).cases;
const reTests = data<{ pattern: string; string: string; expect: boolean | "error"; python: boolean | "error" }>("cpython-re-tests.json");
const testRe = data<{ mode: "match" | "search" | "fullmatch"; pattern: string; flags: number; string: string; python: boolean | "error"; line: number }>("cpython-test-re.json");
const testReErrors = data<{ pattern: string; error: string | null; pos: number | null; line: number }>("cpython-test-re-errors.json");
const fnmatchCases = data<{ name: string; pattern: string; python: boolean; line: number }>("cpython-test-fnmatch.json");

/**
 * The documented limits (README, "Regexes") that these tables meet: patterns Python accepts that
 * aegisc refuses because it cannot match them in linear time. Each is listed, so that a new limit,
 * or one that goes away, shows here.
 */
const LIMITS: Readonly<Record<string, string>> = {
  // A back-reference to a group that can match unboundedly many strings: not a regular language.
  "([a-c]*)\\1": "back-reference",
  "(a+).\\1$": "back-reference",
  "^(a+).\\1$": "back-reference",
  "([a-c]+)\\1": "back-reference",
  "(a+)\\1": "back-reference",
  "(a+)+\\1": "back-reference",
  "(a+)a\\1$": "back-reference",
  "([abc]*)\\1": "back-reference",
  "(?i)([a-c]*)\\1": "back-reference",
  // fnmatch's own emulation of an atomic group with a lookahead and a back-reference (test_re.py).
  "(?s:(?=(?P<g0>.*?\\.))(?P=g0).*)\\Z": "back-reference",
  // A possessive repeat of a body that can match both empty and not.
  "(e?){2,4}+a": "possessive",
};

/** Runs a compiled pattern as re.match, re.search or re.fullmatch. */
function run(source: string, flags: number, mode: "match" | "search" | "fullmatch", s: string): boolean | "error" | "limit" {
  const tr = compilePythonRegex(source, flags);
  if (!tr.ok) return tr.limit ? "limit" : "error";
  const p = tr.regex.program;
  return pyreRun(p, s, p.start, 0, mode === "fullmatch" ? s.length : -1, mode === "search" && !p.anchored, 0);
}

const limitsMet = new Set<string>();

test("re_tests.py: every case decides as its table says, or is a listed limit", () => {
  let passed = 0;
  for (const c of reTests) {
    assert.is(c.expect, c.python, `the table and CPython agree on ${JSON.stringify(c.pattern)}`);
    const got = run(c.pattern, 0, "search", c.string);
    if (got === "limit") {
      assert.ok(LIMITS[c.pattern], `unexpected limit: ${JSON.stringify(c.pattern)}`);
      limitsMet.add(c.pattern);
      continue;
    }
    assert.is(got, c.expect, `${JSON.stringify(c.pattern)} on ${JSON.stringify(c.string)}`);
    passed++;
  }
  assert.ok(passed > 380, `${passed} passed`);
});

test("test_re.py: every re.match/search/fullmatch call with literal arguments decides as CPython, or is a listed limit", () => {
  let passed = 0;
  for (const c of testRe) {
    const got = run(c.pattern, c.flags, c.mode, c.string);
    if (got === "limit") {
      assert.ok(LIMITS[c.pattern], `unexpected limit (test_re.py line ${c.line}): ${JSON.stringify(c.pattern)}`);
      limitsMet.add(c.pattern);
      continue;
    }
    assert.is(got, c.python, `test_re.py line ${c.line}: re.${c.mode}(${JSON.stringify(c.pattern)}, ${JSON.stringify(c.string)}, flags=${c.flags})`);
    passed++;
  }
  assert.ok(passed > 350, `${passed} passed`);
});

test("test_re.py: every pattern checkPatternError expects to fail is refused, with CPython's message and position", () => {
  for (const c of testReErrors) {
    const tr = compilePythonRegex(c.pattern);
    assert.ok(!tr.ok && !tr.limit, `test_re.py line ${c.line}: ${JSON.stringify(c.pattern)} is refused`);
    if (tr.ok || c.error === null) continue;
    assert.is(tr.message, c.error, `test_re.py line ${c.line}: ${JSON.stringify(c.pattern)}`);
    // Python's positions count code points, ours UTF-16 units: they agree on patterns without astral characters.
    if (c.pos !== null && !/[\u{10000}-\u{10ffff}]/u.test(c.pattern)) assert.is(tr.offset, c.pos, `position of ${JSON.stringify(c.pattern)}`);
  }
});

test("every listed limit is met by some case (none is stale)", () => {
  assert.equal([...limitsMet].sort(), Object.keys(LIMITS).sort());
});

test("re_tests.py and test_re.py search cases decide the same in the interpreter and a generated module, as param_matches", async () => {
  const cases = [
    ...reTests.filter((c) => c.expect !== "error").map((c) => ({ pattern: c.pattern, string: c.string, expect: c.expect as boolean })),
    ...testRe.filter((c) => c.mode === "search" && c.flags === 0 && c.python !== "error").map((c) => ({ pattern: c.pattern, string: c.string, expect: c.python as boolean })),
  ].filter((c) => !LIMITS[c.pattern] && c.pattern.length <= 1000 && !/[\ud800-\udfff]/.test(c.pattern + c.string));
  const rules = cases.map((c, i) => `  - { name: r${i}, match: { type: t${i} }, conditions: { param_matches: { s: ${JSON.stringify(c.pattern)} } }, approval: block }`);
  const policy = compilePolicyText(`combine: first-match\ndefaults: { approval: auto }\nrules:\n${rules.join("\n")}\n`);
  const guard = await loadGeneratedGuard(policy);
  cases.forEach((c, i) => {
    const call = { tool: `t${i}`, server: "s", args: { s: c.string } };
    const want = c.expect ? `r${i}` : "<default>";
    assert.is(decide(policy, call).rule, want, `interpreter: ${JSON.stringify(c.pattern)} on ${JSON.stringify(c.string)}`);
    assert.is(guard.decide(call).rule, want, `module: ${JSON.stringify(c.pattern)} on ${JSON.stringify(c.string)}`);
  });
  assert.ok(cases.length > 350, `${cases.length} cases`);
});

test("test_fnmatch.py: every literal check_match decides as fnmatch.fnmatchcase on POSIX", () => {
  for (const c of fnmatchCases) {
    assert.is(compileGlob(c.pattern).test(c.name), c.python, `test_fnmatch.py line ${c.line}: fnmatchcase(${JSON.stringify(c.name)}, ${JSON.stringify(c.pattern)})`);
  }
  assert.ok(fnmatchCases.length > 50);
});

test("globs take each middle segment atomically (as fnmatch.translate does), so that matching is linear by construction", () => {
  assert.is(globRegExpSource(parseGlob("*a*b?c*[de]f")), "^(?=([\\s\\S]*?a))\\1(?=([\\s\\S]*?b.c))\\2[\\s\\S]*[d-e]f$");
  assert.is(globRegExpSource(parseGlob("read_*")), "^read\\u{5f}[\\s\\S]*$");
  // test_fnmatch.py's test_slow_fnmatch: a backtracking translation takes C(50, 10) steps on this one.
  assert.not.ok(compileGlob("*a*a*a*a*a*a*a*a*a*a").test("a".repeat(50) + "b"));
});

test("test_fnmatch.py: the same cases as agent, tool and server globs, in the interpreter and a generated module", async () => {
  const rules = fnmatchCases.map((c, i) => `  - { name: g${i}, match: { type: ${JSON.stringify(c.pattern)}, target: s${i}, agent: ${JSON.stringify(c.pattern)} }, approval: block }`);
  const policy = compilePolicyText(`combine: first-match\ndefaults: { approval: auto }\nrules:\n${rules.join("\n")}\n`);
  const guard = await loadGeneratedGuard(policy);
  fnmatchCases.forEach((c, i) => {
    const call = { tool: c.name, server: `s${i}`, agent: c.name === "" ? "*" : c.name };
    const want = c.python ? `g${i}` : "<default>";
    assert.is(decide(policy, call).rule, want, `interpreter: ${JSON.stringify(c.pattern)} on ${JSON.stringify(c.name)}`);
    assert.is(guard.decide(call).rule, want, `module: ${JSON.stringify(c.pattern)} on ${JSON.stringify(c.name)}`);
  });
});

test.run();
