import { mkdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import type { VolplexConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseResult, Store } from '../store/store.js';
import type { Mounter, MountState } from '../system/mounter.js';
import { backendKey, backendTarget } from './backend-key.js';
import type { MountPlan, Volume, VolumeDriver } from './driver.js';
import { errnoCode, VolplexError } from './errors.js';
import { KeyedLock } from './keyed-lock.js';
import type { StaleReference } from './stale-references.js';

/**
 * Counts mounts at two levels for every backend. A volume holds a count per mount ID
 * and holds its backend mount while any count is left; a backend mount is made for
 * the first volume that needs it and unmounted when the last lets go. Counts are in
 * the store before a call returns. Callers hold the volume's lock; backend mounts
 * have their own, so volumes on different backends never wait on each other.
 */
@injectable()
export class MountRefcounter {
  readonly #backendLocks = new KeyedLock();
  /** What the last probe of each backend mount found, for Status without touching the mount. */
  readonly #health = new Map<string, MountState>();
  readonly #store: Store;
  readonly #mounter: Mounter;
  readonly #log: Logger;
  readonly #mountRoot: string;

  public constructor(
    @inject(TOKENS.store) store: Store,
    @inject(TOKENS.mounter) mounter: Mounter,
    @inject(TOKENS.logger) log: Logger,
    @inject(TOKENS.config) config: VolplexConfig,
  ) {
    this.#store = store;
    this.#mounter = mounter;
    this.#log = log;
    this.#mountRoot = config.mountRoot;
  }

  /** The volume's Mountpoint, whether or not it is mounted now; `heldKey` is the backend it holds, if any. */
  public mountpointOf(type: string, plan: MountPlan, heldKey: string | null): string {
    return this.#placement(type, plan, heldKey).mountpoint;
  }

  /**
   * Counts one reference from mount ID `id`, mounting the backend if it is not mounted
   * (or healing it if its server or FUSE process died). Returns the Mountpoint. On
   * failure nothing is counted and no mount or directory it made is left.
   */
  public async acquire(volume: Volume, driver: VolumeDriver, id: string): Promise<string> {
    const plan = driver.plan(volume);
    const { key, target, mountpoint } = this.#placement(driver.type, plan, this.#store.usage(volume.name).backendKey);
    await this.#backendLocks.run(key, async () => {
      await this.#ensureBackend(volume, driver, target);
      try {
        await ensureDirectory(mountpoint, plan.createSubdir, plan.subdir);
        this.#store.addReference(volume.name, id, key);
      } catch (error) {
        if (this.#store.backendUsers(key) === 0) {
          await this.#unmountBackend(target, driver).catch((cleanupError: unknown) => { this.#log.error({ err: cleanupError, target }, 'could not undo a backend mount'); });
        }
        throw error;
      }
    });
    return mountpoint;
  }

  /**
   * Drops one reference from mount ID `id` (an unknown ID changes nothing) and unmounts
   * the backend when no volume holds it. The count is released even if the unmount fails;
   * the failure is then thrown.
   */
  public async release(name: string, id: string, driver: VolumeDriver | undefined): Promise<void> {
    await this.#releaseVia(name, driver, () => this.#store.releaseReference(name, id));
  }

  /**
   * Forgets references no live container holds (issue 14: see HolderReconciler), through the
   * same path as release: the backend is unmounted when no volume holds it any more.
   */
  public async dropReference(name: string, stale: StaleReference, driver: VolumeDriver | undefined): Promise<void> {
    await this.#releaseVia(name, driver, () => this.#store.dropReference(name, stale.id, stale.lifetime, stale.count));
  }

  async #releaseVia(name: string, driver: VolumeDriver | undefined, release: () => ReleaseResult): Promise<void> {
    const key = this.#store.usage(name).backendKey;
    if (key === null) {
      return;
    }
    await this.#backendLocks.run(key, async () => {
      const result = release();
      if (result.released && result.backendUsers === 0) {
        await this.#unmountBackend(backendTarget(this.#mountRoot, key), driver);
      }
    });
  }

  /** The last probe's finding for a held backend: healthy, unhealthy (server or client gone) or unknown. */
  public healthOf(key: string): 'healthy' | 'unhealthy' | 'unknown' {
    const state = this.#health.get(backendTarget(this.#mountRoot, key));
    return state === undefined ? 'unknown' : state === 'mounted' ? 'healthy' : 'unhealthy';
  }

  /** Probes every held backend mount (periodically, so Status notices a dead server between Mounts). */
  public async checkHealth(): Promise<void> {
    for (const key of this.#store.heldBackends().keys()) {
      const target = backendTarget(this.#mountRoot, key);
      this.#health.set(target, await this.#mounter.probe(target));
    }
  }

  /** Unmounts a backend mount nobody counts (start-up reconcile). */
  public async unmountOrphan(target: string, driver: VolumeDriver | undefined): Promise<void> {
    await this.#unmountBackend(target, driver);
  }

  /** Backend key, mount directory and Mountpoint. A volume in use stays on the backend it holds, even if its plan changed since. */
  #placement(type: string, plan: MountPlan, heldKey: string | null): { key: string; target: string; mountpoint: string } {
    const key = heldKey ?? backendKey(type, plan.key);
    const target = backendTarget(this.#mountRoot, key);
    return { key, target, mountpoint: join(target, plan.subdir) };
  }

  async #ensureBackend(volume: Volume, driver: VolumeDriver, target: string): Promise<void> {
    const state = await this.#mounter.probe(target);
    this.#health.set(target, state);
    if (state === 'mounted') {
      return;
    }
    if (state === 'stale') {
      this.#log.warn({ volume: volume.name, target }, 'backend mount is not answering (server or FUSE process gone): remounting');
      await this.#mounter.unmount(target, true);
    }
    const madeDirectory = await mkdir(target, { recursive: true, mode: 0o755 });
    try {
      await driver.mount(volume, target);
    } catch (error) {
      await this.#mounter.abandon(target).catch((cleanupError: unknown) => { this.#log.error({ err: cleanupError, target }, 'could not clean up after a failed mount'); });
      if (madeDirectory !== undefined) {
        await rmdir(target).catch(() => undefined);
      }
      await driver.cleanup(target);
      throw error;
    }
    this.#health.set(target, 'mounted');
    this.#log.info({ volume: volume.name, type: driver.type, target }, 'backend mounted');
  }

  async #unmountBackend(target: string, driver: VolumeDriver | undefined): Promise<void> {
    const state = await this.#mounter.probe(target);
    if (state === 'stale') {
      // A plain umount of a mount whose server is gone can block in the kernel.
      this.#log.warn({ target }, 'backend mount is not answering: detaching it lazily');
      await this.#mounter.unmount(target, true);
    } else if (state === 'mounted') {
      try {
        await this.#mounter.unmount(target, false);
      } catch (error) {
        this.#log.warn({ target, err: error }, 'unmount failed: detaching lazily');
        await this.#mounter.unmount(target, true);
      }
    }
    await rmdir(target).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') {
        this.#log.warn({ target, err: error }, 'could not remove the backend mount directory');
      }
    });
    await driver?.cleanup(target);
    this.#health.delete(target);
    this.#log.info({ target }, 'backend unmounted');
  }
}

async function ensureDirectory(path: string, create: boolean, subdir: string): Promise<void> {
  const found = await stat(path).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') {
      return undefined;
    }
    throw VolplexError.wrap(error, 'backend mount is not usable');
  });
  if (found?.isDirectory() === true) {
    return;
  }
  if (found !== undefined) {
    throw new VolplexError('InvalidParameter', `subdir ${JSON.stringify(subdir)} exists on the backend but is not a directory`);
  }
  if (!create) {
    throw new VolplexError('InvalidParameter', `subdir ${JSON.stringify(subdir)} does not exist on the backend (create it, or set createSubdir)`);
  }
  await mkdir(path, { recursive: true, mode: 0o755 });
}
