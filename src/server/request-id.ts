import type { RequestHandler, Response } from 'express';

import { inRequest, newRequestId } from '../log/request-context.js';

/**
 * After the body is read: the rest of the request (handler, service, drivers, commands) runs as
 * this request's work, so each of its log lines carries the id. Not earlier: the body arrives in
 * socket events, which do not run in the request's async context.
 */
export const enterRequest: RequestHandler = (_request, response, next) => {
  inRequest(requestIdOf(response), next);
};

export function requestIdOf(response: Response): string {
  const id: unknown = response.locals.requestId;
  return typeof id === 'string' ? id : newRequestId();
}
