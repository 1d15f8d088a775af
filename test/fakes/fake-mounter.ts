import { stat } from 'node:fs/promises';

import type { MountEntry } from '../../src/system/mountinfo.js';
import type { FileIdentity, Mounter, MountState } from '../../src/system/mounter.js';

export type MounterAction =
  | { readonly op: 'mount'; readonly source: string; readonly target: string; readonly fstype: string; readonly options: readonly string[] }
  | { readonly op: 'unmount'; readonly target: string; readonly lazy: boolean }
  | { readonly op: 'abandon'; readonly target: string };

type FakeEntry = MountEntry & { stale: boolean; bound?: FileIdentity };

/**
 * An in-memory mount table with a log of every action, and failures scripted by the test.
 * A bind mount resolves its source when it is made, as the kernel does: identify(target)
 * then answers with that directory's identity.
 */
export class FakeMounter implements Mounter {
  public readonly actions: MounterAction[] = [];
  readonly #table = new Map<string, FakeEntry>();
  readonly #beforeMount: (() => void)[] = [];
  readonly #mountFailures: Error[] = [];
  readonly #unmountFailures: Error[] = [];

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
    this.#table.set(target, { source, mountPoint: target, root: '/', fsType: fstype, options: 'rw', stale: false });
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
    this.#table.set(target, { source, mountPoint: target, root: '/', fsType: fstype, options: options.join(','), stale: false, ...(bound === undefined ? {} : { bound }) });
  }

  public async identify(path: string): Promise<FileIdentity> {
    const bound = this.#table.get(path)?.bound;
    if (bound !== undefined) {
      return bound;
    }
    const { dev, ino } = await stat(path);
    return { dev, ino };
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

  public async probe(target: string): Promise<MountState> {
    const entry = this.#table.get(target);
    if (entry === undefined) {
      return 'absent';
    }
    return entry.stale ? 'stale' : 'mounted';
  }

  public async listBelow(root: string): Promise<MountEntry[]> {
    return [...this.#table.values()].filter((entry) => entry.mountPoint.startsWith(`${root}/`));
  }
}
