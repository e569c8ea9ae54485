// Maps each character of a YAML scalar's value back to its offset in the file, for plain, quoted and block scalars.

export type ScalarStyle = "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE" | "BLOCK_LITERAL" | "BLOCK_FOLDED";

const isBreak = (c: string | undefined) => c === "\n" || c === "\r";
const isSpace = (c: string | undefined) => c === " " || c === "\t";

/** Length of a double-quoted escape at `p` (`\n`, `\x41`, `\u0041`, `\U0001F600`). */
function escapeLength(text: string, p: number): number {
  const c = text[p + 1];
  if (c === "x") return 4;
  if (c === "u") return 6;
  if (c === "U") return 10;
  return 2;
}

/**
 * offsets[i] is the file offset of value[i]; offsets[value.length] is where the value ends.
 * Walks the source alongside the value, skipping what YAML does not put in the value:
 * quotes, block headers, indentation, escaped line breaks; folded line breaks map to the
 * space or newline they became, escapes map to their backslash.
 */
export function scalarValueOffsets(text: string, start: number, end: number, style: ScalarStyle, value: string): number[] {
  const offsets = new Array<number>(value.length + 1);
  let p = start;
  if (style === "QUOTE_DOUBLE" || style === "QUOTE_SINGLE") p++;
  if (style === "BLOCK_LITERAL" || style === "BLOCK_FOLDED") {
    while (p < end && !isBreak(text[p])) p++;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    // Skip source characters that produce nothing in the value.
    while (p < end) {
      const s = text[p];
      if (s === c && !(style === "QUOTE_DOUBLE" && s === "\\")) break;
      if (style === "QUOTE_DOUBLE" && s === "\\") {
        if (isBreak(text[p + 1])) {
          p += 2;
          while (p < end && isSpace(text[p])) p++;
          continue;
        }
        break;
      }
      if (style === "QUOTE_SINGLE" && s === "'" && text[p + 1] === "'" && c === "'") break;
      if ((c === " " || c === "\n") && isBreak(s)) break;
      if (isSpace(s) || isBreak(s)) {
        p++;
        continue;
      }
      break;
    }
    offsets[i] = Math.min(p, end);
    if (style === "QUOTE_DOUBLE" && text[p] === "\\") p += escapeLength(text, p);
    else if (style === "QUOTE_SINGLE" && text[p] === "'" && text[p + 1] === "'") p += 2;
    else p++;
  }
  offsets[value.length] = Math.min(p, end);
  return offsets;
}
