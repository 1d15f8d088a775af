import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';

import type { RequestListener } from 'node:http';

import { VolplexError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { answerOutsideExpress } from './client-error.js';

// dockerd keeps idle connections for 30 s; closing ours first would break a request in flight.
const KEEP_ALIVE_MS = 75_000;

/** Serves on a unix socket (0660), replacing a stale socket file but never a live daemon's. */
export async function listenOnSocket(listener: RequestListener, socketPath: string, log?: Logger): Promise<Server> {
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  await removeStaleSocket(socketPath);
  // Go always sends Host; a request without one still gets a protocol answer instead of Node's bare 400.
  const server = createServer({ requireHostHeader: false }, listener);
  answerOutsideExpress(server, log);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o660);
  return server;
}

/** Removes a socket file nobody serves; throws for anything else at the path (a file, a live socket). */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  const found = await stat(socketPath).catch(() => undefined);
  if (found === undefined) {
    return;
  }
  if (!found.isSocket()) {
    throw new VolplexError('InvalidParameter', `socket path ${socketPath} exists and is not a socket`);
  }
  if (await answers(socketPath)) {
    throw new VolplexError('Conflict', `another process is already serving ${socketPath}`);
  }
  await rm(socketPath, { force: true });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => { resolve(false); });
  });
}
