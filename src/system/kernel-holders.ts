import { readdir, readFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';

import type { Holder, HolderFinder, HolderReport, VolumeLocation } from './holder-finder.js';
import { MountTable } from './mount-table.js';
import { parseMountinfo, type MountEntry } from './mountinfo.js';

// Reads are of procfs only (comm, cgroup, mountinfo): the kernel writes them from its own
// tables, so none of them touches a mounted filesystem, dead or alive.
const BATCH = 32;

/** `comm` of the processes that prove this /proc is the host's: dockerd, and the shims that outlive it. */
const ENGINE_COMMANDS = ['dockerd', 'containerd-shim'];

/** The last path component of a container's cgroup: `<id>`, `docker-<id>.scope`, `libpod-<id>.scope`… */
const CONTAINER_CGROUP = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$/;

/**
 * Holders from the kernel, when the Docker API cannot answer: every container process's
 * mount table (`/proc/PID/mountinfo`, one per container) is searched for a bind of the
 * volume's backend mount, that is an entry of the same device whose root is the volume's
 * directory or below it. Copies of the backend mount itself (same directory name, e.g. in a
 * container that binds the host's /) are not holders. Needs the host's PID namespace.
 */
export class KernelHolderFinder implements HolderFinder {
  readonly #proc: string;
  readonly #ownMounts: MountTable;

  /** `ownMounts` is the daemon's MountTable; by default one read from `<procRoot>/self/mountinfo`. */
  public constructor(procRoot = '/proc', ownMounts?: MountTable) {
    this.#proc = procRoot;
    this.#ownMounts = ownMounts ?? new MountTable(() => this.#read('self/mountinfo'));
  }

  public async find(volumes: readonly VolumeLocation[]): Promise<HolderReport> {
    const processes = await this.#processes();
    if (!processes.some((process) => ENGINE_COMMANDS.some((command) => process.comm.startsWith(command)))) {
      return { known: false, reason: `no dockerd or containerd-shim process is visible in ${this.#proc}: it is not the host's process table (the host PID namespace is needed)` };
    }
    const ownContainer = containerIdOf(await this.#read('self/cgroup'));
    const containers = new Map<string, number[]>();
    for (const { pid, container } of processes) {
      if (container !== undefined && container !== ownContainer) {
        containers.set(container, [...(containers.get(container) ?? []), pid]);
      }
    }
    const wanted = await Promise.all(volumes.map(async (volume) => ({ volume, bind: bindOf(await this.#ownMounts.lookupExact(volume.backendTarget), volume) })));
    const holders = new Map<string, Holder[] | undefined>(wanted.map(({ volume, bind }) => [volume.name, bind === undefined ? undefined : []]));
    for (const [container, pids] of containers) {
      const table = await this.#mountinfoOfAny(pids);
      for (const { volume, bind } of wanted) {
        if (bind === undefined || !table.includes(` ${bind.device} `)) {
          continue;
        }
        for (const entry of parseMountinfo(table)) {
          if (entry.device === bind.device && isAtOrBelow(entry.root, bind.root) && basename(entry.mountPoint) !== basename(volume.backendTarget)) {
            holders.get(volume.name)?.push({ container: container.slice(0, 12), destination: entry.mountPoint });
          }
        }
      }
    }
    return { known: true, source: 'kernel', detail: `the mount tables of ${containers.size} container(s) in ${this.#proc}`, holders };
  }

  async #processes(): Promise<Array<{ pid: number; comm: string; container: string | undefined }>> {
    const pids = (await readdir(this.#proc).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(a) - Number(b));
    const found: Array<{ pid: number; comm: string; container: string | undefined }> = [];
    for (let start = 0; start < pids.length; start += BATCH) {
      found.push(
        ...(await Promise.all(
          pids.slice(start, start + BATCH).map(async (pid) => ({ pid: Number(pid), comm: (await this.#read(`${pid}/comm`)).trim(), container: containerIdOf(await this.#read(`${pid}/cgroup`)) })),
        )),
      );
    }
    return found;
  }

  /** One mount table per container: its processes share it. The first that still exists answers. */
  async #mountinfoOfAny(pids: readonly number[]): Promise<string> {
    for (const pid of pids) {
      const text = await this.#read(`${String(pid)}/mountinfo`);
      if (text !== '') {
        return text;
      }
    }
    return '';
  }

  /** '' when the file cannot be read (the process exited, or is not ours to read). */
  async #read(path: string): Promise<string> {
    return readFile(join(this.#proc, path), 'utf8').catch(() => '');
  }
}

/** The container a process belongs to, from its cgroup path; undefined for host processes. */
export function containerIdOf(cgroup: string): string | undefined {
  for (const line of cgroup.split('\n')) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    const match = CONTAINER_CGROUP.exec(path);
    if (match?.[1] !== undefined) {
      return match[1];
    }
  }
  return undefined;
}

/** The device and root a bind of the volume's Mountpoint has, from our own mount of its backend. */
function bindOf(backend: MountEntry | undefined, volume: VolumeLocation): { device: string; root: string } | undefined {
  return backend === undefined ? undefined : { device: backend.device, root: posix.join(backend.root, volume.subdir) };
}

function isAtOrBelow(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}
