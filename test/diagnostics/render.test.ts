// Renderers on hand-made diagnostics: analysis findings (rule, others, witness), notes, positions, escaping.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Diagnostics } from "../../compiler/diagnostics/catalog.ts";
import { DiagnosticBag } from "../../compiler/diagnostics/diagnostic.ts";
import { diagnosticsToJson, renderDiagnosticsJson } from "../../compiler/diagnostics/render-json.ts";
import { renderDiagnosticsSarif } from "../../compiler/diagnostics/render-sarif.ts";
import { codeFrame, MAX_NOTES_SHOWN, MAX_RULES_NAMED, quoteShell, renderDiagnosticsText, witnessArguments } from "../../compiler/diagnostics/render-text.ts";
import type { SourceText } from "../../compiler/diagnostics/source.ts";
import { summarize, summaryLine } from "../../compiler/diagnostics/summary.ts";
import { span } from "../../compiler/ir/span.ts";

const text = "rules:\n  - name: wide\n    approval: block\n  - name: narrow\n    approval: auto\n";
const source: SourceText = { path: "p.yaml", text };
const sources = new Map([[source.path, source]]);
const at = (needle: string) => span("p.yaml", text.indexOf(needle), text.indexOf(needle) + needle.length);

function finding() {
  const bag = new DiagnosticBag();
  // Stands in for a report-* analysis pass: a finding with the rules involved and a witness call.
  bag.add(Diagnostics.duplicateKey, "Rule `narrow` can never decide: `wide` always wins.", at("narrow"), {
    rule: "narrow",
    others: ["wide"],
    witness: { server: "fs", tool: "it's", args: { path: "/a b" } },
    notes: [{ message: "the covering rule", span: at("wide") }],
  });
  return bag.items;
}

test("text: location, code frame, rules involved, pasteable example call, notes", () => {
  const out = renderDiagnosticsText(finding(), sources, { policyFiles: ["p.yaml", "more policies/q.yaml"] });
  assert.is(
    out,
    [
      "p.yaml:4:11 - error AEG1005: Rule `narrow` can never decide: `wide` always wins.",
      "  4 |   - name: narrow",
      "    |           ~~~~~~",
      "  rules involved: narrow, wide",
      "  example call: aegisc explain p.yaml 'more policies/q.yaml' --tool 'it'\\''s' --server fs --args '{\"path\":\"/a b\"}'",
      "  p.yaml:2:11 - note: the covering rule",
      "  2 |   - name: wide",
      "    |           ~~~~",
      "",
    ].join("\n"),
  );
});

/** A finding with `count` other rules, each with a note at `wide`. */
function findingWithOthers(count: number) {
  const bag = new DiagnosticBag();
  const others = Array.from({ length: count }, (_, k) => `cover_${k + 1}`);
  bag.add(Diagnostics.duplicateKey, "Rule `narrow` can never decide.", at("narrow"), {
    rule: "narrow",
    others,
    notes: others.map((name) => ({ message: `\`${name}\` covers part of it`, span: at("wide") })),
  });
  return bag.items;
}

test("text: a finding with many other rules shows the first notes and names, and counts the rest; JSON keeps them all", () => {
  const many = 40;
  const out = renderDiagnosticsText(findingWithOthers(many), sources);
  const notes = out.split("\n").filter((line) => line.includes(" - note: "));
  assert.equal(
    notes.map((line) => line.replace(/^.* - note: /, "")),
    Array.from({ length: MAX_NOTES_SHOWN - 1 }, (_, k) => `\`cover_${k + 1}\` covers part of it`),
  );
  assert.match(out, `\n  … and ${many - (MAX_NOTES_SHOWN - 1)} more notes (--format json lists every one)\n`);
  const named = ["narrow", ...Array.from({ length: MAX_RULES_NAMED - 2 }, (_, k) => `cover_${k + 1}`)];
  assert.match(out, `\n  rules involved: ${named.join(", ")} and ${many + 1 - (MAX_RULES_NAMED - 1)} more\n`);
  const json = diagnosticsToJson(findingWithOthers(many), sources, summarize(findingWithOthers(many), 1, 2));
  assert.is(json.findings[0].others?.length, many);
  assert.is(json.findings[0].notes?.length, many);
});

test("text: up to the caps, every note and name is shown", () => {
  const out = renderDiagnosticsText(findingWithOthers(MAX_NOTES_SHOWN), sources);
  assert.is(out.split("\n").filter((line) => line.includes(" - note: ")).length, MAX_NOTES_SHOWN);
  assert.not.match(out, "more notes");
  assert.match(out, `rules involved: narrow, ${Array.from({ length: MAX_NOTES_SHOWN }, (_, k) => `cover_${k + 1}`).join(", ")}\n`);
});

test("text: color wraps severity and underline only when asked", () => {
  const plain = renderDiagnosticsText(finding(), sources);
  const color = renderDiagnosticsText(finding(), sources, { color: true });
  assert.not.match(plain, /\u001b\[/);
  assert.match(color, /\u001b\[31merror\u001b\[0m/);
  assert.is(color.replace(/\u001b\[\d+m/g, ""), plain);
});

test("code frames: tabs expand, multi-line spans underline to the end of the first line, gutter fits the line number", () => {
  const src: SourceText = { path: "t.yaml", text: "a:\n\tb: [1,\n  2]\n" };
  const m = new Map([[src.path, src]]);
  assert.is(codeFrame(span("t.yaml", 4, 12), m), "  2 |   b: [1,\n    |   ~~~~~~");
  const long: SourceText = { path: "l.yaml", text: "x\n".repeat(120) };
  assert.is(codeFrame(span("l.yaml", 200, 201), new Map([[long.path, long]])), "  101 | x\n      | ~");
});

test("shell quoting of witness arguments", () => {
  assert.is(quoteShell("read_file"), "read_file");
  assert.is(quoteShell(""), "''");
  assert.is(quoteShell("$(rm -rf /)"), "'$(rm -rf /)'");
  assert.is(witnessArguments({ server: "s", tool: "t", agent: "bot 1", time: "2025-01-06T18:00:00Z" }), "--tool t --server s --agent 'bot 1' --at 2025-01-06T18:00:00Z");
});

test("JSON: analysis fields in the documented order, notes with positions", () => {
  const json = diagnosticsToJson(finding(), sources, summarize(finding(), 1, 2));
  assert.equal(Object.keys(json.findings[0]), ["kind", "severity", "code", "rule", "others", "witness", "file", "line", "column", "endLine", "endColumn", "message", "notes"]);
  assert.equal(json.findings[0].notes, [{ file: "p.yaml", line: 2, column: 11, endLine: 2, endColumn: 15, message: "the covering rule" }]);
  assert.equal(json.summary, { files: 1, rules: 2, errors: 1, warnings: 0, infos: 0 });
  assert.ok(renderDiagnosticsJson(finding(), sources, json.summary).endsWith("}\n"));
});

test("SARIF: witness and rules in properties, notes as related locations, absolute paths as file URIs", () => {
  const bag = new DiagnosticBag();
  bag.add(Diagnostics.invalidRisk, "bad", span("/abs/p q.yaml", 0, 1));
  const log = JSON.parse(renderDiagnosticsSarif([...finding(), ...bag.items], sources, { toolVersion: "9.9.9", cwd: "/work" }));
  const [a, b] = log.runs[0].results;
  assert.equal(a.properties, { kind: "duplicate", rule: "narrow", others: ["wide"], witness: { server: "fs", tool: "it's", args: { path: "/a b" } } });
  assert.is(a.relatedLocations[0].message.text, "the covering rule");
  assert.equal(b.locations[0].physicalLocation, { artifactLocation: { uri: "file:///abs/p%20q.yaml" } });
  assert.is(log.runs[0].originalUriBaseIds.SRCROOT.uri, "file:///work/");
  assert.is(log.runs[0].tool.driver.version, "9.9.9");
});

test("summary lines", () => {
  assert.is(summaryLine({ files: 1, rules: 5, errors: 0, warnings: 0, infos: 0 }), "No problems in 1 file (5 rules).");
  assert.is(summaryLine({ files: 1, rules: null, errors: 2, warnings: 1, infos: 0 }), "2 errors, 1 warning in 1 file");
  assert.is(summaryLine({ files: 3, rules: 1, errors: 0, warnings: 2, infos: 1 }), "2 warnings, 1 note in 3 files (1 rule)");
});

test.run();
