import { readdir, readFile, stat, statfs } from 'node:fs/promises';

import type { CommandRunner } from './command-runner.js';
import { listsMountPoint, MOUNTINFO_PATH, readMountinfo, type MountEntry } from './mountinfo.js';
import type { FileIdentity, Mounter, MountState } from './mounter.js';

/** A hung network mount must not hang a probe: answer "stale" after this long. */
const PROBE_TIMEOUT_MS = 5000;

export class LinuxMounter implements Mounter {
  readonly #runner: CommandRunner;

  public constructor(runner: CommandRunner) {
    this.#runner = runner;
  }

  public async mount(source: string, target: string, fstype: string, options: readonly string[], sensitive: readonly string[] = []): Promise<void> {
    const args = [...(fstype === '' ? [] : ['-t', fstype]), ...(options.length === 0 ? [] : ['-o', options.join(',')]), '--', source, target];
    await this.#runner.run('mount', args, { secrets: sensitive, providedBy: 'Debian package mount' });
  }

  public async unmount(target: string, lazy: boolean): Promise<void> {
    try {
      // -f aborts requests to a dead NFS server; -l detaches at once, even if busy.
      await this.#runner.run('umount', [...(lazy ? ['-f', '-l'] : []), '--', target], { providedBy: 'Debian package mount' });
    } catch (error) {
      if (!(await isListed(target))) {
        return;
      }
      throw error;
    }
  }

  public async abandon(target: string): Promise<void> {
    await this.unmount(target, true);
    for (const pid of await processesNaming(target)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  public async probe(target: string): Promise<MountState> {
    if (!(await isListed(target))) {
      return 'absent';
    }
    return (await answers(target)) ? 'mounted' : 'stale';
  }

  public async identify(path: string): Promise<FileIdentity> {
    const { dev, ino } = await stat(path);
    return { dev, ino };
  }

  public async listBelow(root: string): Promise<MountEntry[]> {
    const prefix = root.endsWith('/') ? root : `${root}/`;
    return (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(prefix));
  }
}

async function isListed(target: string): Promise<boolean> {
  return listsMountPoint(await readFile(MOUNTINFO_PATH, 'utf8'), target);
}

/** Processes (other than us) with target as one of their arguments. */
async function processesNaming(target: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  const found = await Promise.all(
    pids.map(async (pid) => {
      const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      return argv.split('\0').includes(target) ? Number(pid) : undefined;
    }),
  );
  return found.filter((pid): pid is number => pid !== undefined);
}

// statfs always reaches the server or FUSE process; stat may be answered from the attribute cache.
async function answers(target: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => { resolve(false); }, PROBE_TIMEOUT_MS);
  });
  const check = statfs(target).then(() => true, () => false);
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
