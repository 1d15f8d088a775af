import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { VolplexError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import { StoreState, type ReleasePlan } from './store-state.js';
import type { MountReference, ReleaseResult, Store, StoreCounts, VolumeRecord, VolumeUsage } from './store.js';

export const STORE_FILE = 'volplex.db';

interface VolumeRow {
  name: string;
  type: string;
  options: string;
  created_at: string;
  backend_key: string | null;
}

interface RefRow {
  volume: string;
  id: string;
  lifetime: number;
  count: number;
  changed_at: number;
}

/** Every statement the store runs, prepared once when it opens. */
function prepare(db: Database.Database) {
  return {
    volumes: db.prepare<[], VolumeRow>('SELECT name, type, options, created_at, backend_key FROM volumes'),
    refs: db.prepare<[], RefRow>('SELECT volume, mount_id AS id, lifetime, count, changed_at FROM mount_refs'),
    lifetime: db.prepare<[], { lifetime: number }>('SELECT lifetime FROM docker_lifetime'),
    insertVolume: db.prepare<[string, string, string, string]>('INSERT INTO volumes (name, type, options, created_at) VALUES (?, ?, ?, ?)'),
    deleteVolume: db.prepare<[string]>('DELETE FROM volumes WHERE name = ?'),
    addReference: db.prepare<[string, string, number, number]>(
      `INSERT INTO mount_refs (volume, mount_id, lifetime, count, changed_at) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT DO UPDATE SET count = count + 1, changed_at = excluded.changed_at`,
    ),
    setBackend: db.prepare<[string | null, string]>('UPDATE volumes SET backend_key = ? WHERE name = ?'),
    takeReferences: db.prepare<[number, string, string, number]>('UPDATE mount_refs SET count = count - ? WHERE volume = ? AND mount_id = ? AND lifetime = ?'),
    deleteReference: db.prepare<[string, string, number]>('DELETE FROM mount_refs WHERE volume = ? AND mount_id = ? AND lifetime = ?'),
    deleteReferencesOf: db.prepare<[string]>('DELETE FROM mount_refs WHERE volume = ?'),
    nextLifetime: db.prepare('UPDATE docker_lifetime SET lifetime = lifetime + 1'),
  };
}

/**
 * The store in `<stateDir>/volplex.db`: directory 0700, file 0600, WAL journal. Every change
 * is one transaction, committed before the method returns; reads are answered from memory
 * (StoreState), loaded once at open. Deleted rows are overwritten (secure_delete) and the WAL
 * is emptied after a Remove, so a removed volume's options (an inline secret among them) are
 * in none of the database files.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #state = new StoreState();

  public constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
    const file = join(stateDir, STORE_FILE);
    // Create the file 0600 ourselves: SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    // A process crash (kill -9) loses nothing in WAL mode with NORMAL; a power cut also drops every mount.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('secure_delete = ON');
    migrate(this.#db);
    this.#sql = prepare(this.#db);
    this.#load();
  }

  public listVersion(): number {
    return this.#state.listVersion;
  }

  public getVolume(name: string): VolumeRecord | undefined {
    return this.#state.getVolume(name);
  }

  public listVolumes(): readonly VolumeRecord[] {
    return this.#state.listVolumes();
  }

  public insertVolume(record: VolumeRecord): void {
    this.#sql.insertVolume.run(record.name, record.type, JSON.stringify(record.options), record.createdAt);
    this.#state.putVolume(record);
  }

  public deleteVolume(name: string): void {
    if (this.#state.usage(name).references > 0) {
      throw new VolplexError('Conflict', 'volume is in use');
    }
    this.#sql.deleteVolume.run(name);
    this.#state.deleteVolume(name);
    // The WAL still holds the pages as they were before: copy them home and truncate it.
    // A reader in the middle of a transaction (volplex ls) is waited for up to busy_timeout.
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  public usage(name: string): VolumeUsage {
    return this.#state.usage(name);
  }

  public addReference(name: string, id: string, backendKey: string): void {
    const changedAt = Date.now();
    this.#db.transaction(() => {
      this.#sql.addReference.run(name, id, this.#state.lifetime, changedAt);
      this.#sql.setBackend.run(backendKey, name);
    })();
    this.#state.addReference(name, id, backendKey, changedAt);
  }

  public releaseReference(name: string, id: string): ReleaseResult {
    const lifetime = this.#state.latestLifetime(name, id);
    return lifetime === undefined ? this.#state.unchanged(name) : this.#release(this.#state.planRelease(name, id, lifetime, 1), name);
  }

  public references(name: string): MountReference[] {
    return this.#state.references(name);
  }

  public dropReference(name: string, id: string, lifetime: number, count: number): ReleaseResult {
    return this.#release(this.#state.planRelease(name, id, lifetime, count), name);
  }

  public dockerLifetime(): number {
    return this.#state.lifetime;
  }

  public beginDockerLifetime(): number {
    this.#state.lifetime = this.#db.transaction(() => {
      this.#sql.nextLifetime.run();
      return this.#sql.lifetime.get()?.lifetime ?? 0;
    })();
    return this.#state.lifetime;
  }

  public backendUsers(backendKey: string): number {
    return this.#state.backendUsers(backendKey);
  }

  public heldBackends(): Map<string, string[]> {
    return this.#state.heldBackends();
  }

  public counts(): StoreCounts {
    return this.#state.counts();
  }

  public dropBackend(backendKey: string): string[] {
    const names = this.#state.volumesOn(backendKey);
    this.#db.transaction(() => {
      for (const name of names) {
        this.#sql.deleteReferencesOf.run(name);
        this.#sql.setBackend.run(null, name);
      }
    })();
    return this.#state.dropBackend(backendKey);
  }

  public close(): void {
    this.#db.close();
  }

  /** Takes what the plan says from one row; clears the volume's backend when its last reference goes. */
  #release(plan: ReleasePlan | undefined, name: string): ReleaseResult {
    if (plan === undefined) {
      return this.#state.unchanged(name);
    }
    this.#db.transaction(() => {
      if (plan.taken < plan.rowCount) {
        this.#sql.takeReferences.run(plan.taken, plan.name, plan.id, plan.lifetime);
      } else {
        this.#sql.deleteReference.run(plan.name, plan.id, plan.lifetime);
      }
      if (plan.left === 0) {
        this.#sql.setBackend.run(null, plan.name);
      }
    })();
    return this.#state.applyRelease(plan);
  }

  #load(): void {
    const refs = new Map<string, MountReference[]>();
    for (const row of this.#sql.refs.all()) {
      refs.set(row.volume, [...(refs.get(row.volume) ?? []), { id: row.id, lifetime: row.lifetime, count: row.count, changedAt: row.changed_at }]);
    }
    for (const row of this.#sql.volumes.all()) {
      const record: VolumeRecord = { name: row.name, type: row.type, options: JSON.parse(row.options) as Record<string, string>, createdAt: row.created_at };
      this.#state.putVolume(record, row.backend_key, (refs.get(row.name) ?? []).sort((a, b) => a.lifetime - b.lifetime || (a.id < b.id ? -1 : 1)));
    }
    this.#state.lifetime = this.#sql.lifetime.get()?.lifetime ?? 0;
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new VolplexError('System', `store schema version ${version} is newer than this volplex understands (${MIGRATIONS.length}); upgrade volplex`);
  }
  MIGRATIONS.slice(version).forEach((step, index) => {
    db.transaction(() => {
      db.exec(step);
      db.pragma(`user_version = ${version + index + 1}`);
    })();
  });
}
