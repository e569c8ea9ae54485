// Cube subtraction on every kind of dimension: a \ b is exactly the points of a outside b, in disjoint pieces, checked point by point on random cubes that share set objects.

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as Num from "../../compiler/analysis/number-set.ts";
import { inside, intersect, subtract, UNIVERSE, type Cube } from "../../compiler/analysis/region.ts";
import * as Str from "../../compiler/analysis/string-set.ts";
import * as Val from "../../compiler/analysis/value-set.ts";
import { propertyRun } from "../support/property-seed.ts";

// Shared objects, as a policy's rules share them: subtraction skips a dimension whose set it already lies in.
const TOOL_SETS = [Str.fromGlob("read_*"), Str.fromGlob("*_file"), Str.exactly("read_file"), Str.exactly("read_file", "x"), Str.and(Str.fromGlob("read_*"), Str.not(Str.exactly("read_dir")))];
const MINUTE_SETS = [Num.interval(0, false, 600, true), Num.interval(300, false, 1440, true), Num.interval(600, false, 900, true)];
const SIZE_SETS = [Val.orderedAgainst(">", 100), Val.orderedAgainst("<=", 100), Val.orderedAgainst(">", 1000)];

const TOOLS = ["read_file", "read_dir", "write_file", "x", "read_me"];
const MINUTES = [0, 299, 300, 599, 600, 899, 900, 1439];
const SIZES: (number | undefined)[] = [undefined, 5, 100, 101, 5000];

interface Point {
  readonly tool: string;
  readonly minute: number;
  readonly weekday: number;
  readonly size: number | undefined;
  readonly flag: boolean;
}

function contains(c: Cube, p: Point): boolean {
  if (c.tool && !Str.has(c.tool, p.tool)) return false;
  if (c.minute && !Num.has(c.minute, p.minute)) return false;
  if (c.weekday !== undefined && (c.weekday & (1 << (p.weekday - 1))) === 0) return false;
  const size = c.params.get("size");
  if (size) {
    const v = p.size;
    const ok = v === undefined ? size.missing : Num.has(size.numbers, v);
    if (!ok) return false;
  }
  const flag = c.atoms.get("flag");
  return flag === undefined || flag === p.flag;
}

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const cubeArb = fc
  .record({
    tool: optional(fc.constantFrom(...TOOL_SETS)),
    minute: optional(fc.constantFrom(...MINUTE_SETS)),
    weekday: optional(fc.integer({ min: 1, max: 0b1111111 })),
    size: optional(fc.constantFrom(...SIZE_SETS)),
    flag: optional(fc.boolean()),
  })
  .map(
    (r): Cube => ({
      ...UNIVERSE,
      tool: r.tool,
      minute: r.minute,
      weekday: r.weekday,
      params: r.size ? new Map([["size", r.size]]) : new Map(),
      atoms: r.flag === undefined ? new Map() : new Map([["flag", r.flag]]),
    }),
  );

const POINTS: Point[] = TOOLS.flatMap((tool) => MINUTES.flatMap((minute) => [1, 3, 6, 7].flatMap((weekday) => SIZES.flatMap((size) => [true, false].map((flag) => ({ tool, minute, weekday, size, flag }))))));

test("a \\ b holds exactly the points of a outside b, each in one piece", () => {
  fc.assert(
    fc.property(cubeArb, cubeArb, fc.boolean(), (a, b, selfFirst) => {
      // Subtracting a cube from one that lies inside it on some dimensions is what the skipping is for.
      const inner = selfFirst ? (intersect(a, b) ?? a) : a;
      const pieces = subtract(inner, b);
      for (const p of POINTS) {
        const holders = pieces.filter((c) => contains(c, p)).length;
        const expected = contains(inner, p) && !contains(b, p);
        assert.is(holders, expected ? 1 : 0, JSON.stringify(p));
      }
    }),
    propertyRun(500, 13),
  );
});

test("a cube said to lie inside another does, and a piece of a cube lies inside it", () => {
  let said = 0;
  fc.assert(
    fc.property(cubeArb, cubeArb, (a, b) => {
      const inner = intersect(a, b);
      if (inner && inside(inner, b)) said++;
      if (!inside(a, b)) return;
      for (const p of POINTS) if (contains(a, p)) assert.ok(contains(b, p), JSON.stringify(p));
    }),
    propertyRun(500, 19),
  );
  // Intersections share b's sets on b's dimensions, which is what the test recognises.
  assert.ok(said > 100, `${said} of 500 intersections recognised`);
});

test("a name set inside a glob with a class is found by automata once the other dimensions hold; one that cannot meet the glob is not searched", () => {
  const calls = (tool: Str.StringSet, server = Str.exactly("prod")): Cube => ({ ...UNIVERSE, tool, server });
  const runBucket = Str.and(Str.fromGlob("figma12_run_*"), Str.fromGlob("*_bucket8"));
  assert.ok(inside(calls(runBucket), calls(Str.fromGlob("figma12_[rw]*"), Str.fromGlob("*"))));
  assert.ok(inside(calls(runBucket), calls(Str.fromGlob("figma1?_r*"), Str.fromGlob("p*"))));
  assert.not.ok(inside(calls(runBucket), calls(Str.fromGlob("figma12_[w]*"), Str.fromGlob("*"))));
  // The names fit, the server does not.
  assert.not.ok(inside(calls(runBucket), calls(Str.fromGlob("figma12_[rw]*"), Str.fromGlob("dev-*"))));
  // `*_bucket8` calls cannot end in `_file`, whatever the automata say.
  assert.not.ok(inside(calls(runBucket), calls(Str.fromGlob("*_fil[e]"))));
});

test.run();
