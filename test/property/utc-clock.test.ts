// Property: the allocation-free UTC clock helpers (minute of day, ISO weekday) agree with JavaScript's Date on every time value.

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { utcIsoWeekday, utcMinuteOfDay } from "../../compiler/semantics/support.ts";
import { propertyRun } from "../support/property-seed.ts";

/** What the helpers computed through `new Date(ms)` before they became arithmetic. */
function viaDate(ms: number): { minute: number; weekday: number } {
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) return { minute: Number.NaN, weekday: 0 };
  const day = d.getUTCDay();
  return { minute: d.getUTCHours() * 60 + d.getUTCMinutes(), weekday: day === 0 ? 7 : day };
}

const edges = [0, -0, -1, 1, 0.5, -0.5, 59_999, 60_000, -60_000, -60_001, 86_399_999, 86_400_000, -86_400_000, -86_400_001, 8.64e15, -8.64e15, 8.64e15 + 1, -8.64e15 - 1, 8.64e15 - 0.5, 1e300, -1e300, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Date.UTC(2026, 0, 5, 23, 59, 59, 999)];

test("edge values agree with Date", () => {
  for (const ms of edges) {
    const expected = viaDate(ms);
    assert.equal({ minute: utcMinuteOfDay(ms), weekday: utcIsoWeekday(ms) }, expected, String(ms));
  }
});

test("random times across the whole Date range agree with Date", () => {
  const times = fc.oneof(
    fc.integer({ min: -8.64e15, max: 8.64e15 }),
    fc.double({ min: -8.7e15, max: 8.7e15, noNaN: true }),
    fc.integer({ min: Date.UTC(1960, 0, 1), max: Date.UTC(2100, 0, 1) }),
  );
  fc.assert(
    fc.property(times, (ms) => {
      assert.equal({ minute: utcMinuteOfDay(ms), weekday: utcIsoWeekday(ms) }, viaDate(ms), String(ms));
    }),
    propertyRun(20_000, 86_400),
  );
});

test.run();
