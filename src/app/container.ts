import 'reflect-metadata';

import { Container } from 'inversify';

import { driversModule } from '../../drivers/module.js';
import type { VolplexConfig } from '../config/config.js';
import { DriverRegistry } from '../core/driver-registry.js';
import { MountRefcounter } from '../core/mount-refcounter.js';
import { Reconciler } from '../core/reconciler.js';
import { VolumeService } from '../core/volume-service.js';
import type { Logger } from '../log/logger.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { CommandRunner } from '../system/command-runner.js';
import { commandOutputDir, ExecaCommandRunner } from '../system/execa-command-runner.js';
import { LinuxMounter } from '../system/linux-mounter.js';
import type { Mounter } from '../system/mounter.js';
import { TOKENS } from './tokens.js';

/** What tests may swap: the command seam (runner, mounter) and the store. */
export interface Overrides {
  readonly runner?: CommandRunner;
  readonly mounter?: Mounter;
  readonly store?: Store;
}

/** The composition root: every service of the daemon, wired once. */
export function createContainer(config: VolplexConfig, log: Logger, overrides: Overrides = {}): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  // Built once per daemon start: it empties its output directory in the state dir.
  const runner = overrides.runner ?? new ExecaCommandRunner(config.commandTimeout, commandOutputDir(config.stateDir));
  container.bind<VolplexConfig>(TOKENS.config).toConstantValue(config);
  container.bind<Logger>(TOKENS.logger).toConstantValue(log);
  container.bind<CommandRunner>(TOKENS.runner).toConstantValue(runner);
  container.bind<Mounter>(TOKENS.mounter).toConstantValue(overrides.mounter ?? new LinuxMounter(runner));
  container.bind<Store>(TOKENS.store).toConstantValue(overrides.store ?? new SqliteStore(config.stateDir));
  container.bind(DriverRegistry).toSelf();
  container.bind(MountRefcounter).toSelf();
  container.bind(VolumeService).toSelf();
  container.bind(Reconciler).toSelf();
  container.load(driversModule);
  return container;
}
