import { isAbsolute, normalize } from 'node:path';

import { quote } from '../base/quote.js';
import type { OptionSpec } from './option-table.js';

/** Returns why a value is not valid ("must be true or false"), or undefined when it is. */
export type OptionCheck = (value: string) => string | undefined;

/**
 * What an option's value may be. Every option declares one, and the option table enforces
 * it before a driver sees the value: each character first, then the length, then the structure.
 */
export interface Grammar {
  /** What is valid, said in every error: "a host name or IPv4 address". */
  readonly valid: string;
  /** Matches one allowed character; the first character outside it is named in the error. */
  readonly alphabet: RegExp;
  /** In characters (code points). */
  readonly maxLength: number;
  /** The structure beyond the alphabet. */
  readonly check?: OptionCheck;
}

// Where mount option lists and argv split: never inside a value that is joined into one.
const SEPARATORS = /[,=\s]/u;
// Printable: no control or format character, separator, lone surrogate, private or unassigned code point.
const PRINTABLE = /[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;
// Linux: PATH_MAX 4096 and NAME_MAX 255, both in bytes.
const MAX_PATH_BYTES = 4095;
const MAX_NAME_BYTES = 255;

/**
 * Why value does not fit the grammar, or undefined. `joined` values go into a comma-separated
 * mount option list (`-o a=b,c=d`), so `,`, `=` and whitespace are refused whatever the grammar.
 */
export function grammarProblem(grammar: Grammar, value: string, joined = false): string | undefined {
  const characters = Array.from(value);
  if (characters.length === 0) {
    return `must not be empty; valid: ${grammar.valid}`;
  }
  const at = characters.findIndex((character) => !grammar.alphabet.test(character) || (joined && SEPARATORS.test(character)));
  const character = characters[at];
  if (character !== undefined) {
    const why = joined && SEPARATORS.test(character) ? ': the value goes into a comma-separated mount option list' : '';
    return `must not contain ${quote(character)} (character ${at + 1})${why}; valid: ${grammar.valid}`;
  }
  if (characters.length > grammar.maxLength) {
    return `must be at most ${grammar.maxLength} characters long (it has ${characters.length}); valid: ${grammar.valid}`;
  }
  return grammar.check?.(value);
}

/** A name from a fixed pattern (bucket, gluster volume, profile), checked whole. */
export function word(pattern: RegExp, valid: string, maxLength: number, alphabet = /[A-Za-z0-9_.-]/): Grammar {
  return { valid, alphabet, maxLength, check: (value) => (pattern.test(value) ? undefined : `must be ${valid}`) };
}

export const HOST: Grammar = word(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'a host name or IPv4 address (letters, digits, "." and "-", starting and ending with a letter or digit)', 253, /[A-Za-z0-9.-]/);

/** Hosts separated by ":" or "," (gluster's volfile servers). */
export const HOST_LIST: Grammar = {
  valid: 'host names or IPv4 addresses separated by ":" or ","',
  alphabet: /[A-Za-z0-9.:, -]/,
  maxLength: 2048,
  check: (value) => {
    const hosts = splitHosts(value);
    const bad = hosts.find((host) => grammarProblem(HOST, host) !== undefined);
    return hosts.length === 0 ? 'must name at least one host' : bad === undefined ? undefined : `names ${quote(bad)}, which is not a host name or IPv4 address`;
  },
};

export function splitHosts(value: string): string[] {
  return value.split(/[:,]/).map((host) => host.trim()).filter((host) => host !== '');
}

/** An S3/OSS endpoint: scheme, host (or [IPv6]), optional port and path; no user info, query or fragment. */
export const HTTP_URL: Grammar = {
  valid: 'an http:// or https:// URL with a host, an optional :port and an optional /path of [A-Za-z0-9._~%/-]',
  alphabet: /[A-Za-z0-9._~%/:[\]-]/,
  maxLength: 2048,
  check: (value) => (/^https?:\/\/([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/.test(value) ? undefined : 'must be an http:// or https:// URL: http://host[:port][/path]'),
};

export const ABSOLUTE_PATH: Grammar = {
  valid: 'an absolute path of printable characters',
  alphabet: PRINTABLE,
  maxLength: MAX_PATH_BYTES,
  check: (value) => (isAbsolute(value) ? pathLengthProblem(value) : 'must be an absolute path'),
};

/** A path below a mount: relative, no "..". */
export const SUBDIR: Grammar = {
  valid: 'a relative path of printable characters without ".."',
  alphabet: PRINTABLE,
  maxLength: MAX_PATH_BYTES,
  check: (value) => {
    if (isAbsolute(value)) {
      return 'must be a relative path';
    }
    return normalize(value).split('/').includes('..') ? 'must not contain ".."' : pathLengthProblem(value);
  },
};

/** Permission bits in octal, as chmod takes them: 0 to `max` (0o7777: with setuid, setgid and sticky). */
export function octalMode(max: number): Grammar {
  const valid = `an octal mode from 0 to ${max.toString(8).padStart(4, '0')}, such as 0755`;
  return { valid, alphabet: /[0-7]/, maxLength: 4, check: (value) => (parseInt(value, 8) <= max ? undefined : `must be ${valid}`) };
}

/** A numeric user or group ID (4294967295 is chown's "leave unchanged"). */
export const NUMERIC_ID: Grammar = integer(0, 4294967294);

export const OCTAL_MASK: Grammar = { valid: 'an octal mask such as 022', alphabet: /[0-7]/, maxLength: 4, check: (value) => (value.length >= 3 ? undefined : 'must be an octal mask such as 022') };

/** An access key ID: it is written into a `bucket:id:secret` line. */
export const ACCESS_KEY_ID: Grammar = { valid: 'printable ASCII without spaces or ":"', alphabet: /[!-9;-~]/, maxLength: 256 };
export const ACCESS_KEY_SECRET: Grammar = { valid: 'printable ASCII without spaces', alphabet: /[!-~]/, maxLength: 1024 };

export function oneOf(...allowed: string[]): Grammar {
  const valid = `one of ${allowed.join(', ')}`;
  return { valid, alphabet: /[A-Za-z0-9_.-]/, maxLength: Math.max(...allowed.map((value) => value.length)), check: (value) => (allowed.includes(value) ? undefined : `must be ${valid}`) };
}

export function integer(min: number, max: number): Grammar {
  const valid = `a whole number from ${min} to ${max}`;
  return { valid, alphabet: /[0-9]/, maxLength: String(max).length, check: (value) => (Number(value) >= min && Number(value) <= max ? undefined : `must be ${valid}`) };
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

export const BOOLEAN: Grammar = {
  valid: 'true or false (also yes/no, on/off, 1/0)',
  alphabet: /[A-Za-z0-9]/,
  maxLength: 5,
  check: (value) => (TRUE_WORDS.has(value.toLowerCase()) || FALSE_WORDS.has(value.toLowerCase()) ? undefined : 'must be true or false'),
};

/** A yes/no option, normalized to "true" or "false". */
export function booleanOption(name: string, description: string, defaultValue: boolean): OptionSpec {
  return { name, description, default: String(defaultValue), grammar: BOOLEAN, normalize: (value) => String(TRUE_WORDS.has(value.toLowerCase())) };
}

export function isTrue(value: string | undefined): boolean {
  return value === 'true';
}

function pathLengthProblem(value: string): string | undefined {
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) {
    return `must be at most ${MAX_PATH_BYTES} bytes long`;
  }
  const long = value.split('/').find((part) => Buffer.byteLength(part) > MAX_NAME_BYTES);
  return long === undefined ? undefined : `must not have a name longer than ${MAX_NAME_BYTES} bytes (${quote(long)})`;
}
