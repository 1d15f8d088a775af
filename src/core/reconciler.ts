import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Logger } from '../log/logger.js';
import type { MetricsRecorder } from '../metrics/recorder.js';
import type { Store } from '../store/store.js';
import { isRemoteFilesystem } from '../system/filesystem-kinds.js';
import type { Mounter } from '../system/mounter.js';
import { backendTarget, typeOfBackendKey, typeOfTarget } from './backend-key.js';
import { DriverRegistry } from './driver-registry.js';
import { MountRefcounter } from './mount-refcounter.js';

export interface ReconcileReport {
  /** Backend mounts the store counts and the kernel still has. */
  readonly adopted: string[];
  /** Volumes whose references were forgotten because their backend mount is gone. */
  readonly dropped: string[];
  /** Mounts under the mount root that nobody counted. */
  readonly unmounted: string[];
}

/**
 * Start-up: makes the store's counts and the kernel's mount table agree, without
 * inventing counts. The store is the only record of which containers use a volume.
 */
@injectable()
export class Reconciler {
  readonly #store: Store;
  readonly #mounter: Mounter;
  readonly #registry: DriverRegistry;
  readonly #refcounter: MountRefcounter;
  readonly #mountRoot: string;
  readonly #log: Logger;
  readonly #metrics: MetricsRecorder;

  public constructor(
    @inject(TOKENS.store) store: Store,
    @inject(TOKENS.mounter) mounter: Mounter,
    @inject(DriverRegistry) registry: DriverRegistry,
    @inject(MountRefcounter) refcounter: MountRefcounter,
    @inject(TOKENS.config) config: LiveConfig,
    @inject(TOKENS.logger) log: Logger,
    @inject(TOKENS.metrics) metrics: MetricsRecorder,
  ) {
    this.#metrics = metrics;
    this.#store = store;
    this.#mounter = mounter;
    this.#registry = registry;
    this.#refcounter = refcounter;
    // mountRoot is fixed at start (FIXED_SETTINGS): reading it once is reading it at use time.
    this.#mountRoot = config.current.mountRoot;
    this.#log = log;
  }

  public async run(): Promise<ReconcileReport> {
    const entries = new Map((await this.#mounter.listBelow(this.#mountRoot)).map((entry) => [entry.mountPoint, entry]));
    const mounted = new Set(entries.keys());
    const expected = new Set<string>();
    const report: ReconcileReport = { adopted: [], dropped: [], unmounted: [] };
    let droppedReferences = 0;
    for (const [key, names] of this.#store.heldBackends()) {
      const target = backendTarget(this.#mountRoot, key);
      if (mounted.has(target)) {
        expected.add(target);
        report.adopted.push(target);
        continue;
      }
      // Gone from the kernel (reboot, manual umount): no container can still be using it.
      droppedReferences += names.reduce((sum, name) => sum + this.#store.usage(name).references, 0);
      report.dropped.push(...(await this.#store.dropBackend(key)));
      await this.#registry.find(typeOfBackendKey(key))?.cleanup(target);
    }
    const orphans = [...mounted].filter((path) => !isAtOrBelowAny(path, expected)).sort((a, b) => b.length - a.length);
    const stillMounted = new Set(expected);
    for (const target of orphans) {
      try {
        await this.#refcounter.unmountOrphan(target, isRemoteFilesystem(entries.get(target)?.fsType ?? ''), this.#registry.find(typeOfTarget(target) ?? ''));
        report.unmounted.push(target);
      } catch (error) {
        stillMounted.add(target);
        this.#log.error({ err: error, target }, 'could not unmount a mount nobody counts; it is left in place');
      }
    }
    await this.#removeEmptyDirectories(stillMounted);
    this.#metrics.reconciled('adopted', report.adopted.length);
    this.#metrics.reconciled('dropped', droppedReferences);
    this.#metrics.reconciled('unmounted', report.unmounted.length);
    this.#log.info(report, 'reconciled counts with the kernel mount table');
    return report;
  }

  /** Directories left by a crash between mkdir and mount (never one still mounted). rmdir never removes data. */
  async #removeEmptyDirectories(keep: Set<string>): Promise<void> {
    const entries = await readdir(this.#mountRoot, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(this.#mountRoot, entry.name);
      if (entry.isDirectory() && !keep.has(path)) {
        await rmdir(path).catch(() => undefined);
      }
    }
  }
}

function isAtOrBelowAny(path: string, roots: Set<string>): boolean {
  return [...roots].some((root) => path === root || path.startsWith(`${root}/`));
}
