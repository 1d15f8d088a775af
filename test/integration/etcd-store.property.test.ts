import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import fc from 'fast-check';

import type { VolplexConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { EtcdStore } from '../../src/store/etcd-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { eventually } from '../support/hosts.js';
import { applyOperations, observeStore, storeOperations } from '../support/store-operations.js';

describe('the store interface on SQLite and on a real three-member etcd cluster', () => {
  let dir: string;
  let cluster: EtcdCluster;
  let client: Etcd3;
  const log = createLogger('silent');
  let run = 0;

  beforeAll(async () => {
    dir = makeTempDir('etcd-property');
    cluster = await EtcdCluster.start(join(dir, 'etcd'));
    client = new Etcd3({ hosts: cluster.endpoints });
  });

  afterAll(async () => {
    client.close();
    await cluster.stop();
    removeTempDir(dir);
  });

  const etcdConfig = (name: string, prefix: string, hostId = 'host-a'): VolplexConfig =>
    testConfig(join(dir, name), { hostId, store: { kind: 'etcd', etcd: { endpoints: cluster.endpoints, prefix, leaseTtl: 10, tls: { ca: '', cert: '', key: '' } } } });

  /** The lease each mount record is bound to, by key. */
  const mountLeases = async (prefix: string): Promise<Record<string, string>> =>
    Object.fromEntries((await client.getAll().prefix(`${prefix}/mounts/`).exec()).kvs.map((kv) => [kv.key.toString(), kv.lease]));

  /** What etcd holds below the prefix, by key. */
  const etcdKeys = async (prefix: string): Promise<Record<string, string>> => client.getAll().prefix(`${prefix}/`).strings();

  it('gives the same answers and the same observable state for the same random operations; etcd holds the records and this host\'s mount counts', async () => {
    let mountedAtEnd = 0;
    await fc.assert(
      fc.asyncProperty(storeOperations, async (operations) => {
        run += 1;
        const prefix = `/property/run${run}`;
        const sqlite = new SqliteStore(join(dir, `sqlite-${run}`, 'state'));
        const etcd = await EtcdStore.open(etcdConfig(`etcd-${run}`, prefix), log);
        const other = await EtcdStore.open(etcdConfig(`other-${run}`, prefix, 'host-b'), log);
        const stores: Store[] = [sqlite, etcd, other];
        try {
          const expected = await applyOperations(sqlite, operations);
          expect(await applyOperations(etcd, operations)).toEqual(expected);
          const seen = observeStore(etcd);
          expect(seen).toEqual(observeStore(sqlite));
          const keys = await etcdKeys(prefix);
          const records = etcd.listVolumes();
          expect(Object.keys(keys).filter((key) => key.startsWith(`${prefix}/volumes/`)).sort()).toEqual(records.map((record) => `${prefix}/volumes/${record.name}`));
          const mounted = records.filter((record) => etcd.usage(record.name).references > 0);
          mountedAtEnd += mounted.length > 0 ? 1 : 0;
          expect(Object.entries(keys).filter(([key]) => key.startsWith(`${prefix}/mounts/`)).sort()).toEqual(mounted.map((record) => [`${prefix}/mounts/${record.name}/host-a`, String(etcd.usage(record.name).mountIds)]));
          // Another host sees every record and who mounts what, through its watch.
          await eventually(() => {
            expect(other.listVolumes()).toEqual(records);
            for (const record of records) {
              expect(other.sharing(record.name).mountedOn).toEqual(etcd.usage(record.name).references > 0 ? ['host-a'] : []);
            }
          });
        } finally {
          stores.forEach((store) => { store.close(); });
        }
        // A restarted host (same state dir) knows what it knew: counts from its SQLite, records from
        // etcd; and writes its mount records again under its new lease (the old one runs out).
        const leasesBefore = await mountLeases(prefix);
        const reopened = await EtcdStore.open(etcdConfig(`etcd-${run}`, prefix), log);
        const sqliteAgain = new SqliteStore(join(dir, `sqlite-${run}`, 'state'));
        try {
          expect(observeStore(reopened)).toEqual(observeStore(sqliteAgain));
          await eventually(async () => {
            const leasesAfter = await mountLeases(prefix);
            expect(Object.keys(leasesAfter)).toEqual(Object.keys(leasesBefore));
            expect(new Set(Object.values(leasesAfter)).size).toBeLessThanOrEqual(1);
            Object.values(leasesAfter).forEach((lease) => { expect(Object.values(leasesBefore)).not.toContain(lease); });
          });
        } finally {
          reopened.close();
          sqliteAgain.close();
        }
      }),
      { numRuns: 25, seed: 18 },
    );
    // The runs reached the interesting states: volumes still mounted at the end, their records in etcd.
    expect(mountedAtEnd).toBeGreaterThanOrEqual(5);
  });
});
