import type { RequestHandler } from 'express';

import { printable } from '../base/quote.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf } from './request-id.js';

/** One line per request: its id, endpoint, volume, mount ID, duration and outcome, each printable and cut. Never options. */
export function requestLog(log: Logger): RequestHandler {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const error = response.locals.error as string | undefined;
      log.info(
        { req: requestIdOf(response), endpoint: printable(request.path), volume: response.locals.volume as string | undefined, id: response.locals.id as string | undefined, status: response.statusCode, durationMs, outcome: error === undefined ? 'ok' : 'error', ...(error === undefined ? {} : { error }) },
        'request',
      );
    });
    next();
  };
}
