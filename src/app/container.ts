import 'reflect-metadata';

import { Container } from 'inversify';

import { driversModule } from '../../drivers/module.js';
import type { VolplexConfig } from '../config/config.js';
import { LiveConfig } from '../config/live-config.js';
import { DriverRegistry } from '../core/driver-registry.js';
import { VolplexError } from '../core/errors.js';
import { NO_HOLDER_CHECK_RECORDER, type HolderCheckRecorder } from '../core/holder-check-recorder.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { MountRefcounter } from '../core/mount-refcounter.js';
import { Reconciler } from '../core/reconciler.js';
import { VolumeLocks } from '../core/volume-locks.js';
import { VolumeCatalog } from '../core/volume-catalog.js';
import { VolumeCensus } from '../core/volume-census.js';
import { VolumeService } from '../core/volume-service.js';
import type { Logger } from '../log/logger.js';
import { NO_METRICS, type MetricsRecorder } from '../metrics/recorder.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { CommandRunner } from '../system/command-runner.js';
import { DockerApiHolderFinder } from '../system/docker-api-holders.js';
import { commandOutputDir, ExecaCommandRunner } from '../system/execa-command-runner.js';
import { FirstAnswerHolderFinder } from '../system/first-answer-holder-finder.js';
import type { HolderFinder } from '../system/holder-finder.js';
import { HelperCommandRunner } from '../system/helper-command-runner.js';
import { KernelHolderFinder } from '../system/kernel-holders.js';
import { LaneCommandRunner } from '../system/lane-command-runner.js';

import { LinuxMounter } from '../system/linux-mounter.js';
import { MountTable } from '../system/mount-table.js';
import type { Mounter } from '../system/mounter.js';
import { TOKENS } from './tokens.js';

/** What tests may swap: the command seam (runner, mounter), the store and who holds a mount; and the metrics, when `metrics.listen` asks for them. */
export interface Overrides {
  readonly runner?: CommandRunner;
  readonly mounter?: Mounter;
  readonly store?: Store;
  readonly holderFinder?: HolderFinder;
  readonly metrics?: MetricsRecorder & HolderCheckRecorder;
}

/** Who holds a volume: the Docker API when its socket answers, else the host's /proc. */
export function createHolderFinder(config: VolplexConfig, mountTable = new MountTable()): HolderFinder {
  return new FirstAnswerHolderFinder([new DockerApiHolderFinder(config.docker.socket), new KernelHolderFinder('/proc', mountTable)]);
}

/**
 * The store the configuration names: SQLite in the state dir, or etcd (with this host's part in
 * the state dir). The etcd client is loaded only then: a daemon on SQLite never reads it.
 */
export async function openStore(config: VolplexConfig, log: Logger): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite':
      return new SqliteStore(config.stateDir);
    case 'etcd':
      return (await import('../store/etcd-store.js')).EtcdStore.open(config, log);
  }
}

/** The daemon's command runner: quick local binds in the daemon, every other command and check in the command helper. */
function createRunner(config: VolplexConfig, metrics: MetricsRecorder | undefined): CommandRunner {
  const outputDir = commandOutputDir(config.stateDir);
  return new LaneCommandRunner(new ExecaCommandRunner(config.commandTimeout, outputDir, metrics), new HelperCommandRunner(config.commandTimeout, outputDir, metrics));
}

/** The composition root: every service of the daemon, wired once. TOKENS.config is the LiveConfig that reloads replace. */
export function createContainer(config: VolplexConfig, log: Logger, overrides: Overrides = {}): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const metrics = overrides.metrics;
  // Quick local commands run in the daemon, the rest in the command helper; the helper empties its output directory in the state dir.
  const runner = overrides.runner ?? createRunner(config, metrics);
  // The one owner of what is mounted, shared by the mounter and the kernel holder scan.
  const mountTable = new MountTable();
  container.bind<LiveConfig>(TOKENS.config).toConstantValue(new LiveConfig(config));
  container.bind<Logger>(TOKENS.logger).toConstantValue(log);
  container.bind<CommandRunner>(TOKENS.runner).toConstantValue(runner);
  container.bind<Mounter>(TOKENS.mounter).toConstantValue(overrides.mounter ?? new LinuxMounter(runner, { table: mountTable, probeTimeoutMs: config.health.probeTimeout * 1000 }));
  container.bind<Store>(TOKENS.store).toConstantValue(overrides.store ?? sqliteStore(config));
  container.bind<HolderFinder>(TOKENS.holderFinder).toConstantValue(overrides.holderFinder ?? createHolderFinder(config, mountTable));
  container.bind<HolderCheckRecorder>(TOKENS.holderCheckRecorder).toConstantValue(metrics ?? NO_HOLDER_CHECK_RECORDER);
  container.bind<MetricsRecorder>(TOKENS.metrics).toConstantValue(metrics ?? NO_METRICS);
  container.bind(DriverRegistry).toSelf();
  container.bind(VolumeCatalog).toSelf();
  container.bind(VolumeLocks).toSelf();
  container.bind(HolderReconciler).toSelf();
  container.bind(MountRefcounter).toSelf();
  container.bind(VolumeService).toSelf();
  container.bind(Reconciler).toSelf();
  container.bind(VolumeCensus).toSelf();
  container.load(driversModule);
  return container;
}

/** The store when none was opened before: only SQLite opens at once (openStore opens the others). */
function sqliteStore(config: VolplexConfig): Store {
  if (config.store.kind !== 'sqlite') {
    throw new VolplexError('System', `the ${config.store.kind} store is opened by openStore() and passed in`);
  }
  return new SqliteStore(config.stateDir);
}
