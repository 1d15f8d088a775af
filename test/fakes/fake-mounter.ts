import { chmod, chown, lstat, mkdir, realpath, stat } from 'node:fs/promises';

import { VolplexError } from '../../src/core/errors.js';
import type { Ownership, PathKind } from '../../src/system/mount-probe.js';
import type { MountEntry } from '../../src/system/mountinfo.js';
import type { CommandRunner, RunOptions } from '../../src/system/command-runner.js';
import type { FileIdentity, InspectOptions, MountCheck, Mounter } from '../../src/system/mounter.js';

export type MounterAction =
  | { readonly op: 'mount'; readonly source: string; readonly target: string; readonly fstype: string; readonly options: readonly string[] }
  | { readonly op: 'unmount'; readonly target: string; readonly lazy: boolean }
  | { readonly op: 'abandon'; readonly target: string };

type FakeEntry = MountEntry & { stale: boolean; bound?: FileIdentity };

/**
 * An in-memory mount table with a log of every action, and failures scripted by the test.
 * Paths are looked at with node:fs (tests use plain directories), except below a mount
 * marked stale, which does not answer. A bind mount resolves its source when it is made, as
 * the kernel does: identify(target) then answers with that directory's identity.
 */
export class FakeMounter implements Mounter {
  public readonly actions: MounterAction[] = [];
  public stuckProbes = 0;
  /** Runs the FUSE clients of mountWithClient. */
  public readonly runner: CommandRunner | undefined;
  readonly #table = new Map<string, FakeEntry>();
  readonly #beforeMount: (() => void)[] = [];
  readonly #mountFailures: Error[] = [];
  readonly #unmountFailures: Error[] = [];

  public constructor(runner?: CommandRunner) {
    this.runner = runner;
  }

  public get mountCount(): number {
    return this.#table.size;
  }

  public isMounted(target: string): boolean {
    return this.#table.has(target);
  }

  /** The next mount() calls reject with these errors, in order. */
  public failNextMount(...errors: Error[]): void {
    this.#mountFailures.push(...errors);
  }

  /** The next unmount() calls (lazy or not) reject with these errors, in order. */
  public failNextUnmount(...errors: Error[]): void {
    this.#unmountFailures.push(...errors);
  }

  /** Runs task inside the next mount() call, before the source is resolved (a race staged by the test). */
  public beforeNextMount(task: () => void): void {
    this.#beforeMount.push(task);
  }

  /** Simulates a dead server or FUSE process behind a mount. */
  public markStale(target: string): void {
    const entry = this.#table.get(target);
    if (entry === undefined) {
      throw new Error(`fake mounter: ${target} is not mounted`);
    }
    entry.stale = true;
  }

  /** Simulates a mount made outside volplex (or left by a crashed daemon). */
  public addExisting(source: string, target: string, fstype = 'none'): void {
    this.#table.set(target, { source, mountPoint: target, device: '0:0', root: '/', fsType: fstype, options: 'rw', stale: false });
  }

  public async mount(source: string, target: string, fstype: string, options: readonly string[]): Promise<void> {
    this.actions.push({ op: 'mount', source, target, fstype, options });
    const failure = this.#mountFailures.shift();
    if (failure !== undefined) {
      throw failure;
    }
    if (this.#table.has(target)) {
      throw new Error(`fake mounter: ${target} is already mounted`);
    }
    this.#beforeMount.shift()?.();
    const bound = options.includes('bind') ? await stat(source).then(({ dev, ino }) => ({ dev, ino })) : undefined;
    this.#table.set(target, { source, mountPoint: target, device: '0:0', root: '/', fsType: fstype, options: options.join(','), stale: false, ...(bound === undefined ? {} : { bound }) });
  }

  public async identify(path: string): Promise<FileIdentity> {
    const bound = this.#table.get(path)?.bound;
    if (bound !== undefined) {
      return bound;
    }
    const { dev, ino } = await stat(path);
    return { dev, ino };
  }

  /** The client "mounts" target like mount() does; the runner is the real or scripted one the test gave. */
  public async mountWithClient(file: string, args: readonly string[], target: string, options?: RunOptions): Promise<void> {
    if (this.runner === undefined) {
      throw new Error('fake mounter: mountWithClient needs the runner given to its constructor');
    }
    await this.runner.run(file, args, options);
    await this.mount(file, target, `fuse.${file}`, []);
  }

  public async unmount(target: string, lazy: boolean): Promise<void> {
    this.actions.push({ op: 'unmount', target, lazy });
    const failure = this.#unmountFailures.shift();
    if (failure !== undefined) {
      throw failure;
    }
    this.#table.delete(target);
  }

  public async abandon(target: string): Promise<void> {
    this.actions.push({ op: 'abandon', target });
    this.#table.delete(target);
  }

  public async probe(target: string): Promise<MountCheck> {
    const entry = this.#table.get(target);
    if (entry === undefined) {
      return { state: 'absent' };
    }
    return entry.stale ? { state: 'stale', reason: 'no answer within 5 s' } : { state: 'mounted' };
  }

  public async isListed(target: string): Promise<boolean> {
    return this.#table.has(target);
  }

  public async inspect(path: string, _options?: InspectOptions): Promise<PathKind> {
    this.#assertAnswers(path);
    const found = await stat(path).catch(() => undefined);
    return found === undefined ? 'missing' : found.isDirectory() ? 'directory' : 'other';
  }

  /** As the real one: the directories are real, and so are the owner and mode set on the last one. */
  public async makeDirectory(path: string, ownership: Ownership = {}): Promise<void> {
    this.#assertAnswers(path);
    await mkdir(path, { recursive: true, mode: ownership.mode ?? 0o755 });
    if (ownership.mode !== undefined) {
      await chmod(path, ownership.mode);
    }
    if (ownership.uid !== undefined || ownership.gid !== undefined) {
      await chown(path, ownership.uid ?? -1, ownership.gid ?? -1);
    }
  }

  public async openDirectory(path: string): Promise<FileIdentity & { readonly path: string }> {
    this.#assertAnswers(path);
    const found = await lstat(path);
    if (!found.isDirectory()) {
      throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
    }
    return { path, dev: found.dev, ino: found.ino };
  }

  public async realpath(path: string): Promise<string | undefined> {
    this.#assertAnswers(path);
    return realpath(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw error;
    });
  }

  #assertAnswers(path: string): void {
    for (const [mountPoint, entry] of this.#table) {
      if (entry.stale && (path === mountPoint || path.startsWith(`${mountPoint}/`))) {
        throw new VolplexError('Unavailable', 'the backend mount did not answer: no answer within 5 s');
      }
    }
  }

  public async listBelow(root: string): Promise<MountEntry[]> {
    return [...this.#table.values()].filter((entry) => entry.mountPoint.startsWith(`${root}/`));
  }
}
