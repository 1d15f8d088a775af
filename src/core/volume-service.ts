import { isDeepStrictEqual } from 'node:util';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import { quote } from '../base/quote.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Logger } from '../log/logger.js';
import type { MetricsRecorder, OperationName } from '../metrics/recorder.js';
import type { Store, VolumeRecord } from '../store/store.js';
import type { Volume } from './driver.js';
import { DriverRegistry } from './driver-registry.js';
import { VolplexError } from './errors.js';
import { checkInlineSecrets, inlineSecretOptions, inlineSecretsNotice } from './inline-secrets.js';
import { HolderReconciler } from './holder-reconciler.js';
import { MountRefcounter } from './mount-refcounter.js';
import { OperationTimer } from './operation-timer.js';
import { resolveOptions, type VolumeOptions } from './option-table.js';
import { sharingStatus } from './sharing-status.js';
import { accessFromOption, assertOnOwnHost } from './volume-access.js';
import { VolumeCatalog, type ResolvedVolume } from './volume-catalog.js';
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
 * The volume operations behind the protocol. Answers Get/List/Path from memory (the
 * store's state and the catalog); serializes every change to one volume; mount-state
 * changes wait for the start-up reconcile. Errors are VolplexErrors prefixed with the
 * operation and name. Each operation's duration and result go to the metrics.
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
  readonly #catalog: VolumeCatalog;
  readonly #metrics: MetricsRecorder;
  #ready: Promise<void> = Promise.resolve();
  /** The last List answer and what it was made from: reused until a record, a mount or the configuration changes. */
  #listed: { readonly version: number; readonly config: unknown; readonly summaries: readonly VolumeSummary[] } | undefined;

  public constructor(
    @inject(TOKENS.store) store: Store,
    @inject(DriverRegistry) registry: DriverRegistry,
    @inject(MountRefcounter) refcounter: MountRefcounter,
    @inject(TOKENS.config) config: LiveConfig,
    @inject(TOKENS.logger) log: Logger,
    @inject(VolumeLocks) volumeLocks: VolumeLocks,
    @inject(HolderReconciler) holders: HolderReconciler,
    @inject(VolumeCatalog) catalog: VolumeCatalog,
    @inject(TOKENS.metrics) metrics: MetricsRecorder,
  ) {
    this.#catalog = catalog;
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

  public async create(name: string, given: VolumeOptions): Promise<void> {
    const timer = this.#timer('create');
    await timer.run(() => inContext(`create ${name}`, async () => {
      assertValidVolumeName(name);
      await this.#volumeLocks.run(name, async () => {
        const { type, access, ...options } = given;
        const driver = this.#registry.get(type ?? this.#config.current.defaultType);
        timer.type = driver.type;
        const volume: Volume = { name, type: driver.type, options: resolveOptions(driver.type, driver.options, options) };
        const wanted = { ...accessFromOption(access), ...(this.#store.hostId === undefined ? {} : { host: this.#store.hostId }) };
        const existing = this.#store.getVolume(name);
        if (existing !== undefined) {
          this.#assertSameVolume(existing, volume, wanted.access);
          return;
        }
        const inlineSecrets = inlineSecretOptions(driver.options, options);
        const notice = checkInlineSecrets(this.#config.current.security.inlineSecrets, inlineSecrets);
        await driver.prepare(volume);
        let raced: VolumeRecord | undefined;
        try {
          raced = await this.#store.insertVolume({ name, type: driver.type, options, createdAt: new Date().toISOString(), ...wanted });
        } catch (error) {
          // A shared store out of reach may still have taken the record: what prepare made stays for it.
          if (!VolplexError.is(error, 'Unavailable')) {
            await driver.remove(volume);
          }
          throw error;
        }
        if (raced !== undefined) {
          // Another host created it first: what prepare made here is not that volume's (unless it was this host, earlier).
          if (raced.host !== wanted.host) {
            await driver.remove(volume);
          }
          this.#assertSameVolume(raced, volume, wanted.access);
          return;
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
    let resolved: ResolvedVolume;
    try {
      resolved = this.#catalog.resolve(record);
    } catch (error) {
      // Never answer "not found" for a volume that exists: dockerd would forget it.
      return { name, createdAt: record.createdAt, mountpoint: '', status: { ...status, ...this.#sharingStatus(record), error: VolplexError.wrap(error, 'options').message } };
    }
    const { mountpoint } = this.#catalog.placement(resolved, usage.backendKey);
    const backend = usage.backendKey === null ? { backendSharedBy: 0 } : { backendSharedBy: this.#store.backendUsers(usage.backendKey), ...this.#healthStatus(usage.backendKey) };
    return { name, createdAt: record.createdAt, mountpoint, status: { ...status, ...resolved.plan.details, ...backend, ...this.#sharingStatus(record), ...this.#inlineSecretsWarning(resolved.inlineSecrets) } };
  }

  /** By name; the same array (so the same serialised answer) until something it shows changes. */
  public list(): readonly VolumeSummary[] {
    return this.#timer('list').runSync(() => this.#list());
  }

  #list(): readonly VolumeSummary[] {
    const version = this.#store.listVersion();
    const config = this.#config.current;
    if (this.#listed?.version === version && this.#listed.config === config) {
      return this.#listed.summaries;
    }
    const summaries = this.#store.listVolumes().map((record) => ({ name: record.name, mountpoint: this.#mountpointOrEmpty(record, this.#store.usage(record.name).backendKey) }));
    this.#listed = { version, config, summaries };
    return summaries;
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
        const record = this.#require(name, timer);
        assertOnOwnHost(this.#store, record);
        const resolved = this.#catalog.resolve(record);
        await this.#holders.beforeMount(name, id);
        const mountpoint = await this.#refcounter.acquire(resolved, id);
        if (this.#log.isLevelEnabled('info')) {
          this.#log.info({ volume: name, id, references: this.#store.usage(name).references }, 'mount counted');
        }
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
        if (this.#log.isLevelEnabled('info')) {
          this.#log.info({ volume: name, id, references: this.#store.usage(name).references }, 'unmount counted');
        }
      }),
    ));
  }

  public async remove(name: string): Promise<void> {
    const timer = this.#timer('remove');
    await this.#ready;
    await timer.run(() => inContext(`remove ${name}`, () =>
      this.#volumeLocks.run(name, async () => {
        const record = this.#require(name, timer);
        assertOnOwnHost(this.#store, record);
        await this.#holders.beforeRemove(name);
        const usage = this.#store.usage(name);
        if (usage.references > 0) {
          const held = this.#holders.findings.note(name, usage.references);
          throw new VolplexError('Conflict', `volume is in use (${usage.references} mount(s) from ${usage.mountIds} container mount point(s)); stop the containers using it first${held}`);
        }
        // A record no driver reads any more is treated as holding secrets.
        const holdsSecrets = (this.#catalog.tryResolve(record)?.inlineSecrets.length ?? 1) > 0;
        await this.#store.deleteVolume(name, () => this.#removeOwnedData(record), { holdsSecrets });
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

  /** Status says so while the policy is not allow, for volumes created before a stricter one too. */
  #inlineSecretsWarning(names: readonly string[]): { warning?: string } {
    return names.length === 0 || this.#config.current.security.inlineSecrets === 'allow' ? {} : { warning: inlineSecretsNotice(names) };
  }

  #mountpointOrEmpty(record: VolumeRecord, heldKey: string | null): string {
    const resolved = this.#catalog.tryResolve(record);
    return resolved === undefined ? '' : this.#catalog.placement(resolved, heldKey).mountpoint;
  }

  #assertSameVolume(existing: VolumeRecord, wanted: Volume, access: VolumeRecord['access']): void {
    const same = existing.type === wanted.type && existing.access === access && isDeepStrictEqual(this.#catalog.resolve(existing).volume.options, wanted.options);
    if (!same) {
      const where = existing.host === undefined ? '' : `, created on host ${quote(existing.host)}`;
      throw new VolplexError('Conflict', `a volume with this name already exists with other options (type ${existing.type}${where}); remove it first or choose another name`);
    }
  }

  /** Which hosts use the volume and who holds it, with a store shared by many hosts. */
  #sharingStatus(record: VolumeRecord): Record<string, unknown> {
    const sharing = this.#store.sharing(record.name);
    return sharing === undefined ? {} : sharingStatus(record, sharing);
  }

  async #removeOwnedData(record: VolumeRecord): Promise<void> {
    let resolved: ResolvedVolume;
    try {
      resolved = this.#catalog.resolve(record);
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
