import { access, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

import type { CommandRunner } from './command-runner.js';

const HELPER_DIRS = ['/sbin', '/usr/sbin', '/bin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Whether the running kernel lists a filesystem type in /proc/filesystems (nfs, nfs4, fuse…). */
export async function kernelSupports(fsType: string): Promise<boolean> {
  const text = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  return text.split('\n').some((line) => line.split('\t').pop()?.trim() === fsType);
}

/** The path of a helper program (mount.nfs, mount.glusterfs) or a name on PATH, if installed. */
export async function findProgram(name: string): Promise<string | undefined> {
  const candidates = name.includes('/') ? [name] : [...(process.env.PATH ?? '').split(':').filter((dir) => dir !== ''), ...HELPER_DIRS].map((dir) => join(dir, name));
  for (const candidate of candidates) {
    if (await access(candidate, 1).then(() => true, () => false)) {
      return candidate;
    }
  }
  return undefined;
}

export type Reachability = 'open' | 'refused' | 'timeout' | 'unresolved' | 'unreachable';

/** Tries a TCP connection, bounded by timeoutMs; never hangs. */
export function tcpReachability(host: string, port: number, timeoutMs: number): Promise<Reachability> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: Reachability): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => { done('timeout'); });
    socket.once('connect', () => { done('open'); });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const byCode: Record<string, Reachability> = { ECONNREFUSED: 'refused', ENOTFOUND: 'unresolved', EAI_AGAIN: 'unresolved', ETIMEDOUT: 'timeout' };
      done(byCode[error.code ?? ''] ?? 'unreachable');
    });
  });
}

export function describeReachability(result: Reachability, what: string, host: string, port: number, timeoutMs: number): string {
  switch (result) {
    case 'open':
      return `${what} ${host} answers on port ${port}`;
    case 'refused':
      return `${what} ${host} refused connections on port ${port}`;
    case 'timeout':
      return `${what} ${host} did not answer on port ${port} within ${timeoutMs / 1000} s`;
    case 'unresolved':
      return `cannot resolve ${what} ${host}`;
    case 'unreachable':
      return `${what} ${host} is unreachable (port ${port})`;
  }
}

/** An NFS server's export paths (NFSv3 MOUNT protocol, via showmount), or undefined when it will not say. */
export async function listNfsExports(runner: CommandRunner, server: string): Promise<string[] | undefined> {
  try {
    const { stdout } = await runner.run('showmount', ['--exports', '--no-headers', '--', server], { providedBy: 'Debian package nfs-common' });
    return stdout.split('\n').map((line) => line.split(/\s+/)[0] ?? '').filter((path) => path !== '');
  } catch {
    return undefined;
  }
}
