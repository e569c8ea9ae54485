// Opcodes of regex programs (compiled by python-re/compile.ts, run by support.ts pyreSearch, which writes these numbers out because copied helpers cannot import).

/** A program state is four numbers: op, a, b, next. */
export const OP = Object.freeze({
  /** The pattern matched. */
  MATCH: 0,
  /** Consume one code point in sets[a], then go to next. */
  CHAR: 1,
  /** Go to a and to b. */
  SPLIT: 2,
  /** Go to next if assertion a (ASSERT) holds here; b is the word set for boundaries. */
  ASSERT: 3,
  /** Go to next if lookaround a holds here. */
  LOOK: 4,
  /** Register a takes value b (already multiplied by its stride), then next. */
  SETREG: 5,
  /** Go to next if register a holds value b (multiplied by its stride). */
  TESTREG: 6,
  /** Go to next if register a is set (b = 1) or unset (b = 0). */
  TESTSET: 7,
  /** The end of a lookaround's body. */
  SUCCEED: 8,
  /** No way on (an empty alternation). */
  FAIL: 9,
});

export const ASSERT = Object.freeze({
  /** `\A`, and `^` without MULTILINE. */
  BOS: 0,
  /** `\Z`. */
  EOS: 1,
  /** `$` without MULTILINE: the end, or before a final newline. */
  EOL: 2,
  /** `^` with MULTILINE: the start or after a newline. */
  BOL: 3,
  /** `$` with MULTILINE: the end or before a newline. */
  EOL_MULTILINE: 4,
  /** `\b` (never in an empty string). */
  BOUNDARY: 5,
  /** `\B` (never in an empty string). */
  NON_BOUNDARY: 6,
});
