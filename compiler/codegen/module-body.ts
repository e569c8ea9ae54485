// The part of a guard module that depends on the strategy (straight-line or tables), around the shared header and prologue.

import type CodeBlockWriter from "code-block-writer";
import type { Local } from "./expr-emitter.ts";
import { numberLiteral, stringLiteral } from "./literals.ts";

export interface ModuleBody {
  /** For the banner, e.g. "straight-line decide". */
  readonly description: string;
  /** The locals the dispatch reads; `decideCall` declares `agent` and `args` only when they are here. */
  readonly locals: ReadonlySet<Local>;
  /** Whether the dispatch can return `DEFAULT_DECISION`, which is declared only then. */
  readonly usesDefault: boolean;
  /** `export const POLICY` (after the types). */
  writePolicy(w: CodeBlockWriter): void;
  /** The rules' frozen decisions that the dispatch returns (after DEFAULT/INVALID/ERROR). */
  writeDecisions(w: CodeBlockWriter): void;
  /** Module-scope data read by the dispatch (after the hoisted constants). */
  writeData(w: CodeBlockWriter): void;
  /** The end of `decideCall`, once `tool`, `server`, `call` and the `locals` are validated. */
  writeDispatch(w: CodeBlockWriter): void;
  /** Functions after `decideCall`. */
  writeFunctions(w: CodeBlockWriter): void;
}

export function decisionLiteral(approval: string, risk: string, rule: string, index: number, failClosed = false): string {
  return `Object.freeze({ approval: ${stringLiteral(approval)}, risk: ${stringLiteral(risk)}, rule: ${stringLiteral(rule)}, index: ${numberLiteral(index)}${failClosed ? ", failClosed: true" : ""} })`;
}
