import { request } from 'node:http';

import { errnoCode } from '../core/errors.js';
import type { Holder, HolderFinder, HolderReport, VolumeLocation } from './holder-finder.js';

/** dockerd answers a container list in milliseconds; while it restores after a restart it does not answer at all. */
const DEFAULT_TIMEOUT_MS = 2000;
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Holders from the Docker Engine API on its unix socket: the running (and paused) containers
 * and the volumes they mount. Read-only: one `GET /containers/json`.
 */
export class DockerApiHolderFinder implements HolderFinder {
  readonly #socket: string;
  readonly #timeoutMs: number;

  public constructor(socket: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
  }

  public async find(volumes: readonly VolumeLocation[]): Promise<HolderReport> {
    if (this.#socket === '') {
      return { known: false, reason: 'the Docker API is not used (docker.socket is empty)' };
    }
    let containers: unknown;
    try {
      containers = await getJson(this.#socket, '/containers/json', this.#timeoutMs);
    } catch (error) {
      return { known: false, reason: `Docker API at ${this.#socket}: ${describeFailure(error, this.#timeoutMs)}` };
    }
    if (!Array.isArray(containers)) {
      return { known: false, reason: `Docker API at ${this.#socket}: the container list is not a JSON array` };
    }
    return { known: true, source: 'docker', detail: `Docker API at ${this.#socket}`, holders: holdersFromContainers(containers, volumes) };
  }
}

/**
 * Matches the containers' volume mounts by volume name. A volume name is unique within one
 * engine; the driver name is not checked beyond `local`, because a managed plugin's name is
 * whatever its installer chose, and dockerd leaves Source empty for plugin volumes.
 */
export function holdersFromContainers(containers: readonly unknown[], volumes: readonly VolumeLocation[]): Map<string, Holder[]> {
  const holders = new Map<string, Holder[]>(volumes.map((volume) => [volume.name, []]));
  for (const container of containers) {
    const { Id: id, Names: names, Mounts: mounts } = (container ?? {}) as { Id?: unknown; Names?: unknown; Mounts?: unknown };
    const name = Array.isArray(names) && typeof names[0] === 'string' ? names[0].replace(/^\//, '') : typeof id === 'string' ? id.slice(0, 12) : '?';
    for (const mount of Array.isArray(mounts) ? (mounts as unknown[]) : []) {
      const { Type: type, Name: volume, Destination: destination, Driver: driver } = (mount ?? {}) as Record<string, unknown>;
      const found = typeof volume === 'string' ? holders.get(volume) : undefined;
      if (type === 'volume' && driver !== 'local' && found !== undefined) {
        found.push({ container: name, destination: typeof destination === 'string' ? destination : '' });
      }
    }
  }
  return holders;
}

function getJson(socketPath: string, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ socketPath, path, method: 'GET', headers: { Host: 'docker', Accept: 'application/json' }, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          outgoing.destroy(new Error('answer too large'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        if (response.statusCode !== 200) {
          reject(new Error(`HTTP ${String(response.statusCode)}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error('the answer is not JSON'));
        }
      });
      response.on('error', reject);
    });
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const FAILURES: Readonly<Record<string, string>> = {
  ENOENT: 'no socket there',
  ECONNREFUSED: 'nothing listens there (dockerd not running?)',
  EACCES: 'permission denied',
};

function describeFailure(error: unknown, timeoutMs: number): string {
  const code = errnoCode(error) ?? '';
  if (code === 'ETIMEDOUT') {
    return `no answer within ${timeoutMs} ms (dockerd starting or restoring?)`;
  }
  return FAILURES[code] ?? (error instanceof Error ? error.message : String(error));
}
