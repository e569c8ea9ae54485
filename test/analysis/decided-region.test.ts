// passDown, remainder and PieceSet: a region passed down rules ends as exactly the calls none of them takes, each taker with a cube it took, checked on random calls.

import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { firstLeft, passDown, remainder } from "../../compiler/analysis/decided-region.ts";
import { UNIVERSE, type Cube } from "../../compiler/analysis/region.ts";
import * as Str from "../../compiler/analysis/string-set.ts";
import * as Val from "../../compiler/analysis/value-set.ts";
import { propertyRun } from "../support/property-seed.ts";

const TOOLS = ["read_file", "read_dir", "write_file", "move_file", "x"];
const SERVERS = ["prod-fs", "dev-fs", "prod-db", "local"];
const TOOL_PATTERNS = ["*", "read_*", "*_file", "write_file", "read_file", "x", "*e*"];
const SERVER_PATTERNS = ["*", "prod-*", "*-fs", "local"];

const cube = (tool: string, server: string): Cube => ({
  ...UNIVERSE,
  ...(tool === "*" ? {} : { tool: Str.fromGlob(tool) }),
  ...(server === "*" ? {} : { server: Str.fromGlob(server) }),
});
const contains = (c: Cube, tool: string, server: string) => (!c.tool || Str.has(c.tool, tool)) && (!c.server || Str.has(c.server, server));
const noLimit = () => {};

/** A region of one tool-and-server cube, and up to 8 such rules as steps. */
const patternArb = fc.record({ tool: fc.constantFrom(...TOOL_PATTERNS), server: fc.constantFrom(...SERVER_PATTERNS) });
const passArb = fc
  .tuple(patternArb, fc.array(patternArb, { maxLength: 8 }))
  .map(([own, rules]) => ({ region: [cube(own.tool, own.server)], steps: rules.map((r, index) => ({ index, region: [cube(r.tool, r.server)] })) }));

test("what is left is what no step matches; each step takes what is left of its calls", () => {
  fc.assert(
    fc.property(passArb, ({ region, steps }) => {
      const { left, taken } = passDown(region, steps, noLimit);
      for (const tool of TOOLS) {
        for (const server of SERVERS) {
          if (!contains(region[0], tool, server)) {
            assert.not.ok(left.cubes().some((c) => contains(c, tool, server)), `${tool}@${server} is outside the region`);
            continue;
          }
          const taker = steps.find((s) => contains(s.region[0], tool, server));
          assert.is(left.cubes().some((c) => contains(c, tool, server)), taker === undefined, `${tool}@${server} left over`);
          if (taker) assert.ok(taken.has(taker.index), `step ${taker.index} takes ${tool}@${server}`);
        }
      }
      // A taker's cube lies in both the region and the step, and the takers come in step order.
      for (const [index, c] of taken) {
        const name = Str.witness(c.tool ?? Str.ALL_STRINGS)!;
        const server = Str.witness(c.server ?? Str.ALL_STRINGS)!;
        assert.ok(contains(region[0], name, server) && contains(steps[index].region[0], name, server));
      }
      const order = [...taken.keys()];
      assert.equal(order, [...order].sort((a, b) => a - b));
    }),
    propertyRun(300, 7),
  );
});

test("remainder, which takes pattern rules before named ones, leaves exactly the calls no step matches", () => {
  fc.assert(
    fc.property(passArb, ({ region, steps }) => {
      const left = remainder(region, steps, noLimit).cubes();
      for (const tool of TOOLS) {
        for (const server of SERVERS) {
          const kept = contains(region[0], tool, server) && !steps.some((s) => contains(s.region[0], tool, server));
          assert.is(left.some((c) => contains(c, tool, server)), kept, `${tool}@${server}`);
        }
      }
    }),
    propertyRun(300, 11),
  );
});

test("firstLeft, the depth-first search, finds a cube exactly when some calls are left, and its calls are left", () => {
  fc.assert(
    fc.property(passArb, ({ region, steps }) => {
      const found = firstLeft(region, steps, noLimit);
      const left = remainder(region, steps, noLimit);
      assert.is(found !== undefined, left.size > 0);
      if (!found) return;
      const tool = Str.witness(found.tool ?? Str.ALL_STRINGS)!;
      const server = Str.witness(found.server ?? Str.ALL_STRINGS)!;
      assert.ok(contains(region[0], tool, server), `${tool}@${server} is in the region`);
      assert.not.ok(steps.some((s) => contains(s.region[0], tool, server)), `${tool}@${server} is matched by no step`);
    }),
    propertyRun(300, 17),
  );
});

test("a rule with an exact name touches only that name's pieces: an open piece keeps one complement", () => {
  const steps = ["a", "b", "c", "d"].map((name, index) => ({ index, region: [cube(name, "*")] }));
  const { left } = passDown([UNIVERSE], steps, noLimit);
  assert.is(left.size, 1);
  const rest = left.first()!;
  assert.is(rest.tool!.parts.length, 1);
  for (const name of ["a", "b", "c", "d"]) assert.not.ok(Str.has(rest.tool!, name));
  assert.ok(Str.has(rest.tool!, "e"));
});

test("a step that holds the calls' names goes before steps that cut them, so that it closes one piece, not every piece they cut", () => {
  // `t_*` calls of any size: sizes under 10 (or none) go to one rule on any tool, the rest to a rule on `t_*` with
  // a size condition. Ten rules on a contains-glob and an agent come before that rule in the file,
  // and cut the calls' names and agents: ordered by the dimensions they constrain, they went first
  // (two each, like the `t_*` rule), and the `t_*` rule then closed each of the pieces they left.
  const large = Val.orderedAgainst(">=", 10);
  const sized = (tool: string | undefined, size: Val.ValueSet): Cube => ({ ...UNIVERSE, ...(tool ? { tool: Str.fromGlob(tool) } : {}), params: new Map([["size", size]]) });
  const splitters = Array.from({ length: 10 }, (_, k): Cube => ({ ...UNIVERSE, tool: Str.fromGlob(`*x${k}*`), agent: Str.exactly(`a${k}`) }));
  const rules = [sized(undefined, Val.not(large)), ...splitters, sized("t_*", large)];
  const steps = rules.map((c, index) => ({ index, region: [c] }));
  const calls = [cube("t_*", "*")];
  let comparisons = 0;
  assert.is(firstLeft(calls, steps, () => comparisons++), undefined);
  assert.ok(comparisons < 50, `${comparisons} comparisons`);
  comparisons = 0;
  assert.is(remainder(calls, steps, () => comparisons++).size, 0);
  assert.ok(comparisons < 50, `${comparisons} comparisons`);
});

test.run();
