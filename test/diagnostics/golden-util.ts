// Compares text with a golden file; UPDATE_GOLDEN=1 rewrites it instead, and a stale golden fails.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as assert from "uvu/assert";

export function assertGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `missing golden ${path}; run with UPDATE_GOLDEN=1 to create it`);
  assert.fixture(actual, readFileSync(path, "utf8"), `stale golden ${path}; run with UPDATE_GOLDEN=1 to update it`);
}
