import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { VolplexError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import { StoreState, type ReleasePlan } from './store-state.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import type { DeleteOptions, MountReference, ReleaseResult, Store, StoreCounts, VolumeRecord, VolumeSharing, VolumeUsage } from './store.js';

export const STORE_FILE = 'volplex.db';

interface VolumeRow {
  name: string;
  type: string;
  options: string;
  created_at: string;
  backend_key: string | null;
  access: string | null;
  host: string | null;
}

interface RefRow {
  volume: string;
  id: string;
  lifetime: number;
  count: number;
  changed_at: number;
}

type RecordColumns = [string, string, string, string, string | null, string | null];

function columns(record: VolumeRecord): RecordColumns {
  return [record.name, record.type, JSON.stringify(record.options), record.createdAt, record.access ?? null, record.host ?? null];
}

/** Every statement the store runs, prepared once when it opens. */
function prepare(db: Database.Database) {
  return {
    volumes: db.prepare<[], VolumeRow>('SELECT name, type, options, created_at, backend_key, access, host FROM volumes'),
    refs: db.prepare<[], RefRow>('SELECT volume, mount_id AS id, lifetime, count, changed_at FROM mount_refs'),
    lifetime: db.prepare<[], { lifetime: number }>('SELECT lifetime FROM docker_lifetime'),
    insertVolume: db.prepare<RecordColumns>('INSERT INTO volumes (name, type, options, created_at, access, host) VALUES (?, ?, ?, ?, ?, ?)'),
    mirrorVolume: db.prepare<RecordColumns>(
      `INSERT INTO volumes (name, type, options, created_at, access, host) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET type = excluded.type, options = excluded.options, created_at = excluded.created_at, access = excluded.access, host = excluded.host`,
    ),
    meta: db.prepare<[string], { value: string }>('SELECT value FROM store_meta WHERE key = ?'),
    setMeta: db.prepare<[string, string]>('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
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
  public readonly hostId = undefined;
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #state = new StoreState();
  readonly #checkpointer: WalCheckpointer;

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
    this.#checkpointer = new WalCheckpointer(this.#db, file);
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

  public async insertVolume(record: VolumeRecord): Promise<VolumeRecord | undefined> {
    const existing = this.#state.getVolume(record.name);
    if (existing !== undefined) {
      return existing;
    }
    this.#sql.insertVolume.run(...columns(record));
    this.#state.putVolume(record);
    return undefined;
  }

  public async deleteVolume(name: string, removeOwnedData: () => Promise<void>, options: DeleteOptions = {}): Promise<void> {
    if (this.#state.usage(name).references > 0) {
      throw new VolplexError('Conflict', 'volume is in use');
    }
    // Data first: if it cannot be removed, the volume stays and Remove can be tried again.
    await removeOwnedData();
    this.forgetVolume(name, options.holdsSecrets);
  }

  public usage(name: string): VolumeUsage {
    return this.#state.usage(name);
  }

  public async claim(): Promise<void> {
    // One host: nobody else to hold a volume.
  }

  public async unclaim(): Promise<void> {
    // Nothing was taken.
  }

  public async addReference(name: string, id: string, backendKey: string): Promise<void> {
    this.addReferenceNow(name, id, backendKey);
  }

  public async releaseReference(name: string, id: string): Promise<ReleaseResult> {
    return this.releaseReferenceNow(name, id);
  }

  public references(name: string): MountReference[] {
    return this.#state.references(name);
  }

  public async dropReference(name: string, id: string, lifetime: number, count: number): Promise<ReleaseResult> {
    return this.dropReferenceNow(name, id, lifetime, count);
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

  public async dropBackend(backendKey: string): Promise<string[]> {
    return this.dropBackendNow(backendKey);
  }

  public sharing(): VolumeSharing | undefined {
    return undefined;
  }

  public close(): void {
    this.#checkpointer.close();
    this.#db.close();
  }

  // The same changes, committed before they return: for a store that keeps its per-host part here (EtcdStore).

  public addReferenceNow(name: string, id: string, backendKey: string): void {
    const changedAt = Date.now();
    this.#db.transaction(() => {
      this.#sql.addReference.run(name, id, this.#state.lifetime, changedAt);
      this.#sql.setBackend.run(backendKey, name);
    })();
    this.#state.addReference(name, id, backendKey, changedAt);
  }

  public releaseReferenceNow(name: string, id: string): ReleaseResult {
    const lifetime = this.#state.latestLifetime(name, id);
    return lifetime === undefined ? this.#state.unchanged(name) : this.#release(this.#state.planRelease(name, id, lifetime, 1), name);
  }

  public dropReferenceNow(name: string, id: string, lifetime: number, count: number): ReleaseResult {
    return this.#release(this.#state.planRelease(name, id, lifetime, count), name);
  }

  public dropBackendNow(backendKey: string): string[] {
    const names = this.#state.volumesOn(backendKey);
    this.#db.transaction(() => {
      for (const name of names) {
        this.#sql.deleteReferencesOf.run(name);
        this.#sql.setBackend.run(null, name);
      }
    })();
    return this.#state.dropBackend(backendKey);
  }

  /** Adds the records, or replaces them keeping their references and backend: one transaction. */
  public mirror(records: readonly VolumeRecord[]): void {
    this.#db.transaction(() => {
      records.forEach((record) => this.#sql.mirrorVolume.run(...columns(record)));
    })();
    records.forEach((record) => {
      if (this.#state.getVolume(record.name) === undefined) {
        this.#state.putVolume(record);
      } else {
        this.#state.replaceRecord(record);
      }
    });
  }

  /**
   * Deletes the record, whatever another store says; the caller made sure no reference is left.
   * The row is overwritten (secure_delete); with `holdsSecrets` the WAL, which still holds the
   * pages as they were, is copied home and truncated too (about 1 ms: only when it matters).
   */
  public forgetVolume(name: string, holdsSecrets = true): void {
    this.#sql.deleteVolume.run(name);
    this.#state.deleteVolume(name);
    if (holdsSecrets) {
      // A reader in the middle of a transaction (volplex ls) is waited for up to busy_timeout.
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    }
  }

  /** A fact about this database itself (which shared store it caches), or undefined. */
  public meta(key: string): string | undefined {
    return this.#sql.meta.get(key)?.value;
  }

  public setMeta(key: string, value: string): void {
    this.#sql.setMeta.run(key, value);
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
      this.#state.putVolume(recordOf(row), row.backend_key, (refs.get(row.name) ?? []).sort((a, b) => a.lifetime - b.lifetime || (a.id < b.id ? -1 : 1)));
    }
    this.#state.lifetime = this.#sql.lifetime.get()?.lifetime ?? 0;
  }
}

function recordOf(row: VolumeRow): VolumeRecord {
  return {
    name: row.name,
    type: row.type,
    options: JSON.parse(row.options) as Record<string, string>,
    createdAt: row.created_at,
    ...(row.access === 'single-writer' ? { access: row.access } : {}),
    ...(row.host === null ? {} : { host: row.host }),
  };
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
