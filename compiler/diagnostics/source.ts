// Source texts known to a compilation, and offset → line/column conversion for spans.

export interface SourceText {
  /** Path as the user gave it (relative paths stay relative, so messages match the command line). */
  readonly path: string;
  readonly text: string;
}

export interface Position {
  line: number; // 1-based
  column: number; // 1-based, in UTF-16 code units like tsc and editors
}

const lineStartCache = new WeakMap<SourceText, number[]>();

function lineStarts(source: SourceText): number[] {
  let starts = lineStartCache.get(source);
  if (!starts) {
    starts = [0];
    const text = source.text;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10) starts.push(i + 1);
      else if (ch === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
    }
    lineStartCache.set(source, starts);
  }
  return starts;
}

export function positionAt(source: SourceText, offset: number): Position {
  const starts = lineStarts(source);
  const clamped = Math.max(0, Math.min(offset, source.text.length));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= clamped) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: clamped - starts[lo] + 1 };
}

export function lineText(source: SourceText, line: number): string {
  const starts = lineStarts(source);
  const start = starts[line - 1] ?? source.text.length;
  const end = line < starts.length ? starts[line] : source.text.length;
  return source.text.slice(start, end).replace(/\r?\n$|\r$/, "");
}

export function lineCount(source: SourceText): number {
  return lineStarts(source).length;
}
