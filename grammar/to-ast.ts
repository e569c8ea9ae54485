// CST → AST: a Chevrotain visitor that checks it covers every rule (validateVisitor) and decodes literals.

import type { CstNode, IToken } from "chevrotain";
import type { CallAst, ExprAst, Located, OperandAst, PathAst, SyntaxProblem, ValueAst } from "./ast.ts";
import { lex } from "./lexer.ts";
import { whenParser } from "./parser.ts";
import * as T from "./tokens.ts";

type Children = Record<string, (CstNode | IToken)[] | undefined>;
const tokens = (c: Children, key: string) => (c[key] ?? []) as IToken[];
const nodes = (c: Children, key: string) => (c[key] ?? []) as CstNode[];
const tokenEnd = (t: IToken) => t.startOffset + t.image.length;

/** Nesting beyond this is refused before parsing, so hostile input cannot exhaust the stack. */
export const MAX_NESTING = 64;
/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 20_000;

/**
 * The visitor class extends the parser's generated base, so it is made with the parser, on the first
 * expression: a policy without `when:` never builds either.
 */
function newToAst() {
  const BaseVisitor = whenParser().getBaseCstVisitorConstructor();

  class ToAst extends BaseVisitor {
    readonly problems: SyntaxProblem[] = [];
    constructor() {
      super();
      this.validateVisitor();
    }

    private span(first: Located, last: Located): Located {
      return { start: first.start, end: last.end };
    }

    expression(c: Children): ExprAst {
      return this.visit(nodes(c, "orExpr")[0]);
    }

    orExpr(c: Children): ExprAst {
      return this.chain("or", nodes(c, "operands"));
    }

    andExpr(c: Children): ExprAst {
      return this.chain("and", nodes(c, "operands"));
    }

    private chain(kind: "or" | "and", operands: CstNode[]): ExprAst {
      const items = operands.map((n) => this.visit(n) as ExprAst);
      if (items.length === 1) return items[0];
      return { kind, operands: items, ...this.span(items[0], items[items.length - 1]) };
    }

    notExpr(c: Children): ExprAst {
      const not = tokens(c, "Not")[0];
      if (not) {
        const operand = this.visit(nodes(c, "notExpr")[0]) as ExprAst;
        return { kind: "not", operand, start: not.startOffset, end: operand.end };
      }
      return this.visit(nodes(c, "primary")[0]);
    }

    primary(c: Children): ExprAst {
      const open = tokens(c, "LParen")[0];
      if (open) {
        const inner = this.visit(nodes(c, "orExpr")[0]) as ExprAst;
        return { kind: "group", inner, start: open.startOffset, end: tokenEnd(tokens(c, "RParen")[0]) };
      }
      return this.visit(nodes(c, "predicate")[0]);
    }

    predicate(c: Children): ExprAst {
      const left = this.visit(nodes(c, "operand")[0]) as OperandAst;
      const tail = nodes(c, "operatorTail")[0];
      if (!tail) return { kind: "predicate", left, start: left.start, end: left.end };
      const t = this.visit(tail) as Omit<Extract<ExprAst, { kind: "predicate" }>, "kind" | "left" | "start">;
      return { kind: "predicate", left, ...t, start: left.start };
    }

    operand(c: Children): OperandAst {
      const call = nodes(c, "call")[0];
      return this.visit(call ?? nodes(c, "path")[0]);
    }

    call(c: Children): CallAst {
      const name = tokens(c, "function")[0];
      const argument = nodes(c, "argument")[0];
      return {
        kind: "call",
        name: name.image,
        nameEnd: tokenEnd(name),
        ...(argument ? { argument: this.visit(argument) as ValueAst } : {}),
        start: name.startOffset,
        end: tokenEnd(tokens(c, "RParen")[0]),
      };
    }

    path(c: Children): PathAst {
      const root = tokens(c, "root")[0];
      const segments = tokens(c, "segments")
        .sort((a, b) => a.startOffset - b.startOffset)
        .map((t) => {
          let key: string | number = t.image;
          if (t.tokenType === T.StringLiteral) key = this.decodeString(t);
          else if (t.tokenType === T.NumberLiteral) {
            const n = Number(t.image);
            if (!Number.isInteger(n) || n < 0) this.problems.push({ message: "A list index must be a whole number of 0 or more.", start: t.startOffset, end: tokenEnd(t) });
            key = n;
          }
          return { key, start: t.startOffset, end: tokenEnd(t) };
        });
      const closers = tokens(c, "RBracket");
      const lastEnd = Math.max(tokenEnd(root), ...segments.map((s) => s.end), ...closers.map(tokenEnd));
      return { kind: "path", root: root.image, rootEnd: tokenEnd(root), segments, start: root.startOffset, end: lastEnd };
    }

    operatorTail(c: Children): object {
      const op = tokens(c, "op")[0];
      const opAst = { text: op.image, start: op.startOffset, end: tokenEnd(op) };
      const regex = tokens(c, "regex")[0];
      if (regex) {
        const slash = regex.image.lastIndexOf("/");
        return { op: opAst, regex: { source: regex.image.slice(1, slash), flags: regex.image.slice(slash + 1), start: regex.startOffset, end: tokenEnd(regex) }, end: tokenEnd(regex) };
      }
      const from = nodes(c, "from")[0];
      if (from) {
        const to = this.visit(nodes(c, "to")[0]) as ValueAst;
        return { op: opAst, from: this.visit(from) as ValueAst, to, end: to.end };
      }
      const right = this.visit(nodes(c, "right")[0]) as ValueAst;
      return { op: opAst, ...(tokens(c, "negated")[0] ? { negated: true } : {}), right, end: right.end };
    }

    value(c: Children): ValueAst {
      const lit = tokens(c, "literal")[0];
      if (lit) {
        const at = { start: lit.startOffset, end: tokenEnd(lit) };
        switch (lit.tokenType) {
          case T.StringLiteral:
            return { kind: "string", value: this.decodeString(lit), ...at };
          case T.NumberLiteral:
            return { kind: "number", value: Number(lit.image), ...at };
          case T.True:
            return { kind: "boolean", value: true, ...at };
          case T.False:
            return { kind: "boolean", value: false, ...at };
          default:
            return { kind: "null", ...at };
        }
      }
      const list = nodes(c, "list")[0];
      if (list) return this.visit(list);
      return this.visit(nodes(c, "path")[0]);
    }

    list(c: Children): ValueAst {
      return {
        kind: "list",
        items: nodes(c, "items").map((n) => this.visit(n) as ValueAst),
        start: tokens(c, "LBracket")[0].startOffset,
        end: tokenEnd(tokens(c, "RBracket")[0]),
      };
    }

    /** JSON-style escapes in either quote style; a bad escape is a problem at its position. */
    private decodeString(t: IToken): string {
      const body = t.image.slice(1, -1);
      let out = "";
      for (let i = 0; i < body.length; i++) {
        const ch = body[i];
        if (ch !== "\\") {
          out += ch;
          continue;
        }
        const next = body[i + 1];
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'", "/": "/", b: "\b", f: "\f", "0": "\0" };
        if (next in simple) {
          out += simple[next];
          i++;
        } else if (next === "u") {
          const m = /^u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(body.slice(i + 1));
          const cp = m ? parseInt(m[1] ?? m[2], 16) : NaN;
          if (!m || cp > 0x10ffff) {
            this.problems.push({ message: "Invalid \\u escape.", start: t.startOffset + 1 + i, end: t.startOffset + 3 + i });
            i++;
          } else {
            out += String.fromCodePoint(cp);
            i += m[0].length;
          }
        } else {
          this.problems.push({ message: `Unknown escape \\${next}.`, start: t.startOffset + 1 + i, end: t.startOffset + 3 + i });
          i++;
        }
      }
      return out;
    }
  }
  return new ToAst();
}

let visitor: ReturnType<typeof newToAst> | undefined;

/** Parses an expression; on failure returns the first problem (later ones are usually consequences of it). */
export function parseWhen(text: string): { ast?: ExprAst; problems: SyntaxProblem[] } {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    return { problems: [{ message: `This expression is ${text.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}.`, start: 0, end: text.length }] };
  }
  if (text.trim() === "") return { problems: [{ message: "The expression is empty.", start: 0, end: text.length }] };
  const lexed = lex(text);
  if (lexed.errors.length > 0) {
    const e = lexed.errors[0];
    return { problems: [{ message: e.message, start: e.offset, end: e.offset + e.length }] };
  }
  const deep = tooDeep(lexed.tokens);
  if (deep) return { problems: [{ message: `This expression nests more than ${MAX_NESTING} levels deep.`, start: deep.startOffset, end: tokenEnd(deep) }] };
  const parser = whenParser();
  parser.input = lexed.tokens;
  const cst = parser.expression();
  if (parser.errors.length > 0) {
    const e = parser.errors[0];
    const token = e.token;
    const atEnd = token.tokenType.name === "EOF" || Number.isNaN(token.startOffset);
    const start = atEnd ? text.length : token.startOffset;
    return { problems: [{ message: e.message, start: atEnd ? Math.max(0, text.trimEnd().length) : start, end: atEnd ? Math.max(0, text.trimEnd().length) + 1 : tokenEnd(token) }] };
  }
  visitor ??= newToAst();
  visitor.problems.length = 0;
  const ast = visitor.visit(cst) as ExprAst;
  const problems = [...visitor.problems];
  return problems.length > 0 ? { problems } : { ast, problems };
}

/** The first token at which parentheses, brackets and chains of `not` nest beyond MAX_NESTING. */
function tooDeep(list: IToken[]): IToken | undefined {
  let depth = 0;
  let nots = 0;
  for (const t of list) {
    if (t.tokenType === T.LParen || t.tokenType === T.LBracket) depth++;
    else if (t.tokenType === T.RParen || t.tokenType === T.RBracket) depth--;
    nots = t.tokenType === T.Not ? nots + 1 : 0;
    if (depth + nots > MAX_NESTING) return t;
  }
  return undefined;
}
