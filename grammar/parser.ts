// The `when:` parser: a Chevrotain CST parser with no semantic actions; precedence is `or` < `and` < `not` < predicates.

import type { CstNode, IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { CstParser, EOF } from "./chevrotain.ts";
import * as T from "./tokens.ts";

const label = (t: TokenType) => (t === EOF ? "the end of the expression" : (t.LABEL ?? t.name));

/** Messages in the project's style: one short sentence naming what was expected and what was found. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `Expected ${label(expected)} but found ${describe(actual)}.`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `Expected the end of the expression but found ${describe(firstRedundant)}.`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual, ruleName }) => {
    const options = [...new Set(expectedPathsPerAlt.flat().map((path) => label(path[0])))];
    return `Expected ${what(ruleName, options)} but found ${describe(actual[0])}.`;
  },
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) => {
    const options = [...new Set(expectedIterationPaths.map((path) => label(path[0])))];
    return `Expected ${options.join(" or ")} but found ${describe(actual[0])}.`;
  },
};

function what(rule: string, options: string[]): string {
  if (rule === "operatorTail") return "an operator (`==`, `in`, `startsWith`, `matches`, …)";
  if (rule === "literal" || rule === "value") return "a value (a string, number, list, `true`, `false` or `null`)";
  if (rule === "primary") return "a condition";
  return options.length > 4 ? `one of ${options.slice(0, 4).join(", ")}, …` : options.join(" or ");
}

function describe(token: IToken | undefined): string {
  if (!token || token.tokenType === EOF) return "the end of the expression";
  const text = token.image.length > 20 ? `${token.image.slice(0, 20)}…` : token.image;
  return `\`${text}\``;
}

export class WhenParser extends CstParser {
  /**
   * Chevrotain's grammar validations cost more than the rest of building the parser and can only
   * fail on a change to this file, so they are skipped except where test/grammar asks for them.
   */
  constructor(options: { validate?: boolean } = {}) {
    super(T.ALL_TOKENS, { errorMessageProvider: messages, recoveryEnabled: false, maxLookahead: 3, skipValidations: options.validate !== true });
    this.performSelfAnalysis();
  }

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.orExpr);
  });

  orExpr = this.RULE("orExpr", () => {
    this.SUBRULE(this.andExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr, { LABEL: "operands" });
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr, { LABEL: "operands" });
    });
  });

  notExpr = this.RULE("notExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.orExpr);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.predicate) },
    ]);
  });

  /** An operand, then (except for `exists(…)`) an operator and its right-hand side. */
  predicate = this.RULE("predicate", () => {
    this.SUBRULE(this.operand);
    this.OPTION(() => this.SUBRULE(this.operatorTail));
  });

  operand = this.RULE("operand", () => {
    this.OR([
      { GATE: () => this.LA(2).tokenType === T.LParen, ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.SUBRULE(this.path) },
    ]);
  });

  call = this.RULE("call", () => {
    this.CONSUME(T.Identifier, { LABEL: "function" });
    this.CONSUME(T.LParen);
    this.OPTION(() => this.SUBRULE(this.value, { LABEL: "argument" }));
    this.CONSUME(T.RParen);
  });

  path = this.RULE("path", () => {
    this.CONSUME(T.Identifier, { LABEL: "root" });
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME(T.Name, { LABEL: "segments" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            this.OR2([{ ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "segments" }) }, { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "segments" }) }]);
            this.CONSUME(T.RBracket);
          },
        },
      ]);
    });
  });

  operatorTail = this.RULE("operatorTail", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Equal, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.NotEqual, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.LessEqual, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.GreaterEqual, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Less, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Greater, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.StartsWith, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.EndsWith, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Contains, { LABEL: "op" }) },
            { ALT: () => this.CONSUME(T.Glob, { LABEL: "op" }) },
          ]);
          this.SUBRULE(this.value, { LABEL: "right" });
        },
      },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Not, { LABEL: "negated" }));
          this.CONSUME(T.In, { LABEL: "op" });
          this.SUBRULE2(this.value, { LABEL: "right" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Matches, { LABEL: "op" });
          this.CONSUME(T.RegexLiteral, { LABEL: "regex" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Between, { LABEL: "op" });
          this.SUBRULE3(this.value, { LABEL: "from" });
          this.CONSUME(T.And);
          this.SUBRULE4(this.value, { LABEL: "to" });
        },
      },
    ]);
  });

  /** Literals, lists, and bare names (weekday names, or a path used by mistake: the checker says which). */
  value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.True, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.False, { LABEL: "literal" }) },
      { ALT: () => this.CONSUME(T.Null, { LABEL: "literal" }) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.path) },
    ]);
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.value, { LABEL: "items" }) });
    this.CONSUME(T.RBracket);
  });
}

let shared: WhenParser | undefined;

/** One parser instance, reused: Chevrotain's self-analysis is the costly part. */
export function whenParser(): WhenParser {
  return (shared ??= new WhenParser());
}

export type { CstNode };
