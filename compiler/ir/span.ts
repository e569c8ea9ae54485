// Spans tie every IR node and diagnostic to the text it came from.

export interface Span {
  /** Path of the source file, as given on the command line. */
  readonly file: string;
  /** Offset of the first character (UTF-16 code units). */
  readonly start: number;
  /** Offset one past the last character. */
  readonly end: number;
}

export function span(file: string, start: number, end: number): Span {
  return { file, start, end: Math.max(start, end) };
}
