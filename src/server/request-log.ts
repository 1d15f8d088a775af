import type { RequestHandler } from 'express';

import { printable } from '../base/quote.js';
import type { Logger } from '../log/logger.js';
import { newRequestId } from '../log/request-context.js';
import { requestIdOf } from './request-id.js';
import { ROUTES } from './routes.js';

/** Answered from memory and asked constantly by dockerd (each `docker volume ls`, each container start): their successes are logged at debug. */
const READS = new Set<string>([ROUTES.get, ROUTES.path, ROUTES.list, ROUTES.capabilities]);

/**
 * First of all middleware: gives the request its id (for its log lines and its Err, even one its
 * body causes), and writes one line when it is answered: its id, endpoint, volume, mount ID,
 * duration and outcome, each printable and cut. Never options. At info, but for a successful
 * read (READS), which is at debug.
 */
export function requestLog(log: Logger): RequestHandler {
  return (request, response, next) => {
    const started = process.hrtime.bigint();
    response.locals.requestId = newRequestId();
    response.on('finish', () => {
      const error = response.locals.error as string | undefined;
      const level = error === undefined && READS.has(request.path) ? 'debug' : 'info';
      if (!log.isLevelEnabled(level)) {
        return;
      }
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log[level](
        { req: requestIdOf(response), endpoint: printable(request.path), volume: response.locals.volume as string | undefined, id: response.locals.id as string | undefined, status: response.statusCode, durationMs, outcome: error === undefined ? 'ok' : 'error', ...(error === undefined ? {} : { error }) },
        'request',
      );
    });
    next();
  };
}
