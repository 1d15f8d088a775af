import { pino } from 'pino';

import type { LogLevel } from '../config/config.js';

export type Logger = pino.Logger;

// Volume options are never logged; these paths are a second line of defence.
const REDACTED = ['opts', 'options', '*.opts', '*.options', 'secret', '*.secret', 'password', '*.password'];

/** JSON lines on stdout (or the given stream), one object per event. */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'volplex' }, redact: { paths: REDACTED, censor: '<masked>' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
