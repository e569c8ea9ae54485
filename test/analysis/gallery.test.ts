// The analysis gallery (examples/analysis): each policy reports exactly its planted findings, with valid witnesses, in text, JSON and SARIF.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import ts from "typescript";
import { analyzePolicy } from "../../compiler/analysis/analyze.ts";
import { compilePolicyText } from "../support/load-guard.ts";
import { checkWitness } from "../support/finding-claims.ts";
import { officialSarifValidator } from "../support/official-sarif.ts";
import { repoRoot, run } from "../cli/helpers.ts";

const GALLERY = `${repoRoot}examples/analysis/`;
const EXPECTED = `${GALLERY}expected/`;
const update = process.env.UPDATE_GOLDEN === "1";
const policies = readdirSync(GALLERY).filter((f) => f.endsWith(".yaml")).sort();
mkdirSync(EXPECTED, { recursive: true });

function planted(text: string): string[] {
  const line = /^# expect: (.*)$/m.exec(text);
  if (!line) throw new Error("gallery policy without an `# expect:` line");
  return line[1].replace("(no findings)", "").split(/\s+/).filter(Boolean).sort();
}

function golden(name: string, actual: string): void {
  const path = EXPECTED + name;
  if (update) writeFileSync(path, actual);
  let expected: string;
  try {
    expected = readFileSync(path, "utf8");
  } catch {
    throw new Error(`missing golden ${path}; run UPDATE_GOLDEN=1 npm test`);
  }
  assert.fixture(actual, expected, `stale golden ${name}; review the diff and run UPDATE_GOLDEN=1 npm test`);
}

test("the gallery has one policy per finding kind and a clean one", () => {
  const kinds = new Set(policies.flatMap((p) => planted(readFileSync(GALLERY + p, "utf8")).map((k) => k.split("@")[0])));
  for (const kind of ["unreachable", "shadowed", "redundant", "overlap", "correlation", "generalization", "unsatisfiable", "mode-dependent"]) assert.ok(kinds.has(kind), kind);
  assert.ok(policies.includes("clean.yaml"));
});

for (const file of policies) {
  const name = file.replace(/\.yaml$/, "");
  const text = readFileSync(GALLERY + file, "utf8");
  const path = `examples/analysis/${file}`;

  test(`${file}: exactly the planted findings, each witness checked by the interpreter`, () => {
    const policy = compilePolicyText(text, { path });
    const findings = analyzePolicy(policy);
    assert.equal(findings.map((f) => `${f.kind}@${f.rule.name}`).sort(), planted(text));
    for (const f of findings) {
      assert.is(f.certainty, "proven", `${f.kind}@${f.rule.name}`);
      assert.is(checkWitness(policy, f), undefined, `${f.kind}@${f.rule.name}: ${JSON.stringify(f.witness)}`);
    }
  });

  test(`${file}: aegisc check output (text, JSON, SARIF) matches the goldens`, async () => {
    const text_ = await run(["check", path, "--no-color"]);
    golden(`${name}.txt`, text_.stdout);
    const json = await run(["check", path, "--format", "json"]);
    golden(`${name}.json`, json.stdout);
    const sarif = await run(["check", path, "--format", "sarif"]);
    // SARIF names the checkout's absolute location (SRCROOT); the golden must not depend on where it is.
    golden(`${name}.sarif`, sarif.stdout.split(pathToFileURL(repoRoot).href).join("file:///checkout/"));
    const errors = planted(text).some((k) => k.startsWith("shadowed@") || k.startsWith("unsatisfiable@"));
    for (const r of [text_, json, sarif]) assert.is(r.code, errors ? 1 : 0, `exit code of ${file}`);
    const report = JSON.parse(json.stdout) as { findings: { kind: string; rule: string; line: number; witness?: unknown }[] };
    assert.equal(report.findings.map((f) => `${f.kind}@${f.rule}`).sort(), planted(text));
    // Each finding points at its rule's `name:` line.
    for (const f of report.findings) assert.match(text.split("\n")[f.line - 1], new RegExp(`name: ${f.rule}\\b`));
  });
}

test("every gallery SARIF log type-checks against the SARIF 2.1.0 definitions (@types/sarif)", () => {
  const files = policies.map((p) => `${EXPECTED}${p.replace(/\.yaml$/, "")}.sarif`);
  const source = files.map((f, i) => `const log${i}: Log = ${readFileSync(f, "utf8")};\nvoid log${i};`).join("\n");
  const host = ts.createCompilerHost({});
  const fileName = `${EXPECTED}__sarif_check.ts`;
  const original = host.getSourceFile;
  host.getSourceFile = (name, lang, ...rest) =>
    name === fileName ? ts.createSourceFile(name, `import type { Log } from "sarif";\n${source}\n`, lang) : original.call(host, name, lang, ...rest);
  const program = ts.createProgram([fileName], { strict: true, noEmit: true, types: [], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 }, host);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.equal(problems, []);
  for (const f of files) {
    const log = JSON.parse(readFileSync(f, "utf8"));
    assert.is(log.version, "2.1.0");
    for (const result of log.runs[0].results) {
      assert.type(result.ruleId, "string");
      assert.ok(result.locations[0].physicalLocation.region.startLine >= 1);
    }
  }
});

test("every gallery SARIF log validates against the official SARIF 2.1.0 JSON schema", () => {
  const validate = officialSarifValidator();
  for (const p of policies) {
    const file = `${p.replace(/\.yaml$/, "")}.sarif`;
    const log = JSON.parse(readFileSync(EXPECTED + file, "utf8"));
    assert.ok(validate(log), `${file}: ${JSON.stringify(validate.errors)}`);
  }
  // The validator is not vacuous: a result without its message is refused.
  const broken = JSON.parse(readFileSync(`${EXPECTED}shadowed.sarif`, "utf8"));
  delete broken.runs[0].results[0].message;
  assert.not.ok(validate(broken));
});

test("the seed in first-match mode: prod_fs_block partly shadowed by mcp_read, mcp_list and mcp_write; overlaps mcp_delete", async () => {
  const r = await run(["check", "examples/quickstart/policy.yaml", "--combine", "first-match", "--format", "json"]);
  const report = JSON.parse(r.stdout) as { findings: { kind: string; rule: string; others: string[]; witness: { tool: string; server: string } }[] };
  const about = report.findings.filter((f) => f.rule === "prod_fs_block");
  const byOther = new Map(about.map((f) => [f.others[0], f]));
  for (const other of ["mcp_read", "mcp_list", "mcp_write"]) {
    assert.is(byOther.get(other)?.kind, "correlation", other);
    assert.is(byOther.get(other)?.witness.server, "prod-filesystem");
  }
  assert.equal(byOther.get("mcp_write")?.witness, { server: "prod-filesystem", tool: "write_file" });
  assert.is(byOther.get("mcp_delete")?.kind, "overlap");
  assert.not.ok(report.findings.some((f) => f.kind === "mode-dependent"));
});

test("the seed without combine: reports mode-dependent decisions", async () => {
  const r = await run(["check", "examples/quickstart/policy.yaml", "--format", "json"]);
  const report = JSON.parse(r.stdout) as { findings: { kind: string; rule: string; others: string[]; witness: { tool: string; server: string } }[] };
  const modeDependent = report.findings.filter((f) => f.kind === "mode-dependent");
  assert.ok(modeDependent.some((f) => f.rule === "mcp_write" && f.others[0] === "prod_fs_block" && f.witness.tool === "write_file" && f.witness.server === "prod-filesystem"));
  assert.is(r.code, 0);
});

test.run();
