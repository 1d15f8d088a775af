import { mkdir, rmdir } from 'node:fs/promises';
import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import { quote } from '../base/quote.js';
import type { Logger } from '../log/logger.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { ReleaseResult, Store } from '../store/store.js';
import type { MountCheck, Mounter } from '../system/mounter.js';
import type { MountPlan, Volume, VolumeDriver } from './driver.js';
import { errnoCode, VolplexError } from './errors.js';
import { KeyedLock } from './keyed-lock.js';
import type { StaleReference } from './stale-references.js';
import { VolumeCatalog, type ResolvedVolume } from './volume-catalog.js';

/** Probes of a health round that run at once (each in its own child). */
const HEALTH_ROUND_PARALLELISM = 8;

/** What volplex last learned about a held backend mount, without touching it again. */
export interface BackendHealth {
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  /** Why it is unhealthy. */
  readonly reason?: string;
  /** When it last answered (RFC 3339), if ever since volplex started. */
  readonly lastAnswer?: string;
  readonly checkedAt?: string;
}

interface HealthRecord {
  readonly check: MountCheck;
  readonly checkedAt: number;
  readonly lastAnswerAt: number | undefined;
}

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
  readonly #health = new Map<string, HealthRecord>();
  #healthRound: Promise<void> | undefined;
  readonly #store: Store;
  readonly #mounter: Mounter;
  readonly #log: Logger;
  readonly #catalog: VolumeCatalog;
  readonly #metrics: MetricsRecorder;

  public constructor(
    @inject(TOKENS.store) store: Store,
    @inject(TOKENS.mounter) mounter: Mounter,
    @inject(TOKENS.logger) log: Logger,
    @inject(VolumeCatalog) catalog: VolumeCatalog,
    @inject(TOKENS.metrics) metrics: MetricsRecorder,
  ) {
    this.#store = store;
    this.#metrics = metrics;
    this.#mounter = mounter;
    this.#log = log;
    this.#catalog = catalog;
  }

  /**
   * Counts one reference from mount ID `id`, mounting the backend if it is not mounted
   * (or healing it if its server or FUSE process died). Returns the Mountpoint. On
   * failure nothing is counted and no mount or directory it made is left.
   */
  public async acquire(resolved: ResolvedVolume, id: string): Promise<string> {
    const { volume, driver, plan } = resolved;
    const { key, target, mountpoint } = this.#catalog.placement(resolved, this.#store.usage(volume.name).backendKey);
    // The first reference on this host takes what the volume's access mode asks of the store (a single-writer owner key).
    const first = this.#store.usage(volume.name).references === 0;
    if (first) {
      await this.#store.claim(volume.name);
    }
    try {
      await this.#backendLocks.run(key, async () => {
        await this.#ensureBackend(volume, driver, target);
        try {
          await this.#ensureSubdirectory(mountpoint, plan);
          await this.#store.addReference(volume.name, id, key);
        } catch (error) {
          if (this.#store.backendUsers(key) === 0) {
            await this.#unmountBackend(target, driver).catch((cleanupError: unknown) => { this.#log.error({ err: cleanupError, target }, 'could not undo a backend mount'); });
          }
          throw error;
        }
      });
    } catch (error) {
      if (first && this.#store.usage(volume.name).references === 0) {
        await this.#store.unclaim(volume.name).catch((unclaimError: unknown) => { this.#log.warn({ err: unclaimError, volume: volume.name }, 'could not give back what the failed mount claimed; the store takes it back when this host\'s lease ends'); });
      }
      throw error;
    }
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

  async #releaseVia(name: string, driver: VolumeDriver | undefined, release: () => Promise<ReleaseResult>): Promise<void> {
    const key = this.#store.usage(name).backendKey;
    if (key === null) {
      return;
    }
    await this.#backendLocks.run(key, async () => {
      const result = await release();
      if (result.released && result.backendUsers === 0) {
        await this.#unmountBackend(this.#catalog.target(key), driver);
      }
    });
  }

  /** The last probe's finding for a held backend, with when it last answered. */
  public healthOf(key: string): BackendHealth {
    const record = this.#health.get(this.#catalog.target(key));
    if (record === undefined) {
      return { health: 'unknown' };
    }
    const lastAnswer = record.lastAnswerAt === undefined ? {} : { lastAnswer: new Date(record.lastAnswerAt).toISOString() };
    const checkedAt = new Date(record.checkedAt).toISOString();
    return record.check.state === 'mounted'
      ? { health: 'healthy', checkedAt, ...lastAnswer }
      : { health: 'unhealthy', reason: record.check.reason ?? (record.check.state === 'absent' ? 'not mounted any more' : 'not answering'), checkedAt, ...lastAnswer };
  }

  /** Probe children killed at their deadline that are still stuck in the kernel. */
  public get stuckProbes(): number {
    return this.#mounter.stuckProbes;
  }

  /**
   * Probes every held backend mount (periodically, so Status notices a dead server between
   * Mounts). A round still running is joined, never doubled: a dead server cannot pile up work.
   */
  public checkHealth(): Promise<void> {
    this.#healthRound ??= this.#probeAll().finally(() => { this.#healthRound = undefined; });
    return this.#healthRound;
  }

  async #probeAll(): Promise<void> {
    const targets = [...this.#store.heldBackends().keys()].map((key) => this.#catalog.target(key));
    const next = { index: 0 };
    const worker = async (): Promise<void> => {
      for (let target = targets[next.index++]; target !== undefined; target = targets[next.index++]) {
        this.#recordHealth(target, await this.#mounter.probe(target));
      }
    };
    await Promise.all(Array.from({ length: Math.min(HEALTH_ROUND_PARALLELISM, targets.length) }, worker));
  }

  #recordHealth(target: string, check: MountCheck): void {
    const now = Date.now();
    const lastAnswerAt = check.state === 'mounted' ? now : this.#health.get(target)?.lastAnswerAt;
    this.#health.set(target, { check, checkedAt: now, lastAnswerAt });
  }

  /**
   * Unmounts a backend mount nobody counts (start-up reconcile). One on a network or FUSE
   * filesystem is detached lazily without a probe: a dead one must not hold up start-up.
   */
  public async unmountOrphan(target: string, remote: boolean, driver: VolumeDriver | undefined): Promise<void> {
    await this.#unmountBackend(target, driver, remote ? { state: 'stale' } : undefined);
  }

  async #ensureBackend(volume: Volume, driver: VolumeDriver, target: string): Promise<void> {
    const check = await this.#mounter.probe(target);
    this.#recordHealth(target, check);
    if (check.state === 'mounted') {
      return;
    }
    if (check.state === 'stale') {
      this.#log.warn({ volume: volume.name, target, reason: check.reason }, 'backend mount is not answering (server or FUSE process gone): replacing it');
      // Detached lazily and its client ended: a stopped client would never let go otherwise.
      await this.#mounter.abandon(target);
    }
    // The mount root is on a local filesystem, and nothing is mounted at target now.
    const madeDirectory = await mkdir(target, { recursive: true, mode: 0o755 });
    try {
      await driver.mount(volume, target);
    } catch (error) {
      await this.#mounter.abandon(target).catch((cleanupError: unknown) => { this.#log.error({ err: cleanupError, target }, 'could not clean up after a failed mount'); });
      if (madeDirectory !== undefined) {
        await this.#removeMountDirectory(target);
      }
      await driver.cleanup(target);
      throw error;
    }
    this.#recordHealth(target, { state: 'mounted' });
    if (check.state === 'stale') {
      this.#metrics.healed(driver.type);
    }
    this.#log.info({ volume: volume.name, type: driver.type, target }, 'backend mounted');
  }

  /** `known` skips the probe: what the caller already knows of the mount. */
  async #unmountBackend(target: string, driver: VolumeDriver | undefined, known = this.#knownStale(target)): Promise<void> {
    const check = known ?? (await this.#mounter.probe(target));
    if (check.state === 'stale') {
      // A plain umount of a mount whose server is gone can block in the kernel.
      this.#log.warn({ target }, 'backend mount is not answering: detaching it lazily');
      await this.#mounter.unmount(target, true);
    } else if (check.state === 'mounted') {
      try {
        await this.#mounter.unmount(target, false);
      } catch (error) {
        this.#log.warn({ target, err: error }, 'unmount failed: detaching lazily');
        await this.#mounter.unmount(target, true);
      }
    }
    await this.#removeMountDirectory(target);
    await driver?.cleanup(target);
    this.#health.delete(target);
    this.#log.info({ target }, 'backend unmounted');
  }

  /** A mount the last probe found dead needs no new probe before a lazy detach. */
  #knownStale(target: string): MountCheck | undefined {
    const check = this.#health.get(target)?.check;
    return check?.state === 'stale' ? check : undefined;
  }

  /** Removes a backend mount's directory once the mount table no longer lists it. rmdir never removes data. */
  async #removeMountDirectory(target: string): Promise<void> {
    if (await this.#mounter.isListed(target)) {
      this.#log.warn({ target }, 'backend mount directory kept: something is still mounted there');
      return;
    }
    await rmdir(target).catch((error: unknown) => {
      if (errnoCode(error) !== 'ENOENT') {
        this.#log.warn({ target, err: error }, 'could not remove the backend mount directory');
      }
    });
  }

  /** The volume's directory inside its backend mount: checked, or made, by the Mounter (in a child on network mounts). */
  async #ensureSubdirectory(mountpoint: string, plan: MountPlan): Promise<void> {
    if (plan.subdir === '') {
      return;
    }
    const kind = await this.#mounter.inspect(mountpoint).catch((error: unknown) => {
      throw VolplexError.wrap(error, 'backend mount is not usable');
    });
    if (kind === 'directory') {
      return;
    }
    if (kind === 'other') {
      throw new VolplexError('InvalidParameter', `subdir ${quote(plan.subdir)} exists on the backend but is not a directory`);
    }
    if (!plan.createSubdir) {
      throw new VolplexError('InvalidParameter', `subdir ${quote(plan.subdir)} does not exist on the backend (create it, or set createSubdir)`);
    }
    await this.#mounter.makeDirectory(mountpoint, plan.ownership);
  }
}
