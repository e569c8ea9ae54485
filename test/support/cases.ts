// Test helper: reads decision cases (YAML data files) into suites of policy + calls + expected decisions.

import { readFileSync, readdirSync } from "node:fs";
import { parse } from "yaml";
import type { ToolCall } from "../../compiler/interpret.ts";
import type { Combine } from "../../compiler/ir/types.ts";

export interface DecisionCase {
  readonly call: ToolCall;
  readonly expect: { approval?: string; risk?: string; rule?: string; index?: number; failClosed?: true };
  readonly note?: string;
}

export interface CaseSuite {
  readonly file: string;
  readonly name: string;
  readonly policy: string;
  readonly combine?: Combine;
  readonly cases: readonly DecisionCase[];
}

const CASES_DIR = new URL("../cases/", import.meta.url);

/** Every suite of every `test/cases/*.yaml`; `time` strings in calls become Dates. */
export function loadCaseSuites(): CaseSuite[] {
  const out: CaseSuite[] = [];
  for (const file of readdirSync(CASES_DIR).filter((f) => f.endsWith(".yaml")).sort()) {
    const doc = parse(readFileSync(new URL(file, CASES_DIR), "utf8")) as { suites: Record<string, unknown>[] };
    for (const suite of doc.suites) {
      const policy = typeof suite.policyFile === "string" ? readFileSync(new URL(suite.policyFile, CASES_DIR), "utf8") : String(suite.policy);
      const modes = Array.isArray(suite.combine) ? (suite.combine as Combine[]) : [suite.combine as Combine | undefined];
      for (const combine of modes) {
        out.push({
          file,
          name: `${suite.name}${combine ? ` [${combine}]` : ""}`,
          policy,
          ...(combine ? { combine } : {}),
          cases: (suite.cases as Record<string, unknown>[]).map((c) => ({
            call: toCall(c.call as Record<string, unknown>),
            expect: c.expect as DecisionCase["expect"],
            ...(typeof c.note === "string" ? { note: c.note } : {}),
          })),
        });
      }
    }
  }
  return out;
}

function toCall(raw: Record<string, unknown>): ToolCall {
  const call = { ...raw } as Record<string, unknown>;
  if (typeof call.time === "string") call.time = new Date(call.time);
  return call as unknown as ToolCall;
}
