import { isTrue } from './option-checks.js';
import type { VolumeOptions } from './option-table.js';

/**
 * The configured default mount options (`key=value` or `flag`) with a volume's own laid over
 * them: a value replaces the default, a flag set true adds it and set false removes it. Sorted.
 */
export function mergeMountOptions(defaults: readonly string[], options: VolumeOptions, valueNames: readonly string[], flagNames: readonly string[] = []): string[] {
  const merged = new Map(defaults.map((option) => option.split('=', 2) as [string, string | undefined]));
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
