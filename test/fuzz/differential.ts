// Differential fuzzing: random policies (every key, both modes, globs with every metacharacter, conditions, when:) and hostile calls, the generated module (both strategies) against the interpreter.
import fc from "fast-check";
import ts from "typescript";
import { stringify } from "yaml";
import { emitGuardModule } from "../../compiler/codegen/emit-module.ts";
import { decide, type Decision, type ToolCall } from "../../compiler/interpret.ts";
import { compileSources } from "../../compiler/pipeline.ts";
import { callArb, policyArb, whenPolicyArb, type RandomPolicy } from "../property/arbitraries.ts";

/** Glob pieces beyond arbitraries.ts': every fnmatch metacharacter alone, in sets, unclosed, escaped, and the letters calls use. */
const globPiece = fc.constantFrom("*", "?", "[", "]", "[]]", "[!]]", "[a-c]", "[c-a]", "[!a-b]", "[^a]", "[-a]", "[a-]", "[[]", "[*]", "[?]", "\\", "\\*", "a", "b", "_", "-", "é", "😀", "\n", "read", "file", ".", "/");
const hostileGlob = fc.oneof(fc.constant("*"), fc.array(globPiece, { maxLength: 5 }).map((p) => p.join("")), fc.string({ maxLength: 6 }));

/** Strings a hostile client would send as names: controls, lone surrogates, metacharacters, long runs, prototype names. */
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom("a", "b", "_", "-", "read", "file", "é", "😀", "[", "]", "*", "?", "!", "^", "\\", "\n", "\u0000", "\u001b", "\ud800", "\udc00", " ", "."), { maxLength: 6 }).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "", "read_file", "a".repeat(300)) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
);

/** Values JSON.parse can give (and a few it gives for 1e400 or 9007199254740993), nested a little. */
const hostileScalar = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, 1.0, 100, -0, 1e21, 9007199254740992, Infinity, -Infinity, 2.5e-324),
  fc.constantFrom("a", "b", "ab", "/data/x", "True", "", "1", "0.5", "null", "\u0000", "\ud800", "😀"),
  fc.boolean(),
  fc.constant(null),
);
const { value: hostileValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, hostileScalar, fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("a", "b", "p", "__proto__", "constructor", "0", "odd key"), tie("value"), { maxKeys: 3 })),
}));
const argKey = fc.constantFrom("p", "q", "path", "size", "list", "a", "odd key", "__proto__", "constructor", "toString", "");

/** JSON round-trips as a client's arguments do: `__proto__` becomes an own key, as JSON.parse makes it. */
const hostileArgs = fc.dictionary(argKey, hostileValue, { maxKeys: 4 }).map((args) => JSON.parse(JSON.stringify(args, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? 1e308 : v))) as Record<string, unknown>);

export const hostileCallArb: fc.Arbitrary<ToolCall> = fc.oneof(
  { weight: 1, arbitrary: callArb },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        tool: hostileString,
        server: fc.oneof(hostileString, fc.constantFrom("dev-fs", "prod-fs")),
        agent: hostileString,
        args: fc.oneof(hostileArgs, fc.dictionary(fc.constantFrom("p", "q", "path", "size", "list", "a"), hostileValue, { maxKeys: 3 })),
        time: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => new Date(ms - (ms % 60000))),
      },
      { requiredKeys: ["tool", "server", "time"] },
    ),
  },
);

/** Policies with hostile globs and descriptions besides arbitraries.ts' own. */
const hostileGlobPolicyArb: fc.Arbitrary<RandomPolicy> = fc
  .record({
    combine: fc.constantFrom(undefined, "strictest", "first-match"),
    defaults: fc.option(fc.record({ risk_level: fc.constantFrom("low", "medium", "high", "critical"), approval: fc.constantFrom("auto", "approve", "block") }), { nil: undefined }),
    rules: fc.array(
      fc.record(
        {
          match: fc.record({ type: hostileGlob, target: hostileGlob, agent: hostileGlob }, { requiredKeys: [] }),
          risk_level: fc.constantFrom("low", "medium", "high", "critical"),
          approval: fc.constantFrom("auto", "approve", "block"),
          description: fc.string({ maxLength: 10 }),
        },
        { requiredKeys: ["match"] },
      ),
      { maxLength: 8 },
    ),
  })
  .map((p) => {
    const doc: Record<string, unknown> = { version: "1", rules: p.rules.map((r, i) => ({ name: `r${i}`, ...r })) };
    if (p.combine) doc.combine = p.combine;
    if (p.defaults) doc.defaults = p.defaults;
    return { text: stringify(doc, { version: "1.1" }), ruleCount: p.rules.length };
  });

export const fuzzPolicyArb: fc.Arbitrary<RandomPolicy> = fc.oneof(policyArb, whenPolicyArb, hostileGlobPolicyArb);

interface GuardLike {
  decide(call: ToolCall): Decision;
}

/** The module as CommonJS in a function scope, not an ES import: a million cases make thousands of modules, which must be collectable. */
function load(source: string): GuardLike {
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
  const exports: Record<string, unknown> = {};
  new Function("exports", "module", js)(exports, { exports });
  return exports as unknown as GuardLike;
}

export interface FuzzOptions {
  /** Calls compared (each against both generated forms). */
  cases: number;
  seed: number;
  callsPerPolicy?: number;
  onProgress?: (done: number, policies: number) => void;
}

export interface FuzzResult {
  cases: number;
  policies: number;
  /** Policies the compiler rejected (random names collide, types clash): not compared, by design. */
  rejected: number;
  /** Calls some rule decided (not the defaults). */
  decidedByRule: number;
  seed: number;
  failure?: string;
}

/** Runs until `cases` calls are compared; stops at the first mismatch, with the seed, the policy and the call to replay it. */
export function runDifferentialFuzz(options: FuzzOptions): FuzzResult {
  // Compiling and emitting a policy costs far more than deciding a call: many calls per policy keep a million cases to minutes.
  const callsPerPolicy = options.callsPerPolicy ?? 1000;
  // Room for the policies the compiler rejects; runs past `cases` return at once.
  const policies = Math.ceil(options.cases / callsPerPolicy) * 2 + 10;
  let compared = 0;
  let compiled = 0;
  let rejected = 0;
  let decidedByRule = 0;
  const result = fc.check(
    fc.property(fuzzPolicyArb, fc.array(hostileCallArb, { minLength: callsPerPolicy, maxLength: callsPerPolicy }), (random, calls) => {
      if (compared >= options.cases) return;
      const compiledPolicy = compileSources([{ path: "fuzz.yaml", text: random.text }]).policy;
      if (!compiledPolicy) {
        rejected++;
        return;
      }
      compiled++;
      const guards = (["straight", "tables"] as const).map((strategy) => [strategy, load(emitGuardModule(compiledPolicy, { strategy }))] as const);
      for (const call of calls) {
        const expected = JSON.stringify(decide(compiledPolicy, call));
        for (const [strategy, guard] of guards) {
          let actual: string;
          try {
            actual = JSON.stringify(guard.decide(call));
          } catch (error) {
            actual = `threw ${String(error)}`;
          }
          if (actual !== expected) throw new Error(`${strategy} module: ${actual}, interpreter: ${expected}\ncall: ${JSON.stringify(call)}\npolicy:\n${random.text}`);
        }
        if (!expected.includes('"index":-1')) decidedByRule++;
        compared++;
      }
      options.onProgress?.(compared, compiled);
    }),
    { numRuns: policies, seed: options.seed, endOnFailure: true },
  );
  const out: FuzzResult = { cases: compared, policies: compiled, rejected, decidedByRule, seed: options.seed };
  if (result.failed) out.failure = `seed ${options.seed}, path ${result.counterexamplePath}: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`;
  return out;
}
