// The `when:` lexer: text → tokens with offsets, or errors with the offset of the offending character.

import type { IToken } from "chevrotain";
import { Lexer } from "./chevrotain.ts";
import { ALL_TOKENS } from "./tokens.ts";

/** Built on first use, without Chevrotain's token validations (test/grammar runs them: `newLexer({ validate: true })`). */
export function newLexer(options: { validate?: boolean } = {}): InstanceType<typeof Lexer> {
  return new Lexer(ALL_TOKENS, { positionTracking: "onlyOffset", ensureOptimizations: false, skipValidations: options.validate !== true });
}

let shared: InstanceType<typeof Lexer> | undefined;

export interface LexError {
  readonly offset: number;
  readonly length: number;
  readonly message: string;
}

export function lex(text: string): { tokens: IToken[]; errors: LexError[] } {
  const result = (shared ??= newLexer()).tokenize(text);
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
