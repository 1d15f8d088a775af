import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

import type { Logger } from '../log/logger.js';
import type { ReloadRecord } from '../store/status-file.js';
import type { VolplexConfig } from './config.js';
import { type LiveConfig, sameValue } from './live-config.js';

// Editors write a file in several steps (truncate, write, rename): reload once they are done.
const SETTLE_MS = 300;

export interface ReloaderOptions {
  /** The user's file, watched through its directory; undefined: SIGHUP only (defaults and environment). */
  readonly file: string | undefined;
  readonly live: LiveConfig;
  readonly log: Logger;
  /** Reads and checks the configuration as at start; throws naming the key (never a value). */
  readonly load: () => VolplexConfig;
  /** Told every outcome, for `volplex doctor`. */
  readonly record: (record: ReloadRecord) => void;
  /** After a new configuration was taken (re-checks what depends on it). */
  readonly applied: (config: VolplexConfig) => Promise<void>;
}

/**
 * Re-reads the configuration on SIGHUP and when the file's directory changes (so editors
 * that replace the file, and the managed plugin's config mount, are seen). A valid file
 * replaces the live configuration but its fixed settings; an invalid one is logged and
 * the old configuration stays.
 */
export class ConfigReloader {
  readonly #options: ReloaderOptions;
  #lastOutcome: unknown;
  #timer: NodeJS.Timeout | undefined;
  #watcher: FSWatcher | undefined;

  public constructor(options: ReloaderOptions) {
    this.#options = options;
    this.#lastOutcome = { ok: options.live.current };
  }

  /** One reload now. A file change whose outcome equals the last one is not logged again. */
  public async reload(trigger: 'SIGHUP' | 'file change'): Promise<ReloadRecord> {
    const at = new Date().toISOString();
    let next: VolplexConfig;
    try {
      next = this.#options.load();
    } catch (error) {
      return this.#refuse({ at, trigger, ok: false, error: (error as Error).message, changed: [], keptFixed: [] });
    }
    if (!this.#isNew(trigger, { ok: next })) {
      return { at, trigger, ok: true, changed: [], keptFixed: [] };
    }
    return this.#apply(next, at, trigger);
  }

  /** Starts listening for SIGHUP and watching the file's directory. */
  public start(): void {
    process.on('SIGHUP', this.#onSignal);
    const { file, log } = this.#options;
    if (file === undefined) {
      return;
    }
    try {
      this.#watcher = watch(dirname(file), { persistent: false }, () => { this.#schedule(); });
      this.#watcher.on('error', (error) => { log.warn({ err: error, file }, 'cannot watch the configuration directory any more: reload with SIGHUP'); });
      log.info({ file, watching: dirname(file), fileName: basename(file) }, 'reloading the configuration on SIGHUP and when it changes');
    } catch (error) {
      log.warn({ err: error, file }, 'cannot watch the configuration directory: reload with SIGHUP');
    }
  }

  public stop(): void {
    process.off('SIGHUP', this.#onSignal);
    this.#watcher?.close();
    clearTimeout(this.#timer);
  }

  #refuse(record: ReloadRecord): ReloadRecord {
    if (this.#isNew(record.trigger, { error: record.error })) {
      this.#options.log.error({ trigger: record.trigger, file: this.#options.file }, `configuration not reloaded, the previous one stays in force: ${record.error ?? ''}`);
      this.#options.record(record);
    }
    return record;
  }

  async #apply(next: VolplexConfig, at: string, trigger: string): Promise<ReloadRecord> {
    const { live, log } = this.#options;
    const { changed, keptFixed } = live.replace(next);
    log.level = live.current.log.level;
    const summary = changed.length === 0 ? 'nothing changed' : `${changed.join(', ')} apply to new Creates and Mounts; existing mounts stay as they are`;
    log.info({ trigger, file: this.#options.file, changed, profiles: Object.keys(live.current.credentials) }, `configuration reloaded: ${summary}`);
    if (keptFixed.length > 0) {
      log.warn({ trigger, keptFixed }, `configuration reloaded, but ${keptFixed.join(', ')} cannot change while volplex runs: restart it to apply them`);
    }
    const record: ReloadRecord = { at, trigger, ok: true, changed, keptFixed };
    this.#options.record(record);
    await this.#options.applied(live.current).catch((error: unknown) => { log.warn({ err: error }, 'a check after the reload failed'); });
    return record;
  }

  readonly #onSignal = (): void => {
    void this.reload('SIGHUP');
  };

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => { void this.reload('file change'); }, SETTLE_MS);
  }

  /** SIGHUP is always answered; a file change only when it changes the outcome (swap files, a second event). */
  #isNew(trigger: string, outcome: unknown): boolean {
    const repeated = sameValue(outcome, this.#lastOutcome);
    this.#lastOutcome = outcome;
    return trigger === 'SIGHUP' || !repeated;
  }
}
