// Text a client or a server chose (tool names, argument keys and values), made safe and short before a human sees it: no terminal escapes, no line breaks, no bidi tricks.

/**
 * What a terminal, a form or a log viewer could take for something other than plain text: C0 and
 * C1 controls (ESC starts ANSI sequences, U+009B is a one-character CSI), DEL, the soft hyphen,
 * bidi and other format characters (which reorder or hide text), line and paragraph separators,
 * zero-width characters, the BOM, interlinear annotations, and lone surrogates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A name shown as it is: letters, digits and the punctuation tool names use, nothing that reads as a sentence. */
const PLAIN_NAME = /^[A-Za-z0-9_.:/@+-]+$/;

export const MAX_NAME_CHARS = 80;

/** Every unsafe character as a `\uXXXX` escape; everything else as it is. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `text` cut to at most `max` UTF-16 units, never between the halves of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}

/**
 * A name someone else chose (a tool, a server, an argument key), as a human is shown it: as it
 * is when it is a plain identifier of sensible length; otherwise as a quoted JSON string with
 * every unsafe character escaped and the length bounded, so that it can never pose as the
 * proxy's own wording (a newline and "Allow …? [y/N]", an ANSI sequence that clears the screen).
 */
export function shownName(name: unknown, max: number = MAX_NAME_CHARS): string {
  const text = typeof name === "string" ? name : String(name);
  if (text.length > 0 && text.length <= max && PLAIN_NAME.test(text)) return text;
  const shown = escapeUnsafe(JSON.stringify(cut(text, max)));
  return text.length > max ? `${shown}… (${text.length} characters)` : shown;
}

/** Free text shown to a human (a value's JSON, a description, a log line): unsafe characters escaped, at most `max` characters kept. */
export function shownText(text: string, max: number): string {
  const shown = escapeUnsafe(cut(text, max));
  return text.length > max ? `${shown}… (${text.length - max} more characters)` : shown;
}
