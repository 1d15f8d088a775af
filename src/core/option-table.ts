import { VolplexError } from './errors.js';

/** Returns why a value is not valid ("must be true or false"), or undefined when it is. */
export type OptionCheck = (value: string) => string | undefined;

/** One `-o name=value` a driver accepts. */
export interface OptionSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly default?: string;
  /** Never logged, never shown in Status, masked in errors. */
  readonly sensitive?: boolean;
  readonly check?: OptionCheck;
  /** Turns an accepted value into its one canonical spelling ("yes" → "true"). */
  readonly normalize?: (value: string) => string;
}

export type OptionTable = readonly OptionSpec[];

export type VolumeOptions = Readonly<Record<string, string>>;

/**
 * Validates user options against a driver's table and returns them with defaults
 * applied and values normalized. Throws InvalidParameter naming the option and what is valid.
 */
export function resolveOptions(type: string, table: OptionTable, given: VolumeOptions): VolumeOptions {
  const known = new Map(table.map((spec) => [spec.name, spec]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new VolplexError(
        'InvalidParameter',
        `unknown option ${JSON.stringify(name)} for type ${type}; valid: ${validNames(table)}`,
      );
    }
  }
  const resolved: Record<string, string> = {};
  for (const spec of table) {
    const value = given[spec.name] ?? spec.default;
    if (value === undefined) {
      if (spec.required === true) {
        throw new VolplexError('InvalidParameter', `option ${JSON.stringify(spec.name)} is required for type ${type}: ${spec.description}`);
      }
      continue;
    }
    const problem = spec.check?.(value);
    if (problem !== undefined) {
      const shown = spec.sensitive === true ? '' : ` (got ${JSON.stringify(value.slice(0, 120))})`;
      throw new VolplexError('InvalidParameter', `option ${JSON.stringify(spec.name)} for type ${type} ${problem}${shown}`);
    }
    resolved[spec.name] = spec.normalize?.(value) ?? value;
  }
  return resolved;
}

/** A required option after resolveOptions: present, or a bug. */
export function requiredOption(options: VolumeOptions, name: string): string {
  const value = options[name];
  if (value === undefined) {
    throw new VolplexError('System', `option ${JSON.stringify(name)} is missing after validation`);
  }
  return value;
}

function validNames(table: OptionTable): string {
  return table.length === 0 ? '(none)' : table.map((spec) => spec.name).join(', ');
}
