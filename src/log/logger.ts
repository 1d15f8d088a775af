import { pino } from 'pino';

import type { LogLevel } from '../config/config.js';
import { currentRequestId } from './request-context.js';

export type Logger = pino.Logger;

// Volume options are never logged; these paths are a second line of defence.
const REDACTED = ['opts', 'options', '*.opts', '*.options', 'secret', '*.secret', 'password', '*.password'];

/** Every line written while a protocol request is served carries its id as `req`, whichever module logs it. */
function requestField(): { req?: string } {
  const id = currentRequestId();
  return id === undefined ? {} : { req: id };
}

/** JSON lines on stdout (or the given stream), one object per event. */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'volplex' }, redact: { paths: REDACTED, censor: '<masked>' }, mixin: requestField };
  return destination === undefined ? pino(options) : pino(options, destination);
}
