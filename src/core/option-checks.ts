import { isAbsolute, normalize } from 'node:path';

import type { OptionCheck, OptionSpec } from './option-table.js';

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

export const isAbsolutePath: OptionCheck = (value) =>
  isAbsolute(value) && !value.includes('\0') ? undefined : 'must be an absolute path';

/** A path below a mount: relative, no "..", no NUL. */
export const isSubdir: OptionCheck = (value) => {
  if (value.includes('\0') || isAbsolute(value)) {
    return 'must be a relative path';
  }
  const parts = normalize(value).split('/');
  return parts.includes('..') ? 'must not contain ".."' : undefined;
};

export function isOneOf(...allowed: string[]): OptionCheck {
  return (value) => (allowed.includes(value) ? undefined : `must be one of ${allowed.join(', ')}`);
}

export function isInteger(min: number, max: number): OptionCheck {
  return (value) => {
    const number = Number(value);
    return /^\d+$/.test(value) && number >= min && number <= max ? undefined : `must be a whole number from ${min} to ${max}`;
  };
}

/** A yes/no option, normalized to "true" or "false". */
export function booleanOption(name: string, description: string, defaultValue: boolean): OptionSpec {
  return {
    name,
    description,
    default: String(defaultValue),
    check: (value) => (TRUE_WORDS.has(value.toLowerCase()) || FALSE_WORDS.has(value.toLowerCase()) ? undefined : 'must be true or false'),
    normalize: (value) => String(TRUE_WORDS.has(value.toLowerCase())),
  };
}

export function isTrue(value: string | undefined): boolean {
  return value === 'true';
}
