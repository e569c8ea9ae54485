// Compiles a Python `re` pattern (Aegis's param_matches, aegisc's `when:` regexes) into a linear-time matcher, or says why not.

import { compileRegex, RegexLimit, type CompiledRegex } from "./python-re/compile.ts";
import { FLAG, parsePythonRegex } from "./python-re/parse.ts";

export type RegexCompilation =
  | { readonly ok: true; readonly regex: CompiledRegex }
  /** `limit`: Python accepts the pattern but aegisc cannot match it in linear time (see the README); else Python rejects it. */
  | { readonly ok: false; readonly message: string; readonly offset: number; readonly limit: boolean };

/** Flags of `when:` regex literals (`/re/flags`): Python's inline flag letters; `u` is the default for str patterns. */
export const WHEN_REGEX_FLAGS: Readonly<Record<string, number>> = { i: FLAG.IGNORECASE, m: FLAG.MULTILINE, s: FLAG.DOTALL, x: FLAG.VERBOSE, a: FLAG.ASCII, u: 0 };

/** `re.compile(source, flags)` for a str pattern, then the cheapest matcher for `re.search`. */
export function compilePythonRegex(source: string, flags = 0): RegexCompilation {
  const parsed = parsePythonRegex(source, flags);
  if (!parsed.ok) return { ok: false, message: parsed.message, offset: parsed.offset, limit: false };
  const compiled = compileRegex(parsed);
  if (compiled instanceof RegexLimit) return { ok: false, message: compiled.message, offset: 0, limit: true };
  return { ok: true, regex: compiled };
}
