import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { quote } from '../base/quote.js';
import type { Logger } from '../log/logger.js';
import { newRequestId } from '../log/request-context.js';
import { errorBody } from './error-response.js';

/** Node's code for what went wrong before a request reached express, and what to tell the caller. */
function describe(error: NodeJS.ErrnoException): { status: number; message: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, message: `request rejected: its headers are larger than ${maxHeaderSize} bytes` };
  }
  if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    return { status: 413, message: 'request rejected: its chunk extensions are too large' };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, message: 'request rejected: it did not arrive in time' };
  }
  return { status: 400, message: `request rejected: malformed HTTP (${error.code ?? 'parse error'}: ${error.message})` };
}

/** A whole HTTP/1.1 reply with `{"Err": …}`, written straight to a socket that then closes. */
function replyOnSocket(socket: Duplex, status: number, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * What never reaches express still gets a protocol reply: malformed HTTP, headers over Node's
 * limit (431), a slow request (408), CONNECT, and an Expect header other than 100-continue.
 * Each is a request with its own id, in its Err and in its log line.
 */
export function answerOutsideExpress(server: Server, log?: Logger): void {
  const reject = (status: number, message: string): string => {
    const req = newRequestId();
    log?.info({ req, status, outcome: 'error', error: message }, 'request rejected before it reached the protocol');
    return errorBody(message, req);
  };
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler does: never corrupt a reply already being written.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    const { status, message } = describe(error);
    replyOnSocket(socket, status, reject(status, message));
  });
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    replyOnSocket(socket, 405, reject(405, 'request rejected: CONNECT is not part of the plugin protocol; every call is a POST'));
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const body = reject(417, `request rejected: cannot meet Expect: ${quote(request.headers.expect ?? '')}`);
    response.writeHead(417, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' }).end(body);
  });
}
