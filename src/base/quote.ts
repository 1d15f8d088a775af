/** Values from requests longer than this many characters are cut when shown. */
export const MAX_SHOWN_LENGTH = 200;

// Control and format characters, line and paragraph separators, lone surrogates, private-use
// and unassigned code points: anything a terminal or a log viewer may not show as itself.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/gu;

/** One line of printable text: every unprintable code point (NUL, newline, ESC, U+202E…) as `\uXXXX`, `\` as `\\`. */
export function escapeUnprintable(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(UNPRINTABLE, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An untrusted value as a log field: escaped like escapeUnprintable, cut to MAX_SHOWN_LENGTH characters with "…". */
export function printable(value: string): string {
  return escapeUnprintable(cut(value));
}

/**
 * An untrusted value (name, option value, ID, path) as it may appear inside an Err or a log
 * message: double-quoted, `"` escaped, unprintable characters as `\uXXXX`, cut with "…".
 * Never pass it a secret: a sensitive value is named, not shown.
 */
export function quote(value: string): string {
  return `"${printable(value).replace(/"/g, '\\"')}"`;
}

function cut(value: string): string {
  // Counted in code points so a cut never splits a surrogate pair; only the head is spread.
  const head = Array.from(value.slice(0, MAX_SHOWN_LENGTH * 2));
  return head.length > MAX_SHOWN_LENGTH || value.length > MAX_SHOWN_LENGTH * 2 ? `${head.slice(0, MAX_SHOWN_LENGTH).join('')}…` : value;
}
