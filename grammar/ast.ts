// The `when:` AST: what the CST visitor produces, with offsets into the expression text for every node.

export interface Located {
  /** Offset of the first character in the expression text. */
  readonly start: number;
  /** Offset one past the last character. */
  readonly end: number;
}

export interface PathSegment extends Located {
  readonly key: string | number;
}

export interface PathAst extends Located {
  readonly kind: "path";
  readonly root: string;
  readonly rootEnd: number;
  readonly segments: readonly PathSegment[];
}

export interface CallAst extends Located {
  readonly kind: "call";
  readonly name: string;
  readonly nameEnd: number;
  readonly argument?: ValueAst;
}

export type OperandAst = PathAst | CallAst;

export type ValueAst =
  | (Located & { readonly kind: "string"; readonly value: string })
  | (Located & { readonly kind: "number"; readonly value: number })
  | (Located & { readonly kind: "boolean"; readonly value: boolean })
  | (Located & { readonly kind: "null" })
  | (Located & { readonly kind: "list"; readonly items: readonly ValueAst[] })
  | PathAst;

export interface OperatorAst extends Located {
  readonly text: string;
}

export type ExprAst =
  | (Located & { readonly kind: "or" | "and"; readonly operands: readonly ExprAst[] })
  | (Located & { readonly kind: "not"; readonly operand: ExprAst })
  | (Located & { readonly kind: "group"; readonly inner: ExprAst })
  | (Located & {
      readonly kind: "predicate";
      readonly left: OperandAst;
      readonly op?: OperatorAst;
      /** `not in` */
      readonly negated?: boolean;
      readonly right?: ValueAst;
      readonly regex?: Located & { readonly source: string; readonly flags: string };
      readonly from?: ValueAst;
      readonly to?: ValueAst;
    });

/** A problem found while reading the expression, at offsets into its text. */
export interface SyntaxProblem extends Located {
  readonly message: string;
}
