import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { backendTarget } from '../core/backend-key.js';
import type { BackendHealth, MountRefcounter } from '../core/mount-refcounter.js';
import type { Store } from '../store/store.js';

export const HEALTH_REPORT_FILE = 'health.json';

/** What the daemon's last health round found, for `volplex doctor` (which never touches a mount itself). */
export interface HealthSnapshot {
  readonly writtenAt: string;
  readonly pid: number;
  readonly stuckProbeChildren: number;
  readonly backends: readonly (BackendHealth & { readonly target: string; readonly volumes: readonly string[] })[];
}

/** Writes the snapshot as `<stateDir>/health.json` (0600, replaced atomically) after each round. */
export class HealthReport {
  readonly #file: string;
  readonly #refcounter: MountRefcounter;
  readonly #store: Store;
  readonly #mountRoot: string;

  public constructor(stateDir: string, mountRoot: string, refcounter: MountRefcounter, store: Store) {
    this.#file = join(stateDir, HEALTH_REPORT_FILE);
    this.#mountRoot = mountRoot;
    this.#refcounter = refcounter;
    this.#store = store;
  }

  public async write(): Promise<void> {
    const backends = [...this.#store.heldBackends()].map(([key, volumes]) => ({ target: backendTarget(this.#mountRoot, key), volumes, ...this.#refcounter.healthOf(key) }));
    const snapshot: HealthSnapshot = { writtenAt: new Date().toISOString(), pid: process.pid, stuckProbeChildren: this.#refcounter.stuckProbes, backends };
    const temporary = `${this.#file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.#file);
  }
}
