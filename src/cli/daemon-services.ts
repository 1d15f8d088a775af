import { createContainer } from '../app/container.js';
import { TOKENS } from '../app/tokens.js';
import type { VolplexConfig } from '../config/config.js';
import type { LiveConfig } from '../config/live-config.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { MountRefcounter } from '../core/mount-refcounter.js';
import { Reconciler } from '../core/reconciler.js';
import { VolumeService } from '../core/volume-service.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { CommandRunner } from '../system/command-runner.js';
import { HealthReport } from './health-report.js';
import { LiveChecks } from './live-checks.js';

export interface RunningServices {
  readonly service: VolumeService;
  /** Stops the timers and watchers; mounts stay. */
  stop(): void;
  /** After the server closed. */
  close(): void;
}

/**
 * Everything of the daemon behind its socket, started once the socket answers: the volume
 * service and its store, the command helper, the start-up reconcile, health rounds, holder
 * checks and configuration reloads. Loaded only then, so the socket answers first.
 */
export function startServices(config: VolplexConfig, configFile: string | undefined, log: Logger): RunningServices {
  const container = createContainer(config, log);
  const service = container.get(VolumeService);
  container.get<CommandRunner>(TOKENS.runner).warmUp?.();
  const checks = new LiveChecks(config.stateDir, configFile, log);
  checks.checkHostBinds(config).catch((error: unknown) => { log.warn({ err: error }, 'could not check the allowed roots against the mount table'); });
  const reloader = checks.watchConfiguration(container.get<LiveConfig>(TOKENS.config));
  const refcounter = container.get(MountRefcounter);
  const store = container.get<Store>(TOKENS.store);
  const report = new HealthReport(config.stateDir, config.mountRoot, refcounter, store);
  const checkHealth = (): void => {
    refcounter.checkHealth().then(() => report.write()).catch((error: unknown) => { log.warn({ err: error }, 'health check failed'); });
  };
  const reconciled = container.get(Reconciler).run().then(() => undefined);
  service.holdMountsUntil(reconciled);
  // Adopted mounts are probed in the background, never before the first Mount may proceed.
  void reconciled.then(checkHealth);
  const healthTimer = setInterval(checkHealth, config.health.interval * 1000);
  healthTimer.unref();
  if (config.docker.newLifetimeAtStart) {
    // The managed plugin: dockerd sends it no Activate, and starts it whenever dockerd itself starts.
    service.activate();
  }
  const holders = container.get(HolderReconciler);
  holders.startPeriodic();
  holders.logSource().catch((error: unknown) => { log.warn({ err: error }, 'holder source check failed'); });
  return {
    service,
    stop: () => {
      reloader.stop();
      holders.stop();
      clearInterval(healthTimer);
    },
    close: () => { store.close(); },
  };
}
