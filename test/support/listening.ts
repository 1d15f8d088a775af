import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** What a process listens on: TCP ports (IPv4 and IPv6) and unix socket paths, from /proc. */
export function listeningSockets(pid: number): { tcpPorts: number[]; unixPaths: string[] } {
  const inodes = new Set(
    readdirSync(`/proc/${pid}/fd`)
      .map((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { return ''; } })
      .map((link) => /^socket:\[(\d+)\]$/.exec(link)?.[1])
      .filter((inode): inode is string => inode !== undefined),
  );
  const tcpPorts = ['tcp', 'tcp6'].flatMap((file) =>
    readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').slice(1)
      .map((line) => line.trim().split(/\s+/))
      // local_address is fields[1] (ADDR:PORT in hex), st fields[3] (0A: LISTEN), inode fields[9].
      .filter((fields) => fields[3] === '0A' && inodes.has(fields[9] ?? ''))
      .map((fields) => parseInt(fields[1]?.split(':')[1] ?? '0', 16)),
  );
  const unixPaths = readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    // Flags fields[3] 00010000: accepting connections; inode fields[6]; path fields[7].
    .filter((fields) => fields[3] === '00010000' && inodes.has(fields[6] ?? ''))
    .map((fields) => fields[7] ?? '');
  return { tcpPorts, unixPaths };
}

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0); });
    });
  });
}
