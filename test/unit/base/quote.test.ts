import { describe, expect, it } from '@jest/globals';

import { escapeUnprintable, MAX_SHOWN_LENGTH, oneLine, printable, quote } from '../../../src/base/quote.js';

describe(quote.name, () => {
  it.each([
    ['a plain value', 'web-1', '"web-1"'],
    ['a NUL byte', 'a\u0000b', '"a\\u0000b"'],
    ['a newline and a carriage return', 'a\r\nb', '"a\\u000d\\u000ab"'],
    ['an ANSI escape', '\u001b[31mred', '"\\u001b[31mred"'],
    ['DEL and a C1 control', '\u007f\u009b', '"\\u007f\\u009b"'],
    ['a right-to-left override', 'txt\u202eexe', '"txt\\u202eexe"'],
    ['a line separator', 'a\u2028b', '"a\\u2028b"'],
    ['a lone surrogate', 'a\ud800b', '"a\\ud800b"'],
    ['a double quote and a backslash', 'say "hi" \\n', '"say \\"hi\\" \\\\n"'],
    ['unicode that prints', 'données 日本 😀', '"données 日本 😀"'],
  ])('shows %s escaped on one line', (_desc, value, expected) => {
    expect(quote(value)).toBe(expected);
  });

  it(`cuts values over ${MAX_SHOWN_LENGTH} characters with an ellipsis`, () => {
    expect(quote('v'.repeat(MAX_SHOWN_LENGTH))).toBe(`"${'v'.repeat(MAX_SHOWN_LENGTH)}"`);
    expect(quote('v'.repeat(1_000_000))).toBe(`"${'v'.repeat(MAX_SHOWN_LENGTH)}…"`);
  });

  it('never splits a surrogate pair when it cuts', () => {
    const shown = quote('😀'.repeat(MAX_SHOWN_LENGTH + 1));
    expect(shown).toBe(`"${'😀'.repeat(MAX_SHOWN_LENGTH)}…"`);
    expect(/\p{Cs}/u.test(shown)).toBe(false);
  });

  it('gives text with no unprintable character left', () => {
    const every = Array.from({ length: 0x3000 }, (_, code) => String.fromCharCode(code)).join('');
    expect(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(escapeUnprintable(every))).toBe(false);
    expect(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(printable(every))).toBe(false);
  });
});

describe(oneLine.name, () => {
  it('joins the lines of a message and escapes what cannot be shown, leaving escapes already made', () => {
    expect(oneLine('mount: /m: wrong fs type.\n       dmesg(1) may have more information\n')).toBe('mount: /m: wrong fs type.; dmesg(1) may have more information');
    expect(oneLine(`bad ${quote('a\u0000b')} \u001b[0m`)).toBe('bad "a\\u0000b" \\u001b[0m');
  });
});
