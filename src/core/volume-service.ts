import { isDeepStrictEqual } from 'node:util';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import { quote } from '../base/quote.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Logger } from '../log/logger.js';
import type { MetricsRecorder, OperationName } from '../metrics/recorder.js';
import type { Store, VolumeRecord } from '../store/store.js';
import type { Volume, VolumeDriver } from './driver.js';
import { DriverRegistry } from './driver-registry.js';
import { VolplexError } from './errors.js';
import { checkInlineSecrets, inlineSecretOptions, inlineSecretsNotice } from './inline-secrets.js';
import { HolderReconciler } from './holder-reconciler.js';
import { MountRefcounter } from './mount-refcounter.js';
import { OperationTimer } from './operation-timer.js';
import { resolveOptions, type VolumeOptions } from './option-table.js';
import { VolumeLocks } from './volume-locks.js';
import { assertValidVolumeName, isValidVolumeName } from './volume-name.js';

export interface VolumeSummary {
  readonly name: string;
  readonly mountpoint: string;
}

export interface VolumeView extends VolumeSummary {
  readonly createdAt: string;
  readonly status: Readonly<Record<string, unknown>>;
}

/**
 * The volume operations behind the protocol. Answers Get/List/Path from the store
 * alone; serializes every change to one volume; mount-state changes wait for the
 * start-up reconcile. Errors are VolplexErrors prefixed with the operation and name. Each
 * operation's duration and result go to the metrics.
 */
@injectable()
export class VolumeService {
  readonly #volumeLocks: VolumeLocks;
  readonly #holders: HolderReconciler;
  readonly #store: Store;
  readonly #registry: DriverRegistry;
  readonly #refcounter: MountRefcounter;
  readonly #config: LiveConfig;
  readonly #log: Logger;
  readonly #metrics: MetricsRecorder;
  #ready: Promise<void> = Promise.resolve();

  public constructor(
    @inject(TOKENS.store) store: Store,
    @inject(DriverRegistry) registry: DriverRegistry,
    @inject(MountRefcounter) refcounter: MountRefcounter,
    @inject(TOKENS.config) config: LiveConfig,
    @inject(TOKENS.logger) log: Logger,
    @inject(VolumeLocks) volumeLocks: VolumeLocks,
    @inject(HolderReconciler) holders: HolderReconciler,
    @inject(TOKENS.metrics) metrics: MetricsRecorder,
  ) {
    this.#metrics = metrics;
    this.#volumeLocks = volumeLocks;
    this.#holders = holders;
    this.#store = store;
    this.#registry = registry;
    this.#refcounter = refcounter;
    this.#config = config;
    this.#log = log;
  }

  /** Mount, Unmount and Remove wait for this before touching mounts (start-up reconcile). */
  public holdMountsUntil(ready: Promise<void>): void {
    this.#ready = ready.catch((error: unknown) => { this.#log.error({ err: error }, 'start-up reconcile failed'); });
    this.#holders.holdChecksUntil(this.#ready);
  }

  /** Plugin.Activate: dockerd sends it once per lifetime, so a second one means dockerd restarted. */
  public activate(): void {
    this.#holders.activated();
  }

  public capabilities(): { scope: 'local' | 'global' } {
    return { scope: this.#config.current.scope };
  }

  public async create(name: string, given: VolumeOptions): Promise<void> {
    const timer = this.#timer('create');
    await timer.run(() => inContext(`create ${name}`, async () => {
      assertValidVolumeName(name);
      await this.#volumeLocks.run(name, async () => {
        const { type, ...options } = given;
        const driver = this.#registry.get(type ?? this.#config.current.defaultType);
        timer.type = driver.type;
        const volume: Volume = { name, type: driver.type, options: resolveOptions(driver.type, driver.options, options) };
        const existing = this.#store.getVolume(name);
        if (existing !== undefined) {
          this.#assertSameVolume(existing, volume);
          return;
        }
        const inlineSecrets = inlineSecretOptions(driver.options, options);
        const notice = checkInlineSecrets(this.#config.current.security.inlineSecrets, inlineSecrets);
        await driver.prepare(volume);
        try {
          this.#store.insertVolume({ name, type: driver.type, options, createdAt: new Date().toISOString() });
        } catch (error) {
          await driver.remove(volume);
          throw error;
        }
        this.#log.info({ volume: name, type: driver.type, optionNames: Object.keys(options) }, 'volume created');
        if (notice !== undefined) {
          this.#log.warn({ volume: name, optionNames: inlineSecrets }, notice);
        }
      });
    }));
  }

  public get(name: string): VolumeView {
    const timer = this.#timer('get');
    return timer.runSync(() => this.#get(name, timer));
  }

  #get(name: string, timer: OperationTimer): VolumeView {
    const record = this.#require(name, timer);
    const usage = this.#store.usage(name);
    const status: Record<string, unknown> = { type: record.type, mounted: usage.references > 0, references: usage.references, mountIds: usage.mountIds, ...this.#holders.findings.status(name, usage.references) };
    try {
      const { volume, driver } = this.#resolve(record);
      const plan = driver.plan(volume);
      const mountpoint = this.#refcounter.mountpointOf(driver.type, plan, usage.backendKey);
      const backend = usage.backendKey === null ? { backendSharedBy: 0 } : { backendSharedBy: this.#store.backendUsers(usage.backendKey), ...this.#healthStatus(usage.backendKey) };
      return { name, createdAt: record.createdAt, mountpoint, status: { ...status, ...plan.details, ...backend, ...this.#inlineSecretsWarning(driver, volume) } };
    } catch (error) {
      // Never answer "not found" for a volume that exists: dockerd would forget it.
      return { name, createdAt: record.createdAt, mountpoint: '', status: { ...status, error: VolplexError.wrap(error, 'options').message } };
    }
  }

  public list(): VolumeSummary[] {
    return this.#timer('list').runSync(() => this.#list());
  }

  #list(): VolumeSummary[] {
    const heldKeys = new Map<string, string>();
    for (const [key, names] of this.#store.heldBackends()) {
      names.forEach((name) => heldKeys.set(name, key));
    }
    return this.#store.listVolumes().map((record) => ({ name: record.name, mountpoint: this.#mountpointOrEmpty(record, heldKeys.get(record.name) ?? null) }));
  }

  /** The Mountpoint while mounted, else ''. */
  public path(name: string): string {
    const timer = this.#timer('path');
    return timer.runSync(() => {
      const record = this.#require(name, timer);
      const usage = this.#store.usage(name);
      return usage.references > 0 ? this.#mountpointOrEmpty(record, usage.backendKey) : '';
    });
  }

  public async mount(name: string, id: string): Promise<string> {
    const timer = this.#timer('mount');
    await this.#ready;
    return timer.run(() => inContext(`mount ${name}`, () =>
      this.#volumeLocks.run(name, async () => {
        const { volume, driver } = this.#resolve(this.#require(name, timer));
        await this.#holders.beforeMount(name, id);
        const mountpoint = await this.#refcounter.acquire(volume, driver, id);
        this.#log.info({ volume: name, id, references: this.#store.usage(name).references }, 'mount counted');
        return mountpoint;
      }),
    ));
  }

  public async unmount(name: string, id: string): Promise<void> {
    const timer = this.#timer('unmount');
    await this.#ready;
    await timer.run(() => inContext(`unmount ${name}`, () =>
      this.#volumeLocks.run(name, async () => {
        const record = this.#require(name, timer);
        await this.#refcounter.release(name, id, this.#registry.find(record.type));
        this.#log.info({ volume: name, id, references: this.#store.usage(name).references }, 'unmount counted');
      }),
    ));
  }

  public async remove(name: string): Promise<void> {
    const timer = this.#timer('remove');
    await this.#ready;
    await timer.run(() => inContext(`remove ${name}`, () =>
      this.#volumeLocks.run(name, async () => {
        const record = this.#require(name, timer);
        await this.#holders.beforeRemove(name);
        const usage = this.#store.usage(name);
        if (usage.references > 0) {
          const held = this.#holders.findings.note(name, usage.references);
          throw new VolplexError('Conflict', `volume is in use (${usage.references} mount(s) from ${usage.mountIds} container mount point(s)); stop the containers using it first${held}`);
        }
        await this.#removeOwnedData(record);
        this.#store.deleteVolume(name);
        this.#log.info({ volume: name }, 'volume removed');
      }),
    ));
  }

  /** Status fields from the last probe of a held backend mount: never a probe of its own. */
  #healthStatus(key: string): Record<string, unknown> {
    const health = this.#refcounter.healthOf(key);
    const stuck = this.#refcounter.stuckProbes;
    return {
      backendHealth: health.health,
      ...(health.reason === undefined ? {} : { backendHealthReason: health.reason }),
      ...(health.lastAnswer === undefined ? {} : { backendLastAnswer: health.lastAnswer }),
      ...(health.checkedAt === undefined ? {} : { backendCheckedAt: health.checkedAt }),
      ...(stuck === 0 ? {} : { stuckProbeChildren: stuck }),
    };
  }

  /** The volume's record; notes its type on the operation's timer. */
  #require(name: string, timer?: OperationTimer): VolumeRecord {
    const record = isValidVolumeName(name) ? this.#store.getVolume(name) : undefined;
    if (record === undefined) {
      throw new VolplexError('NotFound', `volume ${quote(name)} not found`);
    }
    if (timer !== undefined) {
      timer.type = record.type;
    }
    return record;
  }

  #timer(operation: OperationName): OperationTimer {
    return new OperationTimer(this.#metrics, operation);
  }

  #resolve(record: VolumeRecord): { volume: Volume; driver: VolumeDriver } {
    const driver = this.#registry.get(record.type);
    return { driver, volume: { name: record.name, type: driver.type, options: resolveOptions(driver.type, driver.options, record.options) } };
  }

  /** Status says so while the policy is not allow, for volumes created before a stricter one too. */
  #inlineSecretsWarning(driver: VolumeDriver, volume: Volume): { warning?: string } {
    const names = inlineSecretOptions(driver.options, volume.options);
    return names.length === 0 || this.#config.current.security.inlineSecrets === 'allow' ? {} : { warning: inlineSecretsNotice(names) };
  }

  #mountpointOrEmpty(record: VolumeRecord, heldKey: string | null): string {
    try {
      const { volume, driver } = this.#resolve(record);
      return this.#refcounter.mountpointOf(driver.type, driver.plan(volume), heldKey);
    } catch {
      return '';
    }
  }

  #assertSameVolume(existing: VolumeRecord, wanted: Volume): void {
    const same = existing.type === wanted.type && isDeepStrictEqual(this.#resolve(existing).volume.options, wanted.options);
    if (!same) {
      throw new VolplexError('Conflict', `a volume with this name already exists with other options (type ${existing.type}); remove it first or choose another name`);
    }
  }

  async #removeOwnedData(record: VolumeRecord): Promise<void> {
    let resolved: { volume: Volume; driver: VolumeDriver };
    try {
      resolved = this.#resolve(record);
    } catch (error) {
      this.#log.warn({ volume: record.name, err: error }, 'options no longer valid: removing the record only, owned data (if any) is left');
      return;
    }
    await resolved.driver.remove(resolved.volume);
  }
}

async function inContext<T>(context: string, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw VolplexError.wrap(error, context);
  }
}
