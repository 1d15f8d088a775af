import type { ErrorRequestHandler, RequestHandler } from 'express';

import { VolplexError, type ErrorKind } from '../core/errors.js';

// dockerd reads only Err; the status is for people and tools reading the socket.
const STATUS: Record<ErrorKind, number> = { InvalidParameter: 400, NotFound: 404, Conflict: 409, Unavailable: 503, System: 500 };

/** Any failure becomes a non-200 status with `{"Err": "…"}`. */
export const errorResponse: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  const { status, message } = describe(error);
  response.locals.error = message;
  response.status(status).json({ Err: message });
};

export const unknownEndpoint: RequestHandler = (request, response) => {
  response.locals.error = 'unknown endpoint';
  response.status(404).json({ Err: `unknown endpoint ${request.method} ${request.path.slice(0, 100)}` });
};

function describe(error: unknown): { status: number; message: string } {
  if (VolplexError.is(error)) {
    return { status: STATUS[error.kind], message: error.message };
  }
  // body-parser errors: too large, aborted, bad encoding.
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: `request rejected: ${(error as Error).message}` };
  }
  return { status: 500, message: `internal error: ${error instanceof Error ? error.message : String(error)}` };
}
