import type { ErrorRequestHandler, RequestHandler } from 'express';

import { oneLine, quote } from '../base/quote.js';
import { VolplexError, type ErrorKind } from '../core/errors.js';
import { requestIdOf } from './request-id.js';

// dockerd reads only Err; the status is for people and tools reading the socket.
const STATUS: Record<ErrorKind, number> = { InvalidParameter: 400, NotFound: 404, Conflict: 409, Unavailable: 503, System: 500 };

/**
 * `{"Err": …}`: the message on one printable line, never empty (dockerd treats "" as success),
 * ending with the request's id (" [req 7f3a2c]"), which every log line of that request carries.
 */
export function errorBody(message: string, requestId: string): string {
  const line = oneLine(message);
  return JSON.stringify({ Err: `${line === '' ? 'internal error: an error without a message' : line} [req ${requestId}]` });
}

/** Any failure becomes a non-200 status with `{"Err": "…"}`. */
export const errorResponse: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  const { status, message } = describe(error);
  sendError(response, status, message);
};

export const unknownEndpoint: RequestHandler = (request, response) => {
  sendError(response, 404, `unknown endpoint ${request.method} ${quote(request.path)}; the plugin protocol has POST /Plugin.Activate and POST /VolumeDriver.*`);
};

function sendError(response: Parameters<RequestHandler>[1], status: number, message: string): void {
  const body = errorBody(message, requestIdOf(response));
  response.locals.error = (JSON.parse(body) as { Err: string }).Err;
  response.status(status).type('application/json').send(body);
}

// body-parser's error types: what the client did wrong, said plainly.
const BODY_ERRORS: Readonly<Record<string, string>> = {
  'entity.too.large': 'the body is larger than the limit',
  'request.aborted': 'the body was cut off (the client closed the connection)',
  'request.size.invalid': 'the body is shorter or longer than its Content-Length',
  'encoding.unsupported': 'the body has a Content-Encoding volplex does not read',
  'charset.unsupported': 'the body has a charset volplex does not read',
};

function describe(error: unknown): { status: number; message: string } {
  if (VolplexError.is(error)) {
    return { status: STATUS[error.kind], message: error.message };
  }
  const { status, type, limit } = error as { status?: unknown; type?: unknown; limit?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
    const bound = typeof limit === 'number' && type === 'entity.too.large' ? ` of ${limit} bytes` : '';
    return { status, message: `request rejected: ${known === undefined ? (error as Error).message : `${known}${bound}`}` };
  }
  return { status: 500, message: `internal error: ${error instanceof Error ? error.message : String(error)}` };
}
