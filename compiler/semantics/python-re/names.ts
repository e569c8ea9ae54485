// `\N{name}`: looks a character name up as CPython's unicodedata.lookup does (names, aliases, Hangul syllables, CJK ideographs), from a table generated from CPython.

import { inflateSync } from "node:zlib";
import { NAMES_DEFLATED, PREFIXED_NAMES, UNIFIED_IDEOGRAPHS } from "../python-unicode-names.ts";

let table: Map<string, number> | undefined;

/** Upper-case name → code point, decoded on first use (only patterns with `\N{…}` pay for it). */
function names(): Map<string, number> {
  if (table) return table;
  table = new Map();
  const lines = inflateSync(Buffer.from(NAMES_DEFLATED, "base64")).toString("ascii").split("\n");
  let cp = 0;
  let prev = "";
  let k = 0;
  for (; k < lines.length && lines[k] !== "="; k++) {
    const line = lines[k];
    const semi = line.indexOf(";");
    cp += semi === 0 ? 1 : parseInt(line.slice(0, semi), 16);
    const name = prev.slice(0, line.charCodeAt(semi + 1) - 48) + line.slice(semi + 2);
    table.set(name, cp);
    prev = name;
  }
  for (k++; k < lines.length; k++) {
    const semi = lines[k].indexOf(";");
    table.set(lines[k].slice(semi + 1), parseInt(lines[k].slice(0, semi), 16));
  }
  return table;
}

const inRanges = (ranges: readonly number[], cp: number) => {
  for (let i = 0; i < ranges.length; i += 2) if (cp >= ranges[i] && cp <= ranges[i + 1]) return true;
  return false;
};

const JAMO_L = ["G", "GG", "N", "D", "DD", "R", "M", "B", "BB", "S", "SS", "", "J", "JJ", "C", "K", "T", "P", "H"];
const JAMO_V = ["A", "AE", "YA", "YAE", "EO", "E", "YEO", "YE", "O", "WA", "WAE", "OE", "YO", "U", "WEO", "WE", "WI", "YU", "EU", "YI", "I"];
const JAMO_T = ["", "G", "GG", "GS", "N", "NJ", "NH", "D", "L", "LG", "LM", "LB", "LS", "LT", "LP", "LH", "M", "B", "BS", "S", "SS", "NG", "J", "C", "K", "T", "P", "H"];

/** The longest jamo name at `at` (CPython's find_syllable), as [index, length], or undefined. */
function findSyllable(s: string, at: number, jamo: readonly string[]): [number, number] | undefined {
  let best: [number, number] | undefined;
  jamo.forEach((j, i) => {
    if (s.startsWith(j, at) && (best === undefined || j.length > best[1])) best = [i, j.length];
  });
  return best;
}

function hangul(rest: string): number | undefined {
  const l = findSyllable(rest, 0, JAMO_L);
  if (!l) return undefined;
  const v = findSyllable(rest, l[1], JAMO_V);
  if (!v) return undefined;
  const t = findSyllable(rest, l[1] + v[1], JAMO_T);
  if (!t || l[1] + v[1] + t[1] !== rest.length) return undefined;
  return 0xac00 + (l[0] * JAMO_V.length + v[0]) * JAMO_T.length + t[0];
}

/** The code point `unicodedata.lookup(name)` gives, or undefined where it raises (or gives a named sequence). */
export function lookupCharacterName(name: string): number | undefined {
  if (name.startsWith("HANGUL SYLLABLE ")) return hangul(name.slice(16));
  if (name.startsWith("CJK UNIFIED IDEOGRAPH-")) {
    const hex = name.slice(22);
    if (!/^[0-9A-F]{4,5}$/.test(hex)) return undefined;
    const cp = parseInt(hex, 16);
    return inRanges(UNIFIED_IDEOGRAPHS, cp) ? cp : undefined;
  }
  // Only ASCII letters fold: CPython hashes and compares names with Py_TOUPPER.
  const upper = name.replace(/[a-z]+/g, (s) => s.toUpperCase());
  for (const [prefix, ranges] of PREFIXED_NAMES) {
    if (!upper.startsWith(prefix)) continue;
    const hex = upper.slice(prefix.length);
    if (!/^[0-9A-F]{4,5}$/.test(hex)) return undefined;
    const cp = parseInt(hex, 16);
    return inRanges(ranges, cp) && cp.toString(16).toUpperCase().padStart(4, "0") === hex ? cp : undefined;
  }
  return names().get(upper);
}
