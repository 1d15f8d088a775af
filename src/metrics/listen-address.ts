import { isAbsolute, normalize } from 'node:path';

/** Where the metrics listener listens: a unix socket path, or a TCP host and port. */
export type ListenAddress = { readonly path: string } | { readonly host: string; readonly port: number };

// A unix socket path must fit sockaddr_un.sun_path (108 bytes with the NUL).
const MAX_SOCKET_PATH = 107;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6 = /^\[([0-9A-Fa-f:.]+)\]$/;

/** `metrics.listen`: `127.0.0.1:9597`, `[::1]:9597`, `localhost:9597`, or `/run/volplex-metrics.sock`. Throws saying what is valid. */
export function parseListenAddress(value: string): ListenAddress {
  if (value.startsWith('/')) {
    if (!isAbsolute(value) || normalize(value) !== value || value.endsWith('/') || value.includes('\0') || Buffer.byteLength(value) > MAX_SOCKET_PATH) {
      throw new Error(`must be a clean absolute unix socket path of at most ${MAX_SOCKET_PATH} bytes, or host:port`);
    }
    return { path: value };
  }
  const at = value.lastIndexOf(':');
  const hostPart = value.slice(0, Math.max(at, 0));
  const portPart = value.slice(at + 1);
  const host = IPV6.exec(hostPart)?.[1] ?? (HOST_NAME.test(hostPart) ? hostPart : undefined);
  const port = /^\d{1,5}$/.test(portPart) ? Number(portPart) : 0;
  if (at < 0 || host === undefined || port < 1 || port > 65535) {
    throw new Error('must be host:port (such as 127.0.0.1:9597 or [::1]:9597, port 1 to 65535) or an absolute unix socket path');
  }
  return { host, port };
}

/** As the log and doctor show it. */
export function describeListenAddress(address: ListenAddress): string {
  return 'path' in address ? address.path : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
