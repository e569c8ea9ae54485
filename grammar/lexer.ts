// The `when:` lexer: text → tokens with offsets, or errors with the offset of the offending character.

import { Lexer, type IToken } from "chevrotain";
import { ALL_TOKENS } from "./tokens.ts";

const lexer = new Lexer(ALL_TOKENS, { positionTracking: "onlyOffset", ensureOptimizations: false });

export interface LexError {
  readonly offset: number;
  readonly length: number;
  readonly message: string;
}

export function lex(text: string): { tokens: IToken[]; errors: LexError[] } {
  const result = lexer.tokenize(text);
  const errors = result.errors.map((e) => {
    const ch = text.charAt(e.offset);
    const message =
      ch === '"' || ch === "'"
        ? "This string is not closed."
        : ch === "/"
          ? "This regex is not closed."
          : `Unexpected character ${JSON.stringify(ch)}.`;
    return { offset: e.offset, length: Math.max(1, ch === '"' || ch === "'" || ch === "/" ? text.length - e.offset : e.length), message };
  });
  return { tokens: result.tokens, errors };
}
