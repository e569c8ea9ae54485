// Translates a Python `re` pattern (as Aegis's param_matches uses it) into an equivalent JavaScript pattern.

export type RegexTranslation =
  | { readonly ok: true; readonly pattern: string; readonly flags: string }
  | { readonly ok: false; readonly message: string; readonly offset: number; readonly unsupported: boolean };

const JS_SYNTAX = new Set(["^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/"]);
const QUANTIFIER = /^\{(\d+)?(,(\d+)?)?\}/;

/**
 * Python semantics kept: `$` also matches before a final newline, `.` excludes only `\n`,
 * `\d` and `\w` are Unicode-aware, `(?P<name>…)`/`(?P=name)` groups, leading inline flags
 * `(?aims)`, literal `{`/`]` where Python treats them as literals. Features JavaScript cannot
 * express are reported as unsupported rather than approximated.
 */
export function translatePythonRegex(src: string): RegexTranslation {
  let i = 0;
  let out = "";
  let ascii = false;
  let ignoreCase = false;
  let dotAll = false;
  let multiline = false;
  const fail = (message: string, offset: number, unsupported = false): RegexTranslation => ({ ok: false, message, offset, unsupported });

  // Leading global flags, possibly several groups: (?i)(?s)…
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(src.slice(i));
    if (!m) break;
    for (const f of m[1]) {
      if (f === "i") ignoreCase = true;
      else if (f === "s") dotAll = true;
      else if (f === "m") multiline = true;
      else if (f === "a") ascii = true;
      else if (f === "u") ascii = false;
      else return fail(`the inline flag (?${f}) has no JavaScript equivalent`, i, true);
    }
    i += m[0].length;
  }

  const digit = () => (ascii ? "[0-9]" : "\\p{Nd}");
  const word = (inClass: boolean) => (ascii ? (inClass ? "A-Za-z0-9_" : "[A-Za-z0-9_]") : inClass ? "\\p{L}\\p{N}_" : "[\\p{L}\\p{N}_]");

  /** Translates an escape at src[i] === "\\"; returns the JS text and the new index, or a failure. */
  const escape = (at: number, inClass: boolean): { text: string; next: number } | RegexTranslation => {
    const c = src[at + 1];
    if (c === undefined) return fail("the pattern ends with a lone backslash", at);
    switch (c) {
      case "d":
        return { text: inClass ? (ascii ? "0-9" : "\\p{Nd}") : digit(), next: at + 2 };
      case "D":
        if (inClass) return fail("\\D inside a set has no JavaScript equivalent", at, true);
        return { text: ascii ? "[^0-9]" : "\\P{Nd}", next: at + 2 };
      case "w":
        return { text: word(inClass), next: at + 2 };
      case "W":
        if (inClass) return fail("\\W inside a set has no JavaScript equivalent", at, true);
        return { text: ascii ? "[^A-Za-z0-9_]" : "[^\\p{L}\\p{N}_]", next: at + 2 };
      case "s":
      case "S":
      case "t":
      case "n":
      case "r":
      case "f":
      case "v":
        return { text: "\\" + c, next: at + 2 };
      case "b":
        return { text: inClass ? "\\u{8}" : "\\b", next: at + 2 };
      case "B":
        if (inClass) return fail("bad escape \\B", at);
        return { text: "\\B", next: at + 2 };
      case "A":
        if (inClass) return fail("bad escape \\A", at);
        return { text: "(?<![\\s\\S])", next: at + 2 };
      case "Z":
        if (inClass) return fail("bad escape \\Z", at);
        return { text: "(?![\\s\\S])", next: at + 2 };
      case "x": {
        const m = /^[0-9a-fA-F]{2}/.exec(src.slice(at + 2));
        if (!m) return fail("incomplete escape \\x", at);
        return { text: `\\u{${m[0]}}`, next: at + 4 };
      }
      case "u":
      case "U": {
        const len = c === "u" ? 4 : 8;
        const hex = src.slice(at + 2, at + 2 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return fail(`incomplete escape \\${c}`, at);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) return fail(`bad escape \\${c}${hex}`, at);
        return { text: `\\u{${cp.toString(16)}}`, next: at + 2 + len };
      }
      case "N":
        return fail("\\N{…} named characters have no JavaScript equivalent", at, true);
      default:
        break;
    }
    if (/[0-9]/.test(c)) {
      if (inClass || c === "0") {
        const m = /^[0-7]{1,3}/.exec(src.slice(at + 1))!;
        return { text: `\\u{${parseInt(m[0], 8).toString(16)}}`, next: at + 1 + m[0].length };
      }
      const m = /^[0-9]{1,2}/.exec(src.slice(at + 1))!;
      return { text: `\\${m[0]}`, next: at + 1 + m[0].length };
    }
    if (/[A-Za-z]/.test(c)) return fail(`bad escape \\${c}`, at);
    const cp = src.codePointAt(at + 1)!;
    const ch = String.fromCodePoint(cp);
    const next = at + 1 + ch.length;
    if (JS_SYNTAX.has(ch) || (inClass && ch === "-")) return { text: "\\" + ch, next };
    return { text: `\\u{${cp.toString(16)}}`, next };
  };

  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "\\") {
      const r = escape(i, false);
      if ("ok" in r) return r;
      out += r.text;
      i = r.next;
    } else if (c === "[") {
      // A set: `]` first (after an optional `^`) is literal, as in Python.
      let j = i + 1;
      let body = "[";
      if (src[j] === "^") {
        body += "^";
        j++;
      }
      let first = true;
      let closed = false;
      while (j < src.length) {
        const d = src[j];
        if (d === "]" && !first) {
          closed = true;
          j++;
          break;
        }
        first = false;
        if (d === "\\") {
          const r = escape(j, true);
          if ("ok" in r) return r;
          body += r.text;
          j = r.next;
        } else if (d === "[" || d === "]" || d === "/") {
          body += "\\" + d;
          j++;
        } else {
          const cp = src.codePointAt(j)!;
          const ch = String.fromCodePoint(cp);
          body += ch;
          j += ch.length;
        }
      }
      if (!closed) return fail("unterminated character set", i);
      out += body + "]";
      i = j;
    } else if (c === "(") {
      const rest = src.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest))) {
        out += `(?<${m[1]}>`;
        i += m[0].length;
        depth++;
      } else if ((m = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest))) {
        out += `\\k<${m[1]}>`;
        i += m[0].length;
      } else if ((m = /^\(\?#[^)]*\)/.exec(rest))) {
        i += m[0].length;
      } else if (/^\(\?(:|=|!|<=|<!)/.test(rest)) {
        const len = /^\(\?(<=|<!)/.test(rest) ? 4 : 3;
        out += rest.slice(0, len);
        i += len;
        depth++;
      } else if (/^\(\?>/.test(rest)) {
        return fail("atomic groups (?>…) have no JavaScript equivalent", i, true);
      } else if (/^\(\?\(/.test(rest)) {
        return fail("conditional groups (?(…)…) have no JavaScript equivalent", i, true);
      } else if (/^\(\?[aiLmsux-]+[:)]/.test(rest)) {
        return fail("inline flags are only supported at the start of the pattern", i, true);
      } else if (rest.startsWith("(?")) {
        return fail("unknown extension after (?", i);
      } else {
        out += "(";
        i++;
        depth++;
      }
    } else if (c === ")") {
      if (depth === 0) return fail("unbalanced parenthesis", i);
      depth--;
      out += ")";
      i++;
    } else if (c === "{") {
      const m = QUANTIFIER.exec(src.slice(i));
      if (m && (m[1] !== undefined || m[3] !== undefined)) {
        // Python reads `{,n}` as `{0,n}`; JavaScript needs the lower bound.
        out += `{${m[1] ?? "0"}${m[2] !== undefined ? "," + (m[3] ?? "") : ""}}`;
        i += m[0].length;
        if (src[i] === "+") return fail("possessive quantifiers have no JavaScript equivalent", i, true);
      } else {
        out += "\\{";
        i++;
      }
    } else if (c === "}" || c === "]" || c === "/") {
      out += "\\" + c;
      i++;
    } else if (c === "$") {
      out += multiline ? "(?=\\n|(?![\\s\\S]))" : "(?=\\n?(?![\\s\\S]))";
      i++;
    } else if (c === "^") {
      out += multiline ? "(?:(?<![\\s\\S])|(?<=\\n))" : "^";
      i++;
    } else if (c === ".") {
      out += dotAll ? "[\\s\\S]" : "[^\\n]";
      i++;
    } else if ((c === "*" || c === "+" || c === "?") && (src[i + 1] === "+")) {
      return fail("possessive quantifiers have no JavaScript equivalent", i + 1, true);
    } else {
      const cp = src.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out += ch;
      i += ch.length;
    }
  }
  if (depth !== 0) return fail("missing ), unterminated subpattern", src.length);
  const flags = "u" + (ignoreCase ? "i" : "");
  try {
    new RegExp(out, flags);
  } catch (e) {
    return fail(String((e as Error).message).replace(/^Invalid regular expression: /, ""), 0);
  }
  return { ok: true, pattern: out, flags };
}
