import { constants } from 'node:fs';
import { chmod, chown, mkdir, open, readlink, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

import { errnoCode } from '../core/errors.js';
import type { CommandRunner, RunOptions } from './command-runner.js';
import { isRemoteFilesystem } from './filesystem-kinds.js';
import { MountProbe, type Ownership, type PathKind } from './mount-probe.js';
import { MountTable } from './mount-table.js';
import type { MountEntry } from './mountinfo.js';
import type { FileIdentity, InspectOptions, MountCheck, Mounter } from './mounter.js';

const PROVIDED_BY = { providedBy: 'Debian package mount' };
const DEFAULT_PROBE_TIMEOUT_MS = 5000;

/**
 * Mounts through mount(8)/umount(8), the mount table for what is mounted, and node:fs for
 * paths on local filesystems only: anything on a network or FUSE mount is looked at by
 * the MountProbe's children.
 */
export class LinuxMounter implements Mounter {
  readonly #runner: CommandRunner;
  readonly #table: MountTable;
  readonly #probe: MountProbe;

  public constructor(runner: CommandRunner, options: { readonly table?: MountTable; readonly probeTimeoutMs?: number } = {}) {
    this.#runner = runner;
    this.#table = options.table ?? new MountTable();
    this.#probe = new MountProbe(runner, options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
  }

  public get stuckProbes(): number {
    return this.#probe.stuckChildren;
  }

  public async mount(source: string, target: string, fstype: string, options: readonly string[], sensitive: readonly string[] = []): Promise<void> {
    const args = [...(fstype === '' ? [] : ['-t', fstype]), ...(options.length === 0 ? [] : ['-o', options.join(',')]), '--', source, target];
    // A bind mount shows the type and device of the filesystem its source lives on; any other
    // mount's device is known only from the next read of the table.
    const holder = fstype === '' ? await this.#table.filesystemOf(source) : undefined;
    // A bind of a local directory is quick; mount(8) resolves the source, which on a network mount may wait.
    const quick = fstype === '' && (holder === undefined || !isRemoteFilesystem(holder.fsType));
    await this.#runner.run('mount', args, { secrets: sensitive, startsDaemon: fstype !== '', quick, ...PROVIDED_BY });
    const root = holder === undefined ? '/' : join(holder.root, relative(holder.mountPoint, source));
    this.#table.noteMounted({ mountPoint: target, root, fsType: holder?.fsType ?? (fstype || 'none'), device: holder?.device ?? '0:0', source, options: options.join(',') });
  }

  public async mountWithClient(file: string, args: readonly string[], target: string, options: RunOptions = {}): Promise<void> {
    try {
      await this.#runner.run(file, args, { ...options, startsDaemon: true });
    } finally {
      this.#table.forget(target);
    }
    await this.#table.lookupExact(target);
  }

  public async unmount(target: string, lazy: boolean): Promise<void> {
    const entry = await this.#table.lookup(target);
    const quick = entry !== undefined && !isRemoteFilesystem(entry.fsType);
    try {
      // -c: no path canonicalization, which would stat a dead mount. -f aborts requests to a dead server; -l detaches at once.
      await this.#runner.run('umount', lazy ? ['-c', '-f', '-l', '--', target] : ['-c', '--', target], { quick, ...PROVIDED_BY });
    } catch (error) {
      // Only the kernel knows what a failed umount left: ask it, not our notes.
      this.#table.forget(target);
      if (await this.#table.lookupExact(target) !== undefined) {
        throw error;
      }
    }
    this.#table.noteUnmounted(target);
  }

  public async abandon(target: string): Promise<void> {
    await this.unmount(target, true);
    for (const pid of (await this.#probe.processesNaming(target)) ?? []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }

  public async probe(target: string): Promise<MountCheck> {
    const entry = await this.#table.lookup(target);
    if (entry === undefined) {
      return { state: 'absent' };
    }
    if (!isRemoteFilesystem(entry.fsType)) {
      return { state: 'mounted' };
    }
    const result = await this.#probe.answers(target);
    return result.answered ? { state: 'mounted' } : { state: 'stale', reason: result.reason };
  }

  public async isListed(target: string): Promise<boolean> {
    return (await this.#table.lookupExact(target)) !== undefined;
  }

  public listBelow(root: string): Promise<MountEntry[]> {
    return this.#table.below(root);
  }

  public async inspect(path: string, options: InspectOptions = {}): Promise<PathKind> {
    const remote = options.mountPoint ?? (await this.#remoteMountHolding(path));
    if (remote !== undefined) {
      return this.#probe.inspect(remote, path, options.deadlineMs);
    }
    const found = await stat(path).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT') {
        return undefined;
      }
      throw error;
    });
    return found === undefined ? 'missing' : found.isDirectory() ? 'directory' : 'other';
  }

  public async makeDirectory(path: string, ownership: Ownership = {}): Promise<void> {
    const remote = await this.#remoteMountHolding(path);
    if (remote !== undefined) {
      await this.#probe.makeDirectory(remote, path, ownership);
      return;
    }
    await mkdir(path, { recursive: true, mode: ownership.mode ?? 0o755 });
    await applyOwnership(path, ownership);
  }

  public async identify(path: string): Promise<FileIdentity> {
    const remote = await this.#remoteMountHolding(path);
    if (remote !== undefined) {
      const { dev, ino } = await this.#probe.identify(remote, path);
      return { dev, ino };
    }
    const { dev, ino } = await stat(path);
    return { dev, ino };
  }

  public async openDirectory(path: string): Promise<FileIdentity & { readonly path: string }> {
    const remote = await this.#remoteMountHolding(path);
    if (remote !== undefined) {
      // A child cannot hand back an open file: lstat there refuses a last symlink all the same.
      const found = await this.#probe.identify(remote, path);
      if (!found.directory) {
        throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
      }
      return { path, dev: found.dev, ino: found.ino };
    }
    const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      const opened = await readlink(`/proc/self/fd/${handle.fd}`);
      const { dev, ino } = await handle.stat();
      return { path: opened, dev, ino };
    } finally {
      await handle.close();
    }
  }

  public async realpath(path: string): Promise<string | undefined> {
    const remote = await this.#remoteMountHolding(path);
    if (remote !== undefined) {
      return this.#probe.realpath(remote, path);
    }
    return realpath(path).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT') {
        return undefined;
      }
      throw error;
    });
  }

  /** The mount point of the network or FUSE mount holding path, if one does. */
  async #remoteMountHolding(path: string): Promise<string | undefined> {
    const entry = await this.#table.filesystemOf(path);
    return entry !== undefined && isRemoteFilesystem(entry.fsType) ? entry.mountPoint : undefined;
  }
}

async function applyOwnership(path: string, ownership: Ownership): Promise<void> {
  if (ownership.mode !== undefined) {
    // mkdir's mode passes through the umask; chmod does not.
    await chmod(path, ownership.mode);
  }
  if (ownership.uid !== undefined || ownership.gid !== undefined) {
    await chown(path, ownership.uid ?? -1, ownership.gid ?? -1);
  }
}
