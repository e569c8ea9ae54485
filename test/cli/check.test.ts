// `aegisc check`: text and JSON reports, exit codes 0/1/2, --combine, --max-warnings and --analysis-limit.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Ajv2020 } from "ajv/dist/2020.js";
import { run, seedPolicy, tempDir } from "./helpers.ts";

const WARN = "rules:\n  - name: a\n    match: { type: a }\n    conditions: { param_gt: {} }\n  - name: b\n    match: { type: b }\n    conditions: { param_eq: {} }\n";
/** No validation problem and no analysis finding. */
const CLEAN = "examples/analysis/clean.yaml";
const BAD = "rules:\n  - name: a\n    aproval: block\n  - name: b\n    approval: Block\n";

test("a clean policy: exit 0 and a one-line summary", async () => {
  const r = await run(["check", CLEAN]);
  assert.is(r.code, 0);
  assert.is(r.stdout, "No problems in 1 file (2 rules).\n");
  assert.is(r.stderr, "");
});

test("errors: code frames, then the summary; exit 1", async () => {
  const dir = tempDir({ "p.yaml": BAD });
  const r = await run(["check", "p.yaml"], { cwd: dir });
  assert.is(r.code, 1);
  assert.ok(r.stdout.startsWith("p.yaml:3:5 - error AEG2001: Unknown key `aproval` in a rule.\n  3 |     aproval: block\n    |     ~~~~~~~\n  hint: did you mean `approval`?\n"));
  assert.match(r.stdout, /p\.yaml:5:15 - error AEG2002: `Block` is not an approval\./);
  assert.ok(r.stdout.endsWith("\n2 errors in 1 file\n"), r.stdout);
});

test("errors in two files are all reported, in the order given", async () => {
  const dir = tempDir({ "a.yaml": BAD, "b.yaml": "rules:\n  - risk_level: severe\n" });
  const r = await run(["check", "b.yaml", "a.yaml"], { cwd: dir });
  assert.is(r.code, 1);
  const locations = [...r.stdout.matchAll(/^(\S+\.yaml:\d+:\d+) - error/gm)].map((m) => m[1]);
  assert.equal(locations, ["b.yaml:2:17", "a.yaml:3:5", "a.yaml:5:15"]);
  assert.match(r.stdout, /3 errors in 2 files\n$/);
});

test("globs are expanded by aegisc (sorted), not only by the shell", async () => {
  const dir = tempDir({ "policies/b.yaml": "rules:\n  - name: b\n    match: { type: b }\n", "policies/a.yaml": "rules:\n  - name: a\n    match: { type: a }\n" });
  const r = await run(["check", "policies/*.yaml"], { cwd: dir });
  assert.is(r.code, 0);
  assert.is(r.stdout, "No problems in 2 files (2 rules).\n");
});

test("a missing file is an I/O error: exit 2", async () => {
  const r = await run(["check", "no/such/policy.yaml"]);
  assert.is(r.code, 2);
  assert.match(r.stdout, /^no\/such\/policy\.yaml - error AEG1000: Cannot read no\/such\/policy\.yaml: no such file\./);
});

test("a glob that matches nothing is an I/O error: exit 2", async () => {
  const r = await run(["check", "nothing/*.yaml"], { cwd: tempDir() });
  assert.is(r.code, 2);
  assert.match(r.stdout, /AEG1004: No file matches "nothing\/\*\.yaml"\./);
});

test("I/O errors win over policy errors for the exit code, and both are reported", async () => {
  const dir = tempDir({ "bad.yaml": BAD });
  const r = await run(["check", "bad.yaml", "missing.yaml"], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(r.stdout, /AEG2001/);
  assert.match(r.stdout, /AEG1000/);
});

test("warnings alone exit 0 and are counted in the summary", async () => {
  const dir = tempDir({ "w.yaml": WARN });
  const r = await run(["check", "w.yaml"], { cwd: dir });
  assert.is(r.code, 0);
  assert.match(r.stdout, /warning AEG2017/);
  assert.match(r.stdout, /\n2 warnings in 1 file \(2 rules\)\n$/);
});

test("--max-warnings: over the limit exits 1, at the limit exits 0", async () => {
  const dir = tempDir({ "w.yaml": WARN });
  const over = await run(["check", "w.yaml", "--max-warnings", "1"], { cwd: dir });
  assert.is(over.code, 1);
  assert.match(over.stdout, /Too many warnings \(2, maximum 1\)\.\n$/);
  assert.is((await run(["check", "w.yaml", "--max-warnings", "2"], { cwd: dir })).code, 0);
  assert.is((await run(["check", CLEAN, "--max-warnings", "0"])).code, 0);
  // Analysis warnings count too: the seed has mode-dependent decisions.
  assert.is((await run(["check", seedPolicy, "--max-warnings", "0"])).code, 1);
});

test("--max-warnings in JSON mode keeps stdout pure JSON", async () => {
  const dir = tempDir({ "w.yaml": WARN });
  const r = await run(["check", "w.yaml", "--format", "json", "--max-warnings", "0"], { cwd: dir });
  assert.is(r.code, 1);
  JSON.parse(r.stdout);
  assert.match(r.stderr, /Too many warnings/);
});

test("--analysis-limit: a limit too small stops the analysis and says how to raise it; 0 lifts it", async () => {
  const findings = async (limit: string) => {
    const r = await run(["check", seedPolicy, "--format", "json", "--analysis-limit", limit]);
    return JSON.parse(r.stdout).findings as { code: string; hint?: string; message: string }[];
  };
  const stopped = await findings("5");
  const incomplete = stopped.filter((d) => d.code === "AEG3009");
  assert.is(incomplete.length, 1, JSON.stringify(stopped));
  assert.match(incomplete[0].message, /^The analysis stopped at its work limit/);
  // The seed does not state `combine:`, so the modes would have been compared too.
  assert.match(incomplete[0].message, /the two combine modes were not compared\.$/);
  assert.match(incomplete[0].hint ?? "", /--analysis-limit/);
  const complete = await findings("0");
  assert.ok(complete.length > stopped.length);
  assert.not.ok(complete.some((d) => d.code === "AEG3009"));
  assert.equal(complete, await findings(String(10_000_000)), "a large limit finds what no limit finds");
  const bad = await run(["check", seedPolicy, "--analysis-limit", "-1"]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--analysis-limit/);
});

test("--max-warnings must be a whole number: exit 2", async () => {
  const r = await run(["check", seedPolicy, "--max-warnings", "lots"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--max-warnings/);
});

test("--combine accepts the two modes and rejects others with exit 2", async () => {
  assert.is((await run(["check", seedPolicy, "--combine", "first-match"])).code, 0);
  const bad = await run(["check", seedPolicy, "--combine", "deny-overrides"]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /Allowed choices are strictest, first-match/);
});

test("--format json: findings with kind, code, rule, positions, hint; and a summary", async () => {
  const dir = tempDir({ "p.yaml": BAD });
  const r = await run(["check", "p.yaml", "--format", "json"], { cwd: dir });
  assert.is(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.equal(report.findings[0], {
    kind: "unknown-key",
    severity: "error",
    code: "AEG2001",
    rule: "a",
    file: "p.yaml",
    line: 3,
    column: 5,
    endLine: 3,
    endColumn: 12,
    message: "Unknown key `aproval` in a rule.",
    hint: "did you mean `approval`?",
  });
  assert.equal(Object.keys(report.findings[1]), ["kind", "severity", "code", "rule", "file", "line", "column", "endLine", "endColumn", "message", "hint"]);
  assert.is(report.findings[1].kind, "value");
  assert.equal(report.summary, { files: 1, rules: null, errors: 2, warnings: 0, infos: 0 });
});

test("--format json: every validation kind is one of the documented kinds", async () => {
  const dir = tempDir({
    "syntax.yaml": "rules: ]\n",
    "empty.yaml": "",
    "dup.yaml": "rules:\n  - name: a\n  - name: a\n",
    "type.yaml": "rules:\n  - match: { type: 5 }\n",
  });
  const r = await run(["check", "*.yaml", "missing.yaml", "--format", "json"], { cwd: dir });
  const kinds = new Set(JSON.parse(r.stdout).findings.map((f: { kind: string }) => f.kind));
  assert.equal([...kinds].sort(), ["duplicate", "empty", "io", "syntax", "type"]);
});

test("--format json: notes carry their own positions; unreadable files have null positions", async () => {
  const dir = tempDir({ "p.yaml": "rules:\n  - name: a\n  - name: a\n" });
  const r = await run(["check", "p.yaml", "gone.yaml", "--format", "json"], { cwd: dir });
  const { findings } = JSON.parse(r.stdout);
  const dup = findings.find((f: { code: string }) => f.code === "AEG2006");
  assert.equal(dup.notes, [{ file: "p.yaml", line: 2, column: 11, endLine: 2, endColumn: 12, message: "the first rule with this name" }]);
  const io = findings.find((f: { code: string }) => f.code === "AEG1000");
  assert.equal([io.file, io.line, io.column, io.endLine, io.endColumn], ["gone.yaml", null, null, null, null]);
});

test("--format json on a clean policy", async () => {
  const r = await run(["check", CLEAN, "--format", "json"]);
  assert.is(r.code, 0);
  assert.equal(JSON.parse(r.stdout), { findings: [], summary: { files: 1, rules: 2, errors: 0, warnings: 0, infos: 0 } });
});

test("--format sarif: a SARIF 2.1.0 log with rule metadata and regions", async () => {
  const dir = tempDir({ "p.yaml": BAD });
  const r = await run(["check", "p.yaml", "--format", "sarif"], { cwd: dir });
  assert.is(r.code, 1);
  const log = JSON.parse(r.stdout);
  assert.is(log.version, "2.1.0");
  const run0 = log.runs[0];
  assert.is(run0.tool.driver.name, "aegisc");
  const result = run0.results[0];
  assert.is(result.ruleId, "AEG2001");
  assert.is(run0.tool.driver.rules[result.ruleIndex].id, "AEG2001");
  assert.is(result.level, "error");
  assert.equal(result.locations[0].physicalLocation.artifactLocation, { uri: "p.yaml", uriBaseId: "SRCROOT" });
  assert.equal(result.locations[0].physicalLocation.region, { startLine: 3, startColumn: 5, endLine: 3, endColumn: 12 });
});

test("color only when asked for or on a terminal, never with NO_COLOR or --no-color", async () => {
  const dir = tempDir({ "p.yaml": BAD });
  const esc = "\u001b[";
  assert.not.ok((await run(["check", "p.yaml"], { cwd: dir })).stdout.includes(esc));
  assert.ok((await run(["check", "p.yaml"], { cwd: dir, tty: true })).stdout.includes(esc));
  assert.ok((await run(["check", "p.yaml"], { cwd: dir, env: { FORCE_COLOR: "1" } })).stdout.includes(esc));
  assert.not.ok((await run(["check", "p.yaml"], { cwd: dir, tty: true, env: { NO_COLOR: "1" } })).stdout.includes(esc));
  assert.not.ok((await run(["check", "p.yaml", "--no-color"], { cwd: dir, tty: true })).stdout.includes(esc));
});

test("JSON findings validate against a schema of the documented shape", async () => {
  const dir = tempDir({ "p.yaml": BAD + "  - name: a\n" });
  const r = await run(["check", "p.yaml", "--format", "json"], { cwd: dir });
  const location = { file: { type: "string" }, line: { type: ["integer", "null"] }, column: { type: ["integer", "null"] }, endLine: { type: ["integer", "null"] }, endColumn: { type: ["integer", "null"] } };
  const schema = {
    type: "object",
    required: ["findings", "summary"],
    additionalProperties: false,
    properties: {
      findings: {
        type: "array",
        items: {
          type: "object",
          required: ["kind", "severity", "code", "file", "line", "column", "endLine", "endColumn", "message"],
          additionalProperties: false,
          properties: {
            kind: { type: "string" },
            severity: { enum: ["error", "warning", "info"] },
            code: { type: "string", pattern: "^AEG\\d{4}$" },
            rule: { type: "string" },
            others: { type: "array", items: { type: "string" } },
            witness: { type: "object" },
            ...location,
            message: { type: "string" },
            hint: { type: "string" },
            notes: { type: "array", items: { type: "object", required: ["message", "file", "line", "column", "endLine", "endColumn"], properties: { message: { type: "string" }, ...location } } },
          },
        },
      },
      summary: {
        type: "object",
        required: ["files", "rules", "errors", "warnings", "infos"],
        additionalProperties: false,
        properties: { files: { type: "integer" }, rules: { type: ["integer", "null"] }, errors: { type: "integer" }, warnings: { type: "integer" }, infos: { type: "integer" } },
      },
    },
  };
  const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(schema);
  assert.ok(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors));
});

test.run();
