import { request } from 'node:http';

import { type ListenAddress } from './listen-address.js';
import { METRICS_PATH } from './metrics-server.js';

export interface Scrape {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** `GET /metrics` as Prometheus sends it, from the listener at `address`; rejects on no answer within `timeoutMs`. */
export function scrapeMetrics(address: ListenAddress, timeoutMs: number): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const where = 'path' in address ? { socketPath: address.path } : { host: address.host, port: address.port };
    const outgoing = request({ ...where, path: METRICS_PATH, method: 'GET', timeout: timeoutMs, headers: { Accept: 'text/plain' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString('utf8') }); });
      response.on('error', reject);
    });
    outgoing.on('timeout', () => { outgoing.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)); });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
