import type { Ownership } from '../system/mount-probe.js';
import { VolplexError } from './errors.js';
import { NUMERIC_ID, octalMode } from './option-checks.js';
import type { OptionSpec, VolumeOptions } from './option-table.js';

export const OWNERSHIP_OPTIONS = ['uid', 'gid', 'mode'] as const;

/** `mode` in octal up to `maxMode`, kept as four digits: "755" and "0755" are the same volume. */
export function modeOption(what: string, maxMode = 0o7777): OptionSpec {
  return { name: 'mode', description: `permission bits of ${what}, in octal`, grammar: octalMode(maxMode), normalize: (value) => parseInt(value, 8).toString(8).padStart(4, '0') };
}

/** `uid`, `gid`, `mode` of the directory volplex makes for a volume. */
export function ownershipOptions(what: string): OptionSpec[] {
  return [
    { name: 'uid', description: `numeric owner of ${what}`, grammar: NUMERIC_ID },
    { name: 'gid', description: `numeric group of ${what}`, grammar: NUMERIC_ID },
    modeOption(what),
  ];
}

/** The ownership options a volume gives (checked by its option table). */
export function ownershipOf(options: VolumeOptions): Ownership {
  const { uid, gid, mode } = options;
  return {
    ...(uid === undefined ? {} : { uid: Number(uid) }),
    ...(gid === undefined ? {} : { gid: Number(gid) }),
    ...(mode === undefined ? {} : { mode: parseInt(mode, 8) }),
  };
}

/** The ownership options given, by name ("uid, mode"), or '' for none. */
export function givenOwnership(options: VolumeOptions): string {
  return OWNERSHIP_OPTIONS.filter((name) => options[name] !== undefined).join(', ');
}

/** Throws InvalidParameter when ownership options are given for a subdir volplex will never create. */
export function assertSubdirOwnership(type: string, options: VolumeOptions): void {
  const given = givenOwnership(options);
  if (given !== '' && (options.subdir === undefined || options.subdir === '' || options.createSubdir !== 'true')) {
    throw new VolplexError('InvalidParameter', `option(s) ${given} for type ${type} need subdir and createSubdir=true: they apply to the subdir volplex creates`);
  }
}
