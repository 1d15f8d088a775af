import { quote } from '../base/quote.js';
import { errnoCode, VolplexError } from './errors.js';

// Errors a path the user gave can cause; anything else is the host's fault.
const BECAUSE: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENAMETOOLONG: 'is too long, or has a name in it that is too long',
  ENOTDIR: 'runs through something that is not a directory',
  ELOOP: 'runs through too many levels of symbolic links',
  EACCES: 'is not accessible to volplex (permission denied)',
  EPERM: 'is not accessible to volplex (operation not permitted)',
  EEXIST: 'exists and is not a directory',
  EROFS: 'is on a read-only filesystem',
};

/** A filesystem error on a path from option `option`: InvalidParameter naming it, or a System fault for the rest. */
export function userPathError(error: unknown, option: string, path: string): VolplexError {
  const code = errnoCode(error);
  const because = code === undefined ? undefined : BECAUSE[code];
  if (because === undefined) {
    return VolplexError.wrap(error, `option ${quote(option)}: ${quote(path)}`);
  }
  return new VolplexError('InvalidParameter', `option ${quote(option)}: ${quote(path)} ${because} (${code ?? ''})`, { cause: error });
}
