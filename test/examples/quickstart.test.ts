// The README's main job: `npm run quickstart` prints the seed's three rows.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("the quickstart prints the seed table", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "examples/quickstart/main.ts"], { cwd: root, encoding: "utf8" });
  assert.is(run.status, 0, run.stderr);
  const out = run.stdout;
  assert.match(out, /read_file: ALLOWED/);
  assert.match(out, /delete_file: BLOCKED/);
  assert.match(out, /prod write_file: BLOCKED/);
  assert.match(out, /\| read_file\s+\| dev-filesystem\s+\| AUTO-APPROVED \| mcp_read\s+\| low\s+\|/);
  assert.match(out, /\| delete_file \| dev-filesystem\s+\| BLOCKED\s+\| mcp_delete\s+\| critical \|/);
  assert.match(out, /\| write_file\s+\| prod-filesystem \| BLOCKED\s+\| prod_fs_block \| critical \|/);
  // Only read_file executes: delete_file is blocked before the executor runs.
  assert.equal(out.match(/MCP: /g)?.length, 1);
});

test.run();
