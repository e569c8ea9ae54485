// All problems in one run: several errors in a file, errors across files, and a golden of the rendered text.
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileFiles } from "../../compiler/compile-files.ts";
import { renderDiagnosticsText } from "../../compiler/diagnostics/render-text.ts";
import { assertGolden } from "./golden-util.ts";
import { compileMany, underlined } from "./helpers.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixture = "test/diagnostics/fixtures/many-errors.yaml";
const golden = fileURLToPath(new URL("golden/many-errors.txt", import.meta.url));

test("every mistake in one file is reported in one run, in source order", async () => {
  const r = await compileFiles([fixture], { cwd: root });
  assert.is(r.policy, undefined);
  assert.is(r.ioError, false);
  const seen = r.diagnostics.map((d) => [d.code, underlined(r, d)]);
  assert.equal(seen, [
    ["AEG2003", "severe"],
    ["AEG2001", "aproval"],
    ["AEG2001", "tpye"],
    ["AEG2002", "Auto"],
    ["AEG2004", "on"],
    ["AEG2007", "18:00"],
    ["AEG2007", '"25:00"'],
    ["AEG2008", "9"],
    ["AEG2005", "null"],
    ["AEG2020", '"1000000"'],
    ["AEG2010", "("],
    ["AEG2006", "mcp_read"],
  ]);
});

test("diagnostics inside a rule carry the rule's name", async () => {
  const r = await compileFiles([fixture], { cwd: root });
  const byCode = (code: string) => r.diagnostics.filter((d) => d.code === code).map((d) => d.rule);
  assert.equal(byCode("AEG2002"), ["mcp_read"]);
  assert.equal(byCode("AEG2007"), ["night_writes", "night_writes"]);
  assert.equal(byCode("AEG2020"), ["big_uploads"]);
  assert.equal(byCode("AEG2003"), [undefined]);
});

test("errors in two files are both reported, files in the order given", async () => {
  const r = await compileFiles(["test/diagnostics/fixtures/also-bad.yaml", fixture], { cwd: root });
  assert.is(r.diagnostics[0].span.file, "test/diagnostics/fixtures/also-bad.yaml");
  assert.is(r.diagnostics[0].code, "AEG2003");
  assert.is(r.diagnostics.filter((d) => d.span.file === fixture).length, 12);
});

test("a syntax error in one file does not hide errors in another", () => {
  const r = compileMany({ "a.yaml": "rules: ]\n", "b.yaml": "rules:\n  - name: x\n    aproval: block\n" });
  assert.equal(r.diagnostics.map((d) => [d.span.file, d.code]), [["a.yaml", "AEG1001"], ["b.yaml", "AEG2001"]]);
});

test("several bad rules in one file are each reported", () => {
  const r = compileMany({ "p.yaml": "rules:\n  - approval: Block\n  - approval: Auto\n  - risk_level: huge\n" });
  assert.equal(r.diagnostics.map((d) => [d.code, d.rule]), [["AEG2002", "rule_0"], ["AEG2002", "rule_1"], ["AEG2003", "rule_2"]]);
});

test("unreadable and unmatched inputs are I/O errors and other files are still checked", async () => {
  const r = await compileFiles(["test/diagnostics/fixtures/missing.yaml", "test/diagnostics/fixtures/*.nothing", fixture], { cwd: root });
  assert.is(r.ioError, true);
  const io = r.diagnostics.filter((d) => d.kind === "io");
  assert.equal(io.map((d) => d.code).sort(), ["AEG1000", "AEG1004"]);
  assert.ok(r.diagnostics.some((d) => d.code === "AEG2006"));
});

test("a directory is an I/O error with a hint to use a glob", async () => {
  const r = await compileFiles(["test/diagnostics/fixtures"], { cwd: root });
  const d = r.diagnostics[0];
  assert.is(d.code, "AEG1000");
  assert.match(d.message, /is a directory/);
  assert.is(d.hint, 'name the files, e.g. "test/diagnostics/fixtures/*.yaml"');
});

test("globs expand sorted, and a file named twice is read once", async () => {
  const r = await compileFiles(["test/diagnostics/fixtures/*.yaml", "./test/diagnostics/fixtures/also-bad.yaml"], { cwd: root });
  assert.equal(r.files, ["test/diagnostics/fixtures/also-bad.yaml", fixture]);
});

test("golden: the rendered text diagnostics of the multi-error fixture", async () => {
  const r = await compileFiles([fixture], { cwd: root });
  assertGolden(golden, renderDiagnosticsText(r.diagnostics, r.sources));
});

test.run();
