import { mkdir } from 'node:fs/promises';

import { capabilityScope } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import type { VolumeService } from '../core/volume-service.js';
import { createLogger } from '../log/logger.js';
import { createApp } from '../server/app.js';
import { listenOnSocket } from '../server/listen.js';

/**
 * Runs the daemon: listen first (dockerd waits only seconds), then load the services behind
 * the socket (store, drivers, command helper) and reconcile mounts. Requests that come
 * meanwhile wait for the services; Activate and Capabilities are answered at once.
 */
export async function serve(configFile: string | undefined): Promise<void> {
  const config = loadConfig(configFile);
  const log = createLogger(config.log.level);
  // One failed background task must not take down every volume's daemon.
  process.on('unhandledRejection', (reason: unknown) => { log.error({ err: reason }, 'unhandled rejection'); });
  await mkdir(config.mountRoot, { recursive: true, mode: 0o755 });
  let serviceReady: (service: VolumeService) => void = () => undefined;
  const service = new Promise<VolumeService>((resolve) => { serviceReady = resolve; });
  const server = await listenOnSocket(createApp(service, log, capabilityScope(config)), config.socket, log);
  log.info({ socket: config.socket, stateDir: config.stateDir, mountRoot: config.mountRoot, pid: process.pid, startupMs: Math.round(process.uptime() * 1000) }, 'listening');

  const { startServices } = await import('./daemon-services.js');
  let services: Awaited<ReturnType<typeof startServices>>;
  try {
    services = await startServices(config, configFile, log);
  } catch (error) {
    log.fatal({ err: error }, 'cannot start: the socket is closed again');
    server.close();
    // Requests waiting for the services would wait for ever: they see the connection close instead.
    server.closeAllConnections();
    process.exitCode = 1;
    return;
  }
  serviceReady(services.service);
  log.info({ readyMs: Math.round(process.uptime() * 1000) }, 'volumes loaded');

  const stop = (signal: string): void => {
    // Mounts stay: containers keep using them and the next start adopts them.
    log.info({ signal }, 'stopping; mounts are left in place');
    services.stop();
    server.close(() => {
      services.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
