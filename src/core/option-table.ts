import { quote } from '../base/quote.js';
import { VolplexError } from './errors.js';
import { grammarProblem, type Grammar } from './option-checks.js';

/** One `-o name=value` a driver accepts. */
export interface OptionSpec {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly default?: string;
  /** What the value may contain; enforced by resolveOptions before anything else sees it. */
  readonly grammar: Grammar;
  /**
   * The value goes into a comma-separated mount option list (`-o a=b,c=d`): `,`, `=` and
   * whitespace are refused whatever the grammar says.
   */
  readonly joined?: boolean;
  /** Never logged, never shown in Status, never quoted in errors: only named. */
  readonly sensitive?: boolean;
  /** Turns an accepted value into its one canonical spelling ("yes" → "true"). */
  readonly normalize?: (value: string) => string;
}

export type OptionTable = readonly OptionSpec[];

export type VolumeOptions = Readonly<Record<string, string>>;

/**
 * Validates user options against a driver's table and returns them with defaults
 * applied and values normalized. Throws InvalidParameter naming the option, the
 * character at fault and what is valid; the value is shown unless it is sensitive.
 */
export function resolveOptions(type: string, table: OptionTable, given: VolumeOptions): VolumeOptions {
  const known = new Map(table.map((spec) => [spec.name, spec]));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new VolplexError('InvalidParameter', `unknown option ${quote(name)} for type ${type}; valid: ${validNames(table)}`);
    }
  }
  const resolved: Record<string, string> = {};
  for (const spec of table) {
    const value = given[spec.name] ?? spec.default;
    if (value === undefined) {
      if (spec.required === true) {
        throw new VolplexError('InvalidParameter', `option ${quote(spec.name)} is required for type ${type}: ${spec.description}`);
      }
      continue;
    }
    assertValue(type, spec, value);
    resolved[spec.name] = spec.normalize?.(value) ?? value;
  }
  return resolved;
}

/** Throws InvalidParameter unless value fits the spec's grammar. */
export function assertValue(type: string, spec: OptionSpec, value: string): void {
  const problem = grammarProblem(spec.grammar, value, spec.joined === true);
  if (problem === undefined) {
    return;
  }
  if (spec.sensitive === true) {
    // Not even the character at fault: it is part of the secret.
    throw new VolplexError('InvalidParameter', `option ${quote(spec.name)} for type ${type} is not valid (the value is sensitive and not shown); valid: ${spec.grammar.valid}`);
  }
  throw new VolplexError('InvalidParameter', `option ${quote(spec.name)} for type ${type} ${problem} (got ${quote(value)})`);
}

/** A required option after resolveOptions: present, or a bug. */
export function requiredOption(options: VolumeOptions, name: string): string {
  const value = options[name];
  if (value === undefined) {
    throw new VolplexError('System', `option ${quote(name)} is missing after validation`);
  }
  return value;
}

function validNames(table: OptionTable): string {
  return table.length === 0 ? '(none)' : table.map((spec) => spec.name).join(', ');
}
