import { chmod, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';

import type { Logger } from '../log/logger.js';
import { removeStaleSocket } from '../server/listen.js';
import { describeListenAddress, parseListenAddress } from './listen-address.js';

/** What the listener serves: the exposition text and its content type. */
export interface MetricsSource {
  readonly contentType: string;
  exposition(): Promise<string>;
}

export const METRICS_PATH = '/metrics';

/**
 * Serves `GET /metrics` on `metrics.listen` (host:port, or a unix socket path made 0660): its
 * own server, never the plugin socket. Anything else gets 404 or 405.
 */
export async function listenForMetrics(source: MetricsSource, listen: string, log: Logger): Promise<Server> {
  const address = parseListenAddress(listen);
  const server = createServer((request, response) => {
    if (request.url?.split('?')[0] !== METRICS_PATH) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`volplex serves only ${METRICS_PATH} here\n`);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'GET, HEAD' }).end('only GET\n');
      return;
    }
    source.exposition().then(
      (text) => { response.writeHead(200, { 'Content-Type': source.contentType }).end(request.method === 'HEAD' ? undefined : text); },
      (error: unknown) => {
        log.error({ err: error }, 'could not collect the metrics');
        response.writeHead(500, { 'Content-Type': 'text/plain' }).end('could not collect the metrics\n');
      },
    );
  });
  if ('path' in address) {
    await mkdir(dirname(address.path), { recursive: true, mode: 0o755 });
    await removeStaleSocket(address.path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in address) {
      server.listen(address.path, ready);
    } else {
      server.listen(address.port, address.host, ready);
    }
  });
  if ('path' in address) {
    await chmod(address.path, 0o660);
  }
  log.info({ metrics: describeListenAddress(address), path: METRICS_PATH }, 'serving metrics');
  return server;
}
