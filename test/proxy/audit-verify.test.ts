// `aegisc audit verify`: exit 0 for an intact chain; exit 1 naming the first bad line for every kind of tampering; exit 2 for unreadable files.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { sealAuditLine } from "../../runtime/src/audit-chain.ts";
import { jsonlAudit } from "../../runtime/src/audit-jsonl.ts";
import { createGuard } from "../../runtime/src/runtime.ts";
import * as guard from "../runtime/quickstart-guard.ts";
import { run } from "../cli/helpers.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir();
const intact = join(dir, "dev-filesystem.jsonl");
let lines: string[] = [];

const record = (path: string) => ({ time: "2026-01-01T00:00:00.000Z", server: "dev-filesystem", tool: "read_file", args: { path }, rule: "mcp_read", risk: "low", approval: "auto", human: null, status: "success" }) as const;

test.before(async () => {
  // Whole records, as a sink without intents writes them: these tests are about the chain.
  const audit = jsonlAudit({ dir, sync: true });
  for (const path of ["/data/a", "/data/b", "/data/c", "/data/d", "/data/e"]) audit.writeSync?.(record(path));
  await audit.close();
  lines = readFileSync(intact, "utf8").split("\n").slice(0, -1);
  assert.is(lines.length, 5);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

const tampered = (name: string, content: string[] | string) => {
  const file = join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : content.join("\n") + "\n");
  return file;
};

async function verify(...files: string[]) {
  return run(["audit", "verify", ...files]);
}

test("an intact file verifies: exit 0, the record count and the head hash", async () => {
  const result = await verify(intact);
  assert.is(result.code, 0, result.stderr);
  const head = JSON.parse(lines[4]).hash as string;
  assert.is(result.stdout, `ok    ${intact}: 5 records, hash chain intact (head ${head})\n1 file verified.\n`);
});

test("an edited record is named by its line", async () => {
  const file = tampered("edited.jsonl", lines.map((l, i) => (i === 2 ? l.replace('"/data/c"', '"/data/x"') : l)));
  const result = await verify(file);
  assert.is(result.code, 1);
  assert.match(result.stdout, new RegExp(`FAIL  ${file}:3: the hash does not match the content \\(the line was edited\\); lines 1-2 verify`));
});

test("a deleted record: the line after the gap is named", async () => {
  const file = tampered("deleted.jsonl", [lines[0], lines[1], lines[3], lines[4]]);
  const result = await verify(file);
  assert.is(result.code, 1);
  assert.match(result.stdout, new RegExp(`${file}:3: prev does not match the previous line's hash \\(a line was removed, inserted or reordered\\)`));
});

test("an inserted record, copied or forged with a valid seal, breaks the link after it", async () => {
  const copied = await verify(tampered("copied.jsonl", [lines[0], lines[1], lines[1], ...lines.slice(2)]));
  assert.is(copied.code, 1);
  assert.match(copied.stdout, /copied\.jsonl:3: prev does not match/);
  const forged = sealAuditLine({ time: "2025-01-01T00:00:00.000Z", server: "dev-filesystem", tool: "delete_file", args: {}, status: "success" }, JSON.parse(lines[1]).hash as string);
  const result = await verify(tampered("forged.jsonl", [lines[0], lines[1], forged.line, ...lines.slice(2)]));
  assert.is(result.code, 1);
  assert.match(result.stdout, /forged\.jsonl:4: prev does not match.*; lines 1-3 verify/);
});

test("reordered records are caught at the first out-of-place line", async () => {
  const result = await verify(tampered("reordered.jsonl", [lines[0], lines[2], lines[1], lines[3], lines[4]]));
  assert.is(result.code, 1);
  assert.match(result.stdout, /reordered\.jsonl:2: prev does not match/);
});

test("reformatting, a torn last line and junk are caught too", async () => {
  const reformatted = await verify(tampered("reformatted.jsonl", lines.map((l, i) => (i === 0 ? JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, "") : l))));
  assert.is(reformatted.code, 1);
  assert.match(reformatted.stdout, /reformatted\.jsonl:1: the line's text was reformatted/);
  const torn = await verify(tampered("torn.jsonl", lines.join("\n") + "\n" + lines[4].slice(0, 40)));
  assert.is(torn.code, 3, "a torn last line alone is not tampering");
  assert.match(torn.stdout, /TORN  .*torn\.jsonl:6: not valid JSON: a torn line \(a write cut short by a crash\); lines 1-5 verify\n.*ends in a torn line/);
  const junk = await verify(tampered("junk.jsonl", [lines[0], "hello", ...lines.slice(1)]));
  assert.match(junk.stdout, /junk\.jsonl:2: not valid JSON \(1 more problem after it\)/);
});

test("several files: exit 1 if any was tampered with; exit 2 if one cannot be read; JSON output", async () => {
  const edited = tampered("edited-2.jsonl", lines.map((l, i) => (i === 4 ? l.replace("read_file", "rm_file") : l)));
  const both = await verify(intact, edited);
  assert.is(both.code, 1);
  assert.match(both.stdout, /^ok .*\nFAIL .*edited-2\.jsonl:5: .*\n1 file failed verification\.\n$/);
  const missing = await verify(intact, join(dir, "missing.jsonl"));
  assert.is(missing.code, 2);
  assert.match(missing.stdout, /error .*missing\.jsonl: cannot read it: no such file/);
  const json = await run(["audit", "verify", "--format", "json", edited]);
  const report = JSON.parse(json.stdout) as { files: { ok: boolean; firstProblem: { line: number }; lines: number; valid: number }[] };
  assert.is(json.code, 1);
  assert.equal([report.files[0].ok, report.files[0].firstProblem.line, report.files[0].lines, report.files[0].valid], [false, 5, 5, 4]);
});

test("an empty file verifies (no records yet)", async () => {
  const result = await verify(tampered("empty.jsonl", ""));
  assert.is(result.code, 0);
  assert.match(result.stdout, /empty\.jsonl: 0 records, hash chain intact/);
});

test("a forwarded call's two records: intent then outcome; an outcome without its intent, a repeated outcome or intent is tampering", async () => {
  const pairDir = tempDir();
  const audit = jsonlAudit({ dir: pairDir, sync: true });
  const runtime = createGuard({ ...guard, audit, executor: () => "ok" });
  for (const path of ["/data/a", "/data/b", "/data/c"]) await runtime.run({ server: "dev-filesystem", tool: "read_file", args: { path } });
  await audit.close();
  const file = audit.fileFor("dev-filesystem");
  const pairs = readFileSync(file, "utf8").split("\n").slice(0, -1);
  assert.equal(pairs.map((l) => JSON.parse(l).status), ["forwarded", "success", "forwarded", "success", "forwarded", "success"]);
  const ok = await verify(file);
  assert.is(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /6 records, hash chain intact/);

  // Rewritten with valid seals, so that only the pairing is wrong.
  const reseal = (records: object[]) => {
    let prev = "0".repeat(64);
    return records.map((r) => {
      const { line, hash } = sealAuditLine(r, prev);
      prev = hash;
      return line;
    });
  };
  const parsed = pairs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const orphan = await verify(tampered("orphan.jsonl", reseal([parsed[0], parsed[1], parsed[3]])));
  assert.is(orphan.code, 1);
  assert.match(orphan.stdout, /orphan\.jsonl:3: an outcome for call .* which no earlier record shows forwarded/);
  const twice = await verify(tampered("twice.jsonl", reseal([parsed[0], parsed[1], parsed[1]])));
  assert.match(twice.stdout, /twice\.jsonl:3: an outcome for call/);
  const again = await verify(tampered("again.jsonl", reseal([parsed[0], parsed[1], parsed[0]])));
  assert.match(again.stdout, /again\.jsonl:3: call id .* is recorded twice/);
  const moved = await verify(tampered("moved.jsonl", reseal([parsed[0], { ...parsed[1], tool: "write_file" }])));
  assert.match(moved.stdout, /moved\.jsonl:2: the outcome of call .* names another server or tool/);

  // A forwarded call without its outcome (the proxy was killed while the server worked) is no problem, but it is told.
  const open = await verify(tampered("open.jsonl", pairs.slice(0, 3)));
  assert.is(open.code, 0);
  assert.match(open.stdout, /open\.jsonl: 3 records, hash chain intact \(head [0-9a-f]{64}\); 1 forwarded call has no outcome record \(line 3\)/);
  const json = JSON.parse((await run(["audit", "verify", "--format", "json", join(dir, "open.jsonl")])).stdout) as { files: { open: { line: number; id: string }[] }[] };
  assert.equal(json.files[0].open, [{ line: 3, id: parsed[2].id }]);
  assert.match(String(parsed[2].id), /^[0-9a-f-]{36}$/);
  rmSync(pairDir, { recursive: true, force: true });
});

test("audit repair: a torn last line is moved to <file>.torn and the file verifies; a whole last record gets its newline; anything else is refused", async () => {
  const torn = tampered("repair-torn.jsonl", lines.join("\n") + "\n" + lines[4].slice(0, 40));
  assert.is((await verify(torn)).code, 3);
  const repaired = await run(["audit", "repair", torn]);
  assert.is(repaired.code, 0, repaired.stdout);
  assert.match(repaired.stdout, /repair-torn\.jsonl:6: the torn last line \(40 bytes\) was moved to .*repair-torn\.jsonl\.torn; lines 1-5 verify/);
  assert.is(readFileSync(torn, "utf8"), lines.join("\n") + "\n");
  const aside = JSON.parse(readFileSync(`${torn}.torn`, "utf8")) as { line: number; text: string };
  assert.equal([aside.line, aside.text], [6, lines[4].slice(0, 40)]);
  assert.is((await verify(torn)).code, 0);

  const unterminated = tampered("repair-newline.jsonl", lines.join("\n"));
  assert.is((await verify(unterminated)).code, 3);
  assert.is((await run(["audit", "repair", unterminated])).code, 0);
  assert.is((await verify(unterminated)).code, 0);

  const middle = tampered("repair-middle.jsonl", [lines[0], lines[1].slice(0, 30), ...sealAfter(lines[1].slice(0, 30))]);
  assert.is((await verify(middle)).code, 3, "a torn line the chain continued from is torn, not tampering");
  const refused = await run(["audit", "repair", middle]);
  assert.is(refused.code, 1);
  assert.match(refused.stdout, /repair-middle\.jsonl:2: not repaired: a torn line that later records continue from/);
  const edited = await run(["audit", "repair", tampered("repair-edited.jsonl", lines.map((l, i) => (i === 1 ? l.replace("/data/b", "/data/x") : l)))]);
  assert.is(edited.code, 1);
});

/** A record sealed after a torn line, as a restarted writer continues: its prev is the torn text's SHA-256. */
function sealAfter(tornText: string): string[] {
  const prev = createHash("sha256").update(tornText, "utf8").digest("hex");
  return [sealAuditLine(record("/data/z"), prev).line];
}

test.run();
