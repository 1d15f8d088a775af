import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Deployment } from '../config/config.js';

/** The outcome of the last configuration reload. Never a secret: errors name keys, not values. */
export interface ReloadRecord {
  readonly at: string;
  readonly trigger: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly changed: readonly string[];
  readonly keptFixed: readonly string[];
}

/** What the last check of backends.local.allowedRoots against the mount table found. */
export interface HostBindRecord {
  readonly at: string;
  readonly deployment: Deployment;
  readonly problems: readonly string[];
}

/** What the running daemon found that `volplex doctor`, another process, should show. */
export interface DaemonStatus {
  readonly pid: number;
  readonly startedAt: string;
  readonly configFile: string | null;
  readonly reload?: ReloadRecord;
  readonly hostBinds?: HostBindRecord;
}

const FILE_NAME = 'daemon-status.json';

/** `<stateDir>/daemon-status.json`, mode 0600, written whole and renamed into place. One writer: the daemon. */
export class StatusFile {
  readonly #path: string;
  #status: DaemonStatus;

  public constructor(stateDir: string, configFile: string | undefined) {
    this.#path = join(stateDir, FILE_NAME);
    this.#status = { pid: process.pid, startedAt: new Date().toISOString(), configFile: configFile ?? null };
    this.#write();
  }

  public record(section: Pick<DaemonStatus, 'reload'> | Pick<DaemonStatus, 'hostBinds'>): void {
    this.#status = { ...this.#status, ...section };
    this.#write();
  }

  #write(): void {
    const partial = `${this.#path}.partial`;
    rmSync(partial, { force: true });
    writeFileSync(partial, `${JSON.stringify(this.#status, null, 2)}\n`, { mode: 0o600 });
    renameSync(partial, this.#path);
  }
}

/** The status the daemon using `stateDir` wrote last, or undefined when there is none (or it is unreadable). */
export function readDaemonStatus(stateDir: string): DaemonStatus | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, FILE_NAME), 'utf8')) as DaemonStatus;
  } catch {
    return undefined;
  }
}
