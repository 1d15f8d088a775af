import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';

import { MIGRATIONS } from '../../../src/store/migrations.js';
import { SqliteStore, STORE_FILE } from '../../../src/store/sqlite-store.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

describe(SqliteStore.name, () => {
  let dir: string;
  let stateDir: string;

  beforeEach(() => {
    dir = makeTempDir('store');
    stateDir = join(dir, 'state');
  });

  afterEach(() => { removeTempDir(dir); });

  it('keeps its directory 0700 and its files 0600', async () => {
    const store = new SqliteStore(stateDir);
    await store.insertVolume({ name: 'v1', type: 'local', options: {}, createdAt: '2026-01-01T00:00:00.000Z' });
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    for (const suffix of ['', '-wal', '-shm']) {
      expect(statSync(join(stateDir, STORE_FILE + suffix)).mode & 0o777).toBe(0o600);
    }
    store.close();
  });

  it('checkpoints in a worker thread once it has run a second: a commit never waits for the fsync of a checkpoint', async () => {
    const store = new SqliteStore(stateDir);
    const inDatabaseFile = (text: string): boolean => readFileSync(join(stateDir, STORE_FILE)).includes(Buffer.from(text));
    await store.insertVolume({ name: 'early', type: 'local', options: {}, createdAt: '2026-01-01T00:00:00.000Z' });
    // A small commit stays in the WAL: SQLite's own checkpoint waits for 1000 pages.
    expect(inDatabaseFile('early')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2600));
    await store.insertVolume({ name: 'checkpointed-by-the-worker', type: 'local', options: {}, createdAt: '2026-01-01T00:00:00.000Z' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect({ early: inDatabaseFile('early'), later: inDatabaseFile('checkpointed-by-the-worker') }).toEqual({ early: true, later: true });
    store.close();
  }, 10_000);

  it('keeps no trace of a removed volume\'s options in the database, its WAL or its shared memory file', async () => {
    const canary = `CANARY-${'5e1f0c'.repeat(4)}`;
    const filesHolding = (text: string): string[] =>
      ['', '-wal', '-shm'].map((suffix) => join(stateDir, STORE_FILE + suffix)).filter((file) => existsSync(file) && readFileSync(file).includes(Buffer.from(text)));
    const store = new SqliteStore(stateDir);
    await store.insertVolume({ name: 'keep', type: 'local', options: { device: '/srv/keep' }, createdAt: '2026-01-01T00:00:00.000Z' });
    await store.insertVolume({ name: 'secret', type: 'ossfs', options: { bucket: 'b', ak_id: 'ID', ak_secret: canary }, createdAt: '2026-01-01T00:00:00.000Z' });
    // Mount and unmount rewrite the row (backend_key), leaving old copies of it behind in pages and WAL frames.
    for (let round = 0; round < 20; round += 1) {
      await store.addReference('secret', `id-${round}`, 'ossfs:k');
      await store.releaseReference('secret', `id-${round}`);
    }
    expect(filesHolding(canary)).not.toEqual([]);
    await store.deleteVolume('secret', async () => undefined);
    expect(filesHolding(canary)).toEqual([]);
    expect(filesHolding('/srv/keep')).not.toEqual([]);
    expect(store.getVolume('keep')?.options).toEqual({ device: '/srv/keep' });
    store.close();
    expect(filesHolding(canary)).toEqual([]);
  });

  it('records its schema version and refuses a newer one', async () => {
    new SqliteStore(stateDir).close();
    const db = new Database(join(stateDir, STORE_FILE));
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteStore(stateDir)).toThrow('is newer than this volplex understands');
  });

  it('counts references per mount ID and tells who holds a backend', async () => {
    const store = new SqliteStore(stateDir);
    for (const name of ['a', 'b']) {
      await store.insertVolume({ name, type: 'local', options: {}, createdAt: '2026-01-01T00:00:00.000Z' });
    }
    await store.addReference('a', 'X', 'local:k');
    await store.addReference('a', 'X', 'local:k');
    await store.addReference('b', 'Y', 'local:k');
    expect(store.usage('a')).toEqual({ references: 2, mountIds: 1, backendKey: 'local:k' });
    expect(await store.releaseReference('a', 'nope')).toEqual({ released: false, volumeReferences: 2, backendUsers: 2, backendKey: 'local:k' });
    expect(await store.releaseReference('a', 'X')).toEqual({ released: true, volumeReferences: 1, backendUsers: 2, backendKey: 'local:k' });
    expect(await store.releaseReference('a', 'X')).toEqual({ released: true, volumeReferences: 0, backendUsers: 1, backendKey: 'local:k' });
    await expect(store.deleteVolume('b', async () => undefined)).rejects.toThrow('volume is in use');
    expect(await store.dropBackend('local:k')).toEqual(['b']);
    expect(store.heldBackends().size).toBe(0);
    store.close();
  });

  describe('having references from more than one dockerd lifetime', () => {
    let store: SqliteStore;

    beforeEach(async () => {
      store = new SqliteStore(stateDir);
      await store.insertVolume({ name: 'a', type: 'local', options: {}, createdAt: '2026-01-01T00:00:00.000Z' });
    });

    afterEach(() => { store.close(); });

    it('counts each Mount in the lifetime it came in, and releases the newest first', async () => {
      await store.addReference('a', 'X', 'local:k');
      expect(store.beginDockerLifetime()).toBe(1);
      await store.addReference('a', 'X', 'local:k');
      await store.addReference('a', 'X', 'local:k');
      expect(store.references('a').map(({ id, lifetime, count }) => ({ id, lifetime, count }))).toEqual([
        { id: 'X', lifetime: 0, count: 1 },
        { id: 'X', lifetime: 1, count: 2 },
      ]);
      expect(store.usage('a')).toEqual({ references: 3, mountIds: 1, backendKey: 'local:k' });
      await store.releaseReference('a', 'X');
      await store.releaseReference('a', 'X');
      expect(store.references('a').map(({ lifetime, count }) => [lifetime, count])).toEqual([[0, 1]]);
    });

    it('drops part of a row or all of it, and lets go of the backend with the last reference', async () => {
      await store.addReference('a', 'X', 'local:k');
      await store.addReference('a', 'X', 'local:k');
      expect(await store.dropReference('a', 'X', 0, 1)).toEqual({ released: true, volumeReferences: 1, backendUsers: 1, backendKey: 'local:k' });
      expect((await store.dropReference('a', 'X', 1, 1)).released).toBe(false);
      expect(await store.dropReference('a', 'X', 0, 5)).toEqual({ released: true, volumeReferences: 0, backendUsers: 0, backendKey: 'local:k' });
      expect(store.usage('a')).toEqual({ references: 0, mountIds: 0, backendKey: null });
    });

    it('keeps the lifetime across restarts', async () => {
      store.beginDockerLifetime();
      store.beginDockerLifetime();
      store.close();
      store = new SqliteStore(stateDir);
      expect(store.dockerLifetime()).toBe(2);
    });
  });

  it('upgrades a store of schema 1 keeping every count, in lifetime 0', async () => {
    mkdirSync(stateDir, { recursive: true });
    const db = new Database(join(stateDir, STORE_FILE));
    db.exec(MIGRATIONS[0] ?? '');
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO volumes (name, type, options, created_at, backend_key) VALUES ('a', 'local', '{}', '2026-01-01T00:00:00.000Z', 'local:k')").run();
    db.prepare("INSERT INTO mount_refs (volume, mount_id, count) VALUES ('a', 'X', 2), ('a', 'Y', 1)").run();
    db.close();
    const store = new SqliteStore(stateDir);
    expect(store.usage('a')).toEqual({ references: 3, mountIds: 2, backendKey: 'local:k' });
    expect(store.references('a')).toEqual([
      { id: 'X', lifetime: 0, count: 2, changedAt: 0 },
      { id: 'Y', lifetime: 0, count: 1, changedAt: 0 },
    ]);
    expect(store.dockerLifetime()).toBe(0);
    store.close();
  });
});
