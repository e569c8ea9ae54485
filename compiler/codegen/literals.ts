// The only way policy text reaches generated code: escaped literals and validated identifiers (ajv's codegen is the model).

import type { Value } from "../ir/types.ts";

/** A generated-code fragment. Only the helpers in this file create one from data. */
export class Code {
  private constructor(readonly text: string) {}
  static raw(text: string): Code {
    return new Code(text);
  }
  toString(): string {
    return this.text;
  }
}

const LINE_TERMINATORS = /[\u2028\u2029]/g;

/** A double-quoted string literal; JSON escaping plus U+2028/U+2029, which older parsers treat as line ends. */
export function stringLiteral(s: string): string {
  return JSON.stringify(s).replace(LINE_TERMINATORS, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

export function numberLiteral(n: number): string {
  if (Number.isNaN(n)) return "Number.NaN";
  if (n === Infinity) return "Number.POSITIVE_INFINITY";
  if (n === -Infinity) return "Number.NEGATIVE_INFINITY";
  if (Object.is(n, -0)) return "-0";
  return String(n);
}

/**
 * A JSON-like value as an expression. Mappings go through Object.fromEntries so that keys such
 * as `__proto__` become own properties, exactly as the YAML loader produced them.
 */
export function valueLiteral(v: Value | unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return numberLiteral(v);
  if (typeof v === "string") return stringLiteral(v);
  if (Array.isArray(v)) return `[${v.map(valueLiteral).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.keys(v as object).map((k) => `[${stringLiteral(k)}, ${valueLiteral((v as Record<string, unknown>)[k])}]`);
    return `Object.fromEntries([${entries.join(", ")}])`;
  }
  throw new TypeError(`cannot emit a literal for ${typeof v}`);
}

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval undefined NaN Infinity".split(
    " ",
  ),
);

/** A generated identifier; throws on anything that is not a plain identifier, since only the compiler names things. */
export function identifier(name: string): string {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || RESERVED.has(name)) throw new Error(`invalid generated identifier ${JSON.stringify(name)}`);
  return name;
}

/** Text for a `//` comment: one line, with every line terminator and control character escaped. */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
