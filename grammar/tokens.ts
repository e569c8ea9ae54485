// Tokens of the `when:` expression language; each has a label so that parser messages read "expected `)`".

import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.ts";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });

/** Anything that can name a path segment after `.`: identifiers and every keyword. */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name", categories: [Name] });

const keyword = (word: string, name = word.charAt(0).toUpperCase() + word.slice(1)) =>
  createToken({ name, pattern: new RegExp(word), label: `\`${word}\``, longer_alt: Identifier, categories: [Name] });

export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const In = keyword("in");
export const True = keyword("true");
export const False = keyword("false");
export const Null = keyword("null");
export const Between = keyword("between");
export const StartsWith = keyword("startsWith");
export const EndsWith = keyword("endsWith");
export const Contains = keyword("contains");
export const Matches = keyword("matches");
export const Glob = keyword("glob");

export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/, label: "a string" });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/, label: "a number" });
export const RegexLiteral = createToken({ name: "RegexLiteral", pattern: /\/(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n[])+\/[a-z]*/, label: "a regex /…/" });

export const Equal = createToken({ name: "Equal", pattern: /==/, label: "`==`" });
export const NotEqual = createToken({ name: "NotEqual", pattern: /!=/, label: "`!=`" });
export const LessEqual = createToken({ name: "LessEqual", pattern: /<=/, label: "`<=`" });
export const GreaterEqual = createToken({ name: "GreaterEqual", pattern: />=/, label: "`>=`" });
export const Less = createToken({ name: "Less", pattern: /</, label: "`<`" });
export const Greater = createToken({ name: "Greater", pattern: />/, label: "`>`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`" });

export const KEYWORDS = [And, Or, Not, In, True, False, Null, Between, StartsWith, EndsWith, Contains, Matches, Glob];

/** Order matters: longer operators before their prefixes, keywords before Identifier. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Name,
  StringLiteral,
  RegexLiteral,
  NumberLiteral,
  Equal,
  NotEqual,
  LessEqual,
  GreaterEqual,
  Less,
  Greater,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Dot,
  ...KEYWORDS,
  Identifier,
];
