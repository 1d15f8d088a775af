import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Etcd3 } from 'etcd3';
import { stringify } from 'yaml';

import type { VolplexConfig } from '../../src/config/config.js';
import { CLI, startDaemon } from '../support/daemon.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { makeTempDir, removeTempDir } from '../support/harness.js';
import { eventually, hostConfig, mountsOf, pluginOk, statusOf } from '../support/hosts.js';
import { unmountBelow } from '../support/private-dockerd.js';

const PREFIX = '/migrate-test';

describe('volplex store migrate --to etcd', () => {
  let root: string;
  let cluster: EtcdCluster;
  let client: Etcd3;
  let device: string;
  const etcdConfig = (): VolplexConfig => hostConfig(root, 'host-m', cluster.endpoints, { prefix: PREFIX });
  const sqliteConfig = (): VolplexConfig => ({ ...etcdConfig(), store: { ...etcdConfig().store, kind: 'sqlite' } });
  const migrate = (): { status: number | null; stdout: string; stderr: string } => {
    const configFile = join(root, 'migrate.yaml');
    writeFileSync(configFile, stringify(sqliteConfig()));
    return spawnSync(process.execPath, [CLI, 'store', 'migrate', '--to', 'etcd', '--config', configFile], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '' } });
  };
  const records = async (): Promise<string[]> => Object.keys(await client.getAll().prefix(`${PREFIX}/volumes/`).strings()).sort();

  beforeAll(async () => {
    root = makeTempDir('migrate');
    cluster = await EtcdCluster.start(join(root, 'etcd'), 1);
    client = new Etcd3({ hosts: cluster.endpoints });
    device = join(root, 'host-m', 'devices', 'app');
    mkdirSync(device, { recursive: true });
  });

  afterAll(async () => {
    client.close();
    await cluster.stop();
    unmountBelow(root);
    removeTempDir(root);
  });

  it('refuses to start the etcd store on volumes etcd does not hold, copies them once (refusing on a conflict), and the daemon then serves them with their mount', async () => {
    const sqlite = await startDaemon(sqliteConfig());
    await pluginOk(sqlite, 'Create', { Name: 'managed', Opts: {} });
    await pluginOk(sqlite, 'Create', { Name: 'app', Opts: { device } });
    await pluginOk(sqlite, 'Mount', { Name: 'app', ID: 'c1' });
    await sqlite.stop();

    await expect(startDaemon(etcdConfig())).rejects.toThrow('is not in etcd under /migrate-test: run `volplex store migrate --to etcd` first');

    await client.put(`${PREFIX}/volumes/app`).value(JSON.stringify({ type: 'local', options: { device: '/srv/other' }, createdAt: '2026-01-01T00:00:00.000Z', host: 'host-z' }));
    const refused = migrate();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('etcd already holds other volumes under these names below /migrate-test: "app" (here type local; in etcd type local created on host "host-z"); nothing was copied');
    expect(await records()).toEqual([`${PREFIX}/volumes/app`]);

    await client.delete().key(`${PREFIX}/volumes/app`);
    const first = migrate();
    expect(first.stdout).toContain('copied 2 volume(s) to etcd under /migrate-test as created on host host-m: app, managed');
    expect(first.status).toBe(0);
    const again = migrate();
    expect(again.stdout).toContain('copied 0 volume(s)');
    expect(again.stdout).toContain('2 already there with the same options: app, managed');
    expect(await records()).toEqual([`${PREFIX}/volumes/app`, `${PREFIX}/volumes/managed`]);

    const daemon = await startDaemon(etcdConfig());
    try {
      expect(await statusOf(daemon, 'app')).toEqual(expect.objectContaining({ createdOn: 'host-m', mounted: true, references: 1, mountedOn: ['host-m'] }));
      expect(await mountsOf(daemon)).toHaveLength(1);
      // Written again under the new daemon's lease, in the background after its start.
      await eventually(async () => { expect(await client.get(`${PREFIX}/mounts/app/host-m`).string()).toBe('1'); });
      await pluginOk(daemon, 'Unmount', { Name: 'app', ID: 'c1' });
      await pluginOk(daemon, 'Remove', { Name: 'app' });
      await pluginOk(daemon, 'Remove', { Name: 'managed' });
      expect(await records()).toEqual([]);
      expect(await mountsOf(daemon)).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });
});
