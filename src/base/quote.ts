/** Values from requests longer than this many characters are cut when shown. */
export const MAX_SHOWN_LENGTH = 200;

// Control and format characters, line and paragraph separators, lone surrogates, private-use
// and unassigned code points: anything a terminal or a log viewer may not show as itself.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

/** Every unprintable code point (NUL, newline, ESC, U+202E…) as `\uXXXX`; the rest as it is. */
export function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A whole message (an Err, a command's output) as one printable line: line breaks become "; ". */
export function oneLine(text: string): string {
  return escapeUnprintable(text.trim().replace(/\s*[\r\n]+\s*/g, '; '));
}

/** An untrusted value as a log field: `\` as `\\`, unprintable code points as `\uXXXX`, cut to MAX_SHOWN_LENGTH characters with "…". */
export function printable(value: string): string {
  return escapeUnprintable(cut(value).replace(/\\/g, '\\\\'));
}

/**
 * An untrusted value (name, option value, ID, path) as it may appear inside an Err or a log
 * message: double-quoted, `"` and `\` escaped, unprintable characters as `\uXXXX`, cut with "…".
 * Never pass it a secret: a sensitive value is named, not shown.
 */
export function quote(value: string): string {
  return `"${printable(value).replace(/"/g, '\\"')}"`;
}

function cut(value: string): string {
  // Counted in code points so a cut never splits a surrogate pair; only the head is split.
  const head = Array.from(value.slice(0, MAX_SHOWN_LENGTH * 2));
  return head.length > MAX_SHOWN_LENGTH || value.length > MAX_SHOWN_LENGTH * 2 ? `${head.slice(0, MAX_SHOWN_LENGTH).join('')}…` : value;
}
