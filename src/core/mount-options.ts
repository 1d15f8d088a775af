import { quote } from '../base/quote.js';
import { VolplexError } from './errors.js';
import { grammarProblem, isTrue, type Grammar } from './option-checks.js';
import type { VolumeOptions } from './option-table.js';

/** `key=value` or `flag`, split at the first "=". */
export function splitMountOption(option: string): [string, string | undefined] {
  const at = option.indexOf('=');
  return at < 0 ? [option, undefined] : [option.slice(0, at), option.slice(at + 1)];
}

/**
 * Why one configured mount option (`backends.<type>.mountOptions`) is not valid, or undefined:
 * the same grammars as the volume options of that name, and no separator smuggled in.
 */
export function mountOptionProblem(option: string, grammars: Readonly<Record<string, Grammar>>, flags: readonly string[] = []): string | undefined {
  const [key, value] = splitMountOption(option);
  const valid = `${flags.length === 0 ? '' : `${flags.join(', ')} or `}key=value among ${Object.keys(grammars).join(', ')}`;
  if (value === undefined) {
    return flags.includes(key) ? undefined : `${quote(option)} is not valid; valid: ${valid}`;
  }
  const grammar = Object.hasOwn(grammars, key) ? grammars[key] : undefined;
  if (grammar === undefined) {
    return `${quote(key)} is not an option here; valid: ${valid}`;
  }
  const problem = grammarProblem(grammar, value, true);
  return problem === undefined ? undefined : `${key} ${problem} (got ${quote(value)})`;
}

/**
 * The configured default mount options (`key=value` or `flag`) with a volume's own laid over
 * them: a value replaces the default, a flag set true adds it and set false removes it. Sorted.
 */
export function mergeMountOptions(defaults: readonly string[], options: VolumeOptions, valueNames: readonly string[], flagNames: readonly string[] = []): string[] {
  const merged = new Map(defaults.map(splitMountOption));
  for (const name of valueNames) {
    const value = options[name];
    if (value !== undefined) {
      merged.set(name, value);
    }
  }
  for (const flag of flagNames) {
    const value = options[flag];
    if (value !== undefined) {
      if (isTrue(value)) {
        merged.set(flag, undefined);
      } else {
        merged.delete(flag);
      }
    }
  }
  return [...merged].map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).sort();
}

// One element of a mount option list: a key, and at most one "=" with a printable value without separators.
const LIST_ELEMENT = /^[A-Za-z0-9_.-]+(=[^\s,=\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]+)?$/u;
const LIST_ELEMENT_VALUE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]+$/u;

/**
 * The last check before options become `-o a,b=c` or `-o a -o b=c`: every element is one
 * `key` or `key=value`. Failing it is a bug in a grammar, never the user's input: System.
 */
export function assertMountOptionList<T extends readonly string[]>(options: T): T {
  const bad = options.find((option) => !LIST_ELEMENT.test(option));
  if (bad !== undefined) {
    throw new VolplexError('System', `refusing to run a mount with the option ${quote(bad)}: it would not stay one option`);
  }
  return options;
}

/** Positional arguments of a command that cannot take `--`: none may read as an option. A failure is a bug: System. */
export function assertPositionals<T extends readonly string[]>(values: T): T {
  const bad = values.find((value) => value.startsWith('-') || !LIST_ELEMENT_VALUE.test(value));
  if (bad !== undefined) {
    throw new VolplexError('System', `refusing to run a command with the argument ${quote(bad)}: it could read as an option`);
  }
  return values;
}
