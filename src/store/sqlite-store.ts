import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { VolplexError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import type { MountReference, ReleaseResult, Store, StoreCounts, VolumeRecord, VolumeUsage } from './store.js';

export const STORE_FILE = 'volplex.db';

interface VolumeRow {
  name: string;
  type: string;
  options: string;
  created_at: string;
}

/**
 * The store in `<stateDir>/volplex.db`: directory 0700, file 0600, WAL journal. Deleted rows
 * are overwritten (secure_delete) and the WAL is emptied after a Remove, so a removed volume's
 * options (an inline secret among them) are in none of the database files.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;

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
  }

  public getVolume(name: string): VolumeRecord | undefined {
    const row = this.#db.prepare<[string], VolumeRow>('SELECT name, type, options, created_at FROM volumes WHERE name = ?').get(name);
    return row === undefined ? undefined : toRecord(row);
  }

  public listVolumes(): VolumeRecord[] {
    return this.#db.prepare<[], VolumeRow>('SELECT name, type, options, created_at FROM volumes ORDER BY name').all().map(toRecord);
  }

  public insertVolume(record: VolumeRecord): void {
    this.#db
      .prepare('INSERT INTO volumes (name, type, options, created_at) VALUES (?, ?, ?, ?)')
      .run(record.name, record.type, JSON.stringify(record.options), record.createdAt);
  }

  public deleteVolume(name: string): void {
    this.#db.transaction(() => {
      if (this.usage(name).references > 0) {
        throw new VolplexError('Conflict', 'volume is in use');
      }
      this.#db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
    })();
    // The WAL still holds the pages as they were before: copy them home and truncate it.
    // A reader in the middle of a transaction (volplex ls) is waited for up to busy_timeout.
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  public usage(name: string): VolumeUsage {
    const row = this.#db
      .prepare<[string], { references: number | null; ids: number; backend_key: string | null }>(
        `SELECT (SELECT sum(count) FROM mount_refs WHERE volume = v.name) AS "references",
                (SELECT count(DISTINCT mount_id) FROM mount_refs WHERE volume = v.name) AS ids, v.backend_key
           FROM volumes v WHERE v.name = ?`,
      )
      .get(name);
    return { references: row?.references ?? 0, mountIds: row?.ids ?? 0, backendKey: row?.backend_key ?? null };
  }

  public addReference(name: string, id: string, backendKey: string): void {
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO mount_refs (volume, mount_id, lifetime, count, changed_at) VALUES (?, ?, (SELECT lifetime FROM docker_lifetime), 1, ?)
             ON CONFLICT DO UPDATE SET count = count + 1, changed_at = excluded.changed_at`,
        )
        .run(name, id, Date.now());
      this.#db.prepare('UPDATE volumes SET backend_key = ? WHERE name = ?').run(backendKey, name);
    })();
  }

  public releaseReference(name: string, id: string): ReleaseResult {
    return this.#db.transaction((): ReleaseResult => {
      const row = this.#db.prepare<[string, string], { lifetime: number }>('SELECT lifetime FROM mount_refs WHERE volume = ? AND mount_id = ? ORDER BY lifetime DESC LIMIT 1').get(name, id);
      return this.#release(name, id, row?.lifetime ?? -1, 1);
    })();
  }

  public references(name: string): MountReference[] {
    return this.#db
      .prepare<[string], { id: string; lifetime: number; count: number; changed_at: number }>('SELECT mount_id AS id, lifetime, count, changed_at FROM mount_refs WHERE volume = ? ORDER BY lifetime, mount_id')
      .all(name)
      .map((row) => ({ id: row.id, lifetime: row.lifetime, count: row.count, changedAt: row.changed_at }));
  }

  public dropReference(name: string, id: string, lifetime: number, count: number): ReleaseResult {
    return this.#db.transaction(() => this.#release(name, id, lifetime, count))();
  }

  public dockerLifetime(): number {
    return this.#db.prepare<[], { lifetime: number }>('SELECT lifetime FROM docker_lifetime').get()?.lifetime ?? 0;
  }

  public beginDockerLifetime(): number {
    return this.#db.transaction(() => {
      this.#db.prepare('UPDATE docker_lifetime SET lifetime = lifetime + 1').run();
      return this.dockerLifetime();
    })();
  }

  public backendUsers(backendKey: string): number {
    return this.#usersOf(backendKey);
  }

  public heldBackends(): Map<string, string[]> {
    const rows = this.#db
      .prepare<[], { name: string; backend_key: string }>('SELECT name, backend_key FROM volumes WHERE backend_key IS NOT NULL ORDER BY name')
      .all();
    const held = new Map<string, string[]>();
    for (const row of rows) {
      held.set(row.backend_key, [...(held.get(row.backend_key) ?? []), row.name]);
    }
    return held;
  }

  public counts(): StoreCounts {
    return this.#db.transaction((): StoreCounts => {
      const types = this.#db.prepare<[], { type: string; volumes: number }>('SELECT type, count(*) AS volumes FROM volumes GROUP BY type').all();
      const references = this.#db.prepare<[], { total: number | null }>('SELECT sum(count) AS total FROM mount_refs').get()?.total ?? 0;
      return { volumesByType: new Map(types.map((row) => [row.type, row.volumes])), references };
    })();
  }

  public dropBackend(backendKey: string): string[] {
    return this.#db.transaction(() => {
      const names = this.#db
        .prepare<[string], { name: string }>('SELECT name FROM volumes WHERE backend_key = ?')
        .all(backendKey)
        .map((row) => row.name);
      const forget = this.#db.prepare('DELETE FROM mount_refs WHERE volume = ?');
      names.forEach((name) => forget.run(name));
      this.#db.prepare('UPDATE volumes SET backend_key = NULL WHERE backend_key = ?').run(backendKey);
      return names;
    })();
  }

  public close(): void {
    this.#db.close();
  }

  /** Takes up to `count` from one row; clears the volume's backend when its last reference goes. Inside a transaction. */
  #release(name: string, id: string, lifetime: number, count: number): ReleaseResult {
    const before = this.usage(name);
    const row = this.#db.prepare<[string, string, number], { count: number }>('SELECT count FROM mount_refs WHERE volume = ? AND mount_id = ? AND lifetime = ?').get(name, id, lifetime);
    if (row === undefined || count < 1) {
      return { released: false, volumeReferences: before.references, backendUsers: this.#usersOf(before.backendKey), backendKey: before.backendKey };
    }
    const taken = Math.min(count, row.count);
    if (taken < row.count) {
      this.#db.prepare('UPDATE mount_refs SET count = count - ? WHERE volume = ? AND mount_id = ? AND lifetime = ?').run(taken, name, id, lifetime);
    } else {
      this.#db.prepare('DELETE FROM mount_refs WHERE volume = ? AND mount_id = ? AND lifetime = ?').run(name, id, lifetime);
    }
    const left = before.references - taken;
    if (left === 0) {
      this.#db.prepare('UPDATE volumes SET backend_key = NULL WHERE name = ?').run(name);
    }
    return { released: true, volumeReferences: left, backendUsers: this.#usersOf(before.backendKey), backendKey: before.backendKey };
  }

  #usersOf(backendKey: string | null): number {
    if (backendKey === null) {
      return 0;
    }
    return this.#db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM volumes WHERE backend_key = ?').get(backendKey)?.n ?? 0;
  }
}

function toRecord(row: VolumeRow): VolumeRecord {
  return { name: row.name, type: row.type, options: JSON.parse(row.options) as Record<string, string>, createdAt: row.created_at };
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
