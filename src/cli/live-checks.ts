import type { VolplexConfig } from '../config/config.js';
import { ConfigReloader } from '../config/config-reloader.js';
import type { LiveConfig } from '../config/live-config.js';
import { loadConfig, userConfigFile } from '../config/load.js';
import { unboundAllowedRoots } from '../core/host-bind-check.js';
import type { Logger } from '../log/logger.js';
import { type DaemonStatus, StatusFile } from '../store/status-file.js';

/** What the daemon checks while it runs, recorded in the status file `volplex doctor` reads. */
export class LiveChecks {
  readonly #configFile: string | undefined;
  readonly #log: Logger;
  readonly #status: StatusFile | undefined;

  /** `configFile` as given to serve (--config); VOLPLEX_CONFIG otherwise. */
  public constructor(stateDir: string, configFile: string | undefined, log: Logger) {
    this.#configFile = configFile;
    this.#log = log;
    try {
      this.#status = new StatusFile(stateDir, userConfigFile(configFile));
    } catch (error) {
      log.warn({ err: error, stateDir }, 'cannot write the daemon status file: volplex doctor will not see reload errors');
    }
  }

  /** In a container or plugin: every allowed root must be a mount from the host. Logs each one that is not. */
  public async checkHostBinds(config: VolplexConfig): Promise<void> {
    const problems = await unboundAllowedRoots(config);
    this.#record({ hostBinds: { at: new Date().toISOString(), deployment: config.deployment, problems } });
    for (const problem of problems) {
      this.#log.error({ deployment: config.deployment }, problem);
    }
    if (problems.length === 0 && config.deployment !== 'host') {
      this.#log.info({ deployment: config.deployment, allowedRoots: config.backends.local.allowedRoots }, 'every allowed root is a mount from the host');
    }
  }

  /** Reloads on SIGHUP and on changes of the file (`--config`, else VOLPLEX_CONFIG). */
  public watchConfiguration(live: LiveConfig): ConfigReloader {
    const reloader = new ConfigReloader({
      file: userConfigFile(this.#configFile),
      live,
      log: this.#log,
      load: () => loadConfig(this.#configFile),
      record: (reload) => { this.#record({ reload }); },
      applied: (config) => this.checkHostBinds(config),
    });
    reloader.start();
    return reloader;
  }

  #record(section: Pick<DaemonStatus, 'reload'> | Pick<DaemonStatus, 'hostBinds'>): void {
    try {
      this.#status?.record(section);
    } catch (error) {
      this.#log.warn({ err: error }, 'cannot write the daemon status file');
    }
  }
}
