import { request } from 'node:http';
import { connect } from 'node:net';

export interface PluginResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** The JSON encoding Go's encoder gives: a trailing newline. */
export function goJson(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** POSTs as dockerd does: no Content-Type, the plugin Accept header, Go's user agent. */
export function callPlugin(socketPath: string, endpoint: string, body: string): Promise<PluginResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        socketPath,
        path: endpoint,
        method: 'POST',
        headers: { Host: 'plugin', 'User-Agent': 'Go-http-client/1.1', Accept: 'application/vnd.docker.plugins.v1.2+json', 'Content-Length': Buffer.byteLength(body), 'Accept-Encoding': 'gzip' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // Left empty: the test asserts on text.
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed, text });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Writes raw bytes to the socket and returns everything until the server closes or `until` matches. */
export function rawExchange(socketPath: string, bytes: string | Buffer, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (until.test(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('end', () => { resolve(received); });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

/**
 * Writes raw bytes and returns what the server sent before it closed the connection. If it has
 * not closed after `ms`, the client half-closes (as a client giving up would) and waits `ms` more.
 */
export function rawRequest(socketPath: string, bytes: string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = '';
    const halfClose = setTimeout(() => { socket.end(); }, ms);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply and no close within ${2 * ms} ms; received ${JSON.stringify(received.slice(0, 200))}`));
    }, 2 * ms);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(halfClose);
      clearTimeout(giveUp);
      resolve(received);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}
