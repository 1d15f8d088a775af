import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';

import { createContainer } from '../app/container.js';
import { TOKENS } from '../app/tokens.js';
import type { LiveConfig } from '../config/live-config.js';
import { loadConfig } from '../config/load.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { MountRefcounter } from '../core/mount-refcounter.js';
import { Reconciler } from '../core/reconciler.js';
import { VolumeCensus } from '../core/volume-census.js';
import { VolumeService } from '../core/volume-service.js';
import { createLogger, type Logger } from '../log/logger.js';
import { listenForMetrics } from '../metrics/metrics-server.js';
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js';
import { createApp } from '../server/app.js';
import { listenOnSocket } from '../server/listen.js';
import type { Store } from '../store/store.js';
import { HealthReport } from './health-report.js';
import { LiveChecks } from './live-checks.js';

/** Runs the daemon: listen first (dockerd waits only seconds), then reconcile mounts. */
export async function serve(configFile: string | undefined): Promise<void> {
  const config = loadConfig(configFile);
  const log = createLogger(config.log.level);
  // One failed background task must not take down every volume's daemon.
  process.on('unhandledRejection', (reason: unknown) => { log.error({ err: reason }, 'unhandled rejection'); });
  await mkdir(config.mountRoot, { recursive: true, mode: 0o755 });
  // prom-client is loaded only when metrics are asked for: without them nothing records or listens.
  const metrics = config.metrics.listen === '' ? undefined : new (await import('../metrics/prometheus-metrics.js')).PrometheusMetrics();
  const container = createContainer(config, log, metrics === undefined ? {} : { metrics });
  const service = container.get(VolumeService);
  const server = await listenOnSocket(createApp(service, log), config.socket, log);
  log.info({ socket: config.socket, stateDir: config.stateDir, mountRoot: config.mountRoot, pid: process.pid, startupMs: Math.round(process.uptime() * 1000) }, 'listening');
  const metricsServer = metrics === undefined ? undefined : await serveMetrics(metrics, container.get(VolumeCensus), config.metrics.listen, log);
  const checks = new LiveChecks(config.stateDir, configFile, log);
  checks.checkHostBinds(config).catch((error: unknown) => { log.warn({ err: error }, 'could not check the allowed roots against the mount table'); });
  const reloader = checks.watchConfiguration(container.get<LiveConfig>(TOKENS.config));
  const refcounter = container.get(MountRefcounter);
  const report = new HealthReport(config.stateDir, config.mountRoot, refcounter, container.get<Store>(TOKENS.store));
  const checkHealth = (): void => {
    refcounter.checkHealth().then(() => report.write()).catch((error: unknown) => { log.warn({ err: error }, 'health check failed'); });
  };
  const reconciled = container.get(Reconciler).run().then(() => undefined);
  service.holdMountsUntil(reconciled);
  // Adopted mounts are probed in the background, never before the first Mount may proceed.
  void reconciled.then(checkHealth);
  setInterval(checkHealth, config.health.interval * 1000).unref();
  if (config.docker.newLifetimeAtStart) {
    // The managed plugin: dockerd sends it no Activate, and starts it whenever dockerd itself starts.
    service.activate();
  }
  const holders = container.get(HolderReconciler);
  holders.startPeriodic();
  holders.logSource().catch((error: unknown) => { log.warn({ err: error }, 'holder source check failed'); });

  const stop = (signal: string): void => {
    // Mounts stay: containers keep using them and the next start adopts them.
    log.info({ signal }, 'stopping; mounts are left in place');
    reloader.stop();
    holders.stop();
    metricsServer?.close();
    server.close(() => {
      container.get<Store>(TOKENS.store).close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The metrics listener. One that cannot listen is logged and left out: the plugin serves on (and `volplex doctor` fails it). */
async function serveMetrics(metrics: PrometheusMetrics, census: VolumeCensus, listen: string, log: Logger): Promise<Server | undefined> {
  metrics.countFrom(() => census.take());
  return listenForMetrics(metrics, listen, log).catch((error: unknown) => {
    log.error({ err: error, metrics: listen }, 'cannot serve metrics: the plugin serves on without them');
    return undefined;
  });
}
