import { quote } from '../base/quote.js';
import { VolplexError } from './errors.js';

export const MAX_VOLUME_NAME_LENGTH = 255;

// Docker's rule for local volume names, one character allowed; dockerd does not check plugin volume names.
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function isValidVolumeName(name: string): boolean {
  return name.length <= MAX_VOLUME_NAME_LENGTH && VOLUME_NAME.test(name);
}

/** Throws InvalidParameter unless the name is safe to become a path component. */
export function assertValidVolumeName(name: string): void {
  if (!isValidVolumeName(name)) {
    throw new VolplexError(
      'InvalidParameter',
      `invalid volume name ${quote(name)}: ` +
        `use 1 to ${MAX_VOLUME_NAME_LENGTH} characters from [a-zA-Z0-9_.-], starting with a letter or digit`,
    );
  }
}
