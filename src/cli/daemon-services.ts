import type { Server } from 'node:http';

import { createContainer, openStore } from '../app/container.js';
import { TOKENS } from '../app/tokens.js';
import type { VolplexConfig } from '../config/config.js';
import type { LiveConfig } from '../config/live-config.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { MountRefcounter } from '../core/mount-refcounter.js';
import { Reconciler } from '../core/reconciler.js';
import { VolumeCensus } from '../core/volume-census.js';
import { VolumeService } from '../core/volume-service.js';
import type { Logger } from '../log/logger.js';
import { listenForMetrics } from '../metrics/metrics-server.js';
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js';
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
 * checks, configuration reloads and the metrics listener. Loaded only then, so the socket
 * answers first.
 */
export async function startServices(config: VolplexConfig, configFile: string | undefined, log: Logger): Promise<RunningServices> {
  // prom-client is loaded only when metrics are asked for: without them nothing records or listens.
  const metrics = config.metrics.listen === '' ? undefined : new (await import('../metrics/prometheus-metrics.js')).PrometheusMetrics();
  const store = await openStore(config, log);
  const container = createContainer(config, log, metrics === undefined ? { store } : { store, metrics });
  const service = container.get(VolumeService);
  const metricsServer = metrics === undefined ? undefined : await serveMetrics(metrics, container.get(VolumeCensus), config.metrics.listen, log);
  container.get<CommandRunner>(TOKENS.runner).warmUp?.();
  const checks = new LiveChecks(config.stateDir, configFile, log);
  checks.checkHostBinds(config).catch((error: unknown) => { log.warn({ err: error }, 'could not check the allowed roots against the mount table'); });
  const reloader = checks.watchConfiguration(container.get<LiveConfig>(TOKENS.config));
  const refcounter = container.get(MountRefcounter);
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
      metricsServer?.close();
    },
    close: () => { store.close(); },
  };
}

/** The metrics listener. One that cannot listen is logged and left out: the plugin serves on (and `volplex doctor` fails it). */
async function serveMetrics(metrics: PrometheusMetrics, census: VolumeCensus, listen: string, log: Logger): Promise<Server | undefined> {
  metrics.countFrom(() => census.take());
  return listenForMetrics(metrics, listen, log).catch((error: unknown) => {
    log.error({ err: error, metrics: listen }, 'cannot serve metrics: the plugin serves on without them');
    return undefined;
  });
}
