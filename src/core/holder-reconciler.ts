import { inject, injectable } from 'inversify';

import { TOKENS } from '../app/tokens.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { Holder, HolderFinder, HolderReport, VolumeLocation } from '../system/holder-finder.js';
import { DriverRegistry } from './driver-registry.js';
import type { HolderCheckRecorder } from './holder-check-recorder.js';
import { HolderCheckSchedule } from './holder-check-schedule.js';
import { HolderFindings } from './holder-findings.js';
import { MountRefcounter } from './mount-refcounter.js';
import { staleReferences, type HolderCheckTrigger, type HolderFacts } from './stale-references.js';
import { VolumeCatalog } from './volume-catalog.js';
import { locateVolumes } from './volume-locations.js';
import { VolumeLocks } from './volume-locks.js';

/** The facts of a check before the holders are known. */
type CheckFacts = Omit<HolderFacts, 'holders'>;

export interface VolumeHolding {
  readonly name: string;
  readonly references: number;
  /** undefined when the source cannot tell. */
  readonly holders: readonly Holder[] | undefined;
}

/**
 * Keeps the counted references in line with the containers that really hold each volume
 * (issue 14): dockerd sends no Unmount for the containers it lost in a crash. Checks run
 * when dockerd (re)activates the plugin, periodically for volumes with references, before
 * a Mount of an ID counted in an earlier dockerd lifetime and before a Remove of a volume
 * still counted as in use. What no running container holds is dropped (see staleReferences)
 * through the refcounter, which unmounts the backend as usual when the last one goes. When
 * no source can tell who holds a volume, nothing changes.
 */
@injectable()
export class HolderReconciler {
  public readonly findings = new HolderFindings();
  readonly #store: Store;
  readonly #refcounter: MountRefcounter;
  readonly #registry: DriverRegistry;
  readonly #finder: HolderFinder;
  readonly #locks: VolumeLocks;
  readonly #log: Logger;
  readonly #recorder: HolderCheckRecorder;
  readonly #config: LiveConfig;
  readonly #schedule: HolderCheckSchedule;
  readonly #catalog: VolumeCatalog;
  #queue: Promise<unknown> = Promise.resolve();
  #ready: Promise<void> = Promise.resolve();

  public constructor(
    @inject(TOKENS.store) store: Store,
    @inject(MountRefcounter) refcounter: MountRefcounter,
    @inject(DriverRegistry) registry: DriverRegistry,
    @inject(TOKENS.holderFinder) finder: HolderFinder,
    @inject(VolumeLocks) locks: VolumeLocks,
    @inject(TOKENS.config) config: LiveConfig,
    @inject(TOKENS.logger) log: Logger,
    @inject(TOKENS.holderCheckRecorder) recorder: HolderCheckRecorder,
    @inject(VolumeCatalog) catalog: VolumeCatalog,
  ) {
    this.#catalog = catalog;
    this.#store = store;
    this.#refcounter = refcounter;
    this.#registry = registry;
    this.#finder = finder;
    this.#locks = locks;
    this.#config = config;
    this.#log = log;
    this.#recorder = recorder;
    this.#schedule = new HolderCheckSchedule((trigger) => this.checkAll(trigger), log);
  }

  /** Checks wait for this (the start-up reconcile with the kernel's mount table). */
  public holdChecksUntil(ready: Promise<void>): void {
    this.#ready = ready;
  }

  /** Plugin.Activate: a new dockerd lifetime begins; what was counted before may have been lost with the old one. */
  public activated(): number {
    const lifetime = this.#store.beginDockerLifetime();
    this.#log.info({ lifetime }, lifetime === 1 ? 'dockerd activated the plugin' : 'dockerd activated the plugin again (it restarted): checking which references running containers still hold');
    this.#schedule.afterActivate();
    return lifetime;
  }

  /** The periodic check, every docker.checkInterval seconds (0: none). */
  public startPeriodic(): void {
    this.#schedule.startPeriodic(this.#config.current.docker.checkInterval);
  }

  /** Ends the periodic and post-Activate checks. */
  public stop(): void {
    this.#schedule.stop();
  }

  /** Checks every volume with references: one question to the holder source, then each volume under its lock. Checks run one at a time. */
  public async checkAll(trigger: HolderCheckTrigger): Promise<HolderReport | undefined> {
    const run = this.#queue.then(() => this.#checkAll(trigger));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Before a Mount (the caller holds the volume's lock): dockerd mounts again an ID counted in an earlier lifetime. */
  public async beforeMount(name: string, id: string): Promise<void> {
    const lifetime = this.#store.dockerLifetime();
    if (this.#store.references(name).some((row) => row.id === id && row.lifetime < lifetime)) {
      const facts = { trigger: 'mount', lifetime, mountId: id, changedBefore: Date.now() - this.#graceMs() } as const;
      await this.#apply(name, await this.#findFor(name), facts);
    }
  }

  /** Before a Remove (the caller holds the volume's lock) of a volume still counted as in use. */
  public async beforeRemove(name: string): Promise<void> {
    if (this.#store.usage(name).references > 0) {
      const facts = { trigger: 'remove', lifetime: this.#store.dockerLifetime(), changedBefore: Date.now() - this.#graceMs() } as const;
      await this.#apply(name, await this.#findFor(name), facts);
    }
  }

  /** Logs where holders come from (or that nothing can tell, so crash recovery is off). */
  public async logSource(): Promise<void> {
    const report = await this.#finder.find([]);
    if (report.known) {
      this.#log.info({ source: report.source, detail: report.detail }, 'crash recovery: running containers are found through this source');
    } else {
      this.#log.warn({ reason: report.reason }, 'crash recovery is off: neither the Docker API nor the host\'s /proc can tell which containers hold a volume');
    }
  }

  /** What a check would find now, changing nothing: for `volplex doctor` and `volplex ls`. */
  public async inspect(): Promise<{ report: HolderReport; volumes: VolumeHolding[] }> {
    const names = this.#referenced();
    const report = await this.#finder.find(this.#locate(names));
    const volumes = names.map((name) => ({ name, references: this.#store.usage(name).references, holders: report.known ? report.holders.get(name) : undefined }));
    return { report, volumes };
  }

  async #checkAll(trigger: HolderCheckTrigger): Promise<HolderReport | undefined> {
    await this.#ready;
    const names = this.#referenced();
    if (names.length === 0) {
      return undefined;
    }
    // Taken before asking: rows counted or changed after this moment are not judged by this answer.
    const facts = { trigger, lifetime: this.#store.dockerLifetime(), changedBefore: Date.now() - this.#graceMs() };
    const report = await this.#finder.find(this.#locate(names));
    if (!report.known) {
      this.#log.debug({ trigger, reason: report.reason }, 'cannot tell which containers hold the volumes: references left as counted');
    }
    for (const name of names) {
      await this.#locks.run(name, () => this.#apply(name, report, facts)).catch((error: unknown) => {
        this.#log.warn({ volume: name, trigger, err: error }, 'holder check of a volume failed');
      });
    }
    return report;
  }

  async #findFor(name: string): Promise<HolderReport> {
    return this.#finder.find(this.#locate([name]));
  }

  /** Drops what no running container holds, under the caller's lock on the volume, and records the finding. */
  async #apply(name: string, report: HolderReport, facts: CheckFacts): Promise<void> {
    const references = this.#store.usage(name).references;
    if (references === 0) {
      this.findings.forget(name);
      return;
    }
    const holders = report.known ? report.holders.get(name) : undefined;
    if (!report.known || holders === undefined) {
      const reason = report.known ? `${report.detail} cannot tell: the backend mount is not in volplex's own mount table` : report.reason;
      this.findings.record(name, { known: false, at: Date.now(), references, reason });
      this.#recorder.holdersUnknown(facts.trigger);
      return;
    }
    const stale = staleReferences(this.#store.references(name), { ...facts, holders: holders.length });
    const driver = this.#registry.find(this.#store.getVolume(name)?.type ?? '');
    for (const reference of stale) {
      this.#log.warn({ volume: name, id: reference.id.slice(0, 12), lifetime: reference.lifetime, count: reference.count, trigger: facts.trigger, holders: holders.length, source: report.source, reason: reference.reason }, 'dropping a reference no running container holds');
      await this.#refcounter.dropReference(name, reference, driver);
    }
    if (stale.length > 0) {
      this.#recorder.staleDropped(facts.trigger, stale.reduce((sum, reference) => sum + reference.count, 0));
    }
    this.findings.record(name, { known: true, at: Date.now(), references: this.#store.usage(name).references, source: report.source, holders });
  }

  #referenced(): string[] {
    return [...this.#store.heldBackends().values()].flat().sort();
  }

  #locate(names: readonly string[]): VolumeLocation[] {
    return locateVolumes(this.#store, this.#catalog, names);
  }

  #graceMs(): number {
    return this.#config.current.docker.staleGrace * 1000;
  }
}
