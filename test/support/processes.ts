import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of the processes whose argv (from /proc/PID/cmdline) satisfies the test. */
export function processesWhere(matches: (argv: readonly string[]) => boolean): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return matches(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The FUSE client (glusterfs, s3fs…) serving the mount at target: its argv names both. */
export function fuseClients(binary: string, target: string): number[] {
  return processesWhere((argv) => argv[0]?.endsWith(binary) === true && argv.includes(target));
}
