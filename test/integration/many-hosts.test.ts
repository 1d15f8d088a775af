import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { CLI, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { makeTempDir, removeTempDir } from '../support/harness.js';
import { eventually, hostConfig, mountsOf, plugin, pluginOk, statusOf } from '../support/hosts.js';
import { unmountBelow } from '../support/private-dockerd.js';
import { glusterService } from '../support/services.js';

const gluster = glusterService();
const TTL = 5;

/**
 * Two volplex instances, as on two hosts (own hostId, socket, state dir and mount root), sharing
 * a real three-member etcd cluster and a real glusterd.
 */
describe('volumes shared by two hosts through a real etcd cluster', () => {
  let root: string;
  let cluster: EtcdCluster;
  let a: RunningDaemon;
  let b: RunningDaemon;
  const config = (host: string): ReturnType<typeof hostConfig> =>
    hostConfig(root, host, cluster.endpoints, { leaseTtl: TTL, commandTimeout: 10, backends: { glusterfs: { servers: [gluster.server], mountOptions: ['log-level=WARNING'] } } });
  const start = (host: string): Promise<RunningDaemon> => startDaemon(config(host));
  const glusterVolume = (subdir: string, extra: Record<string, string> = {}): Record<string, string> => ({ type: 'glusterfs', volume: gluster.volume, subdir: `many-hosts/${subdir}`, createSubdir: 'true', ...extra });
  const glusterMounts = (daemon: RunningDaemon): Promise<string[]> => mountsOf(daemon, 'fuse.glusterfs');
  /** What `volplex doctor --json` says of the store, with the host's configuration. */
  const storeFinding = (host: string): unknown => {
    const doctor = spawnSync(process.execPath, [CLI, 'doctor', '--json', '--config', join(root, host, 'volplex.yaml')], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '' } });
    return (JSON.parse(doctor.stdout) as { findings: Array<{ area: string }> }).findings.find((finding) => finding.area === 'store');
  };

  beforeAll(async () => {
    root = makeTempDir('many-hosts');
    cluster = await EtcdCluster.start(join(root, 'etcd'));
    a = await start('host-a');
    b = await start('host-b');
  });

  afterAll(async () => {
    // Either may be missing when beforeAll failed.
    await Promise.all(([a, b] as (RunningDaemon | undefined)[]).map((daemon) => daemon?.stop() ?? Promise.resolve()));
    await cluster.stop();
    unmountBelow(root);
    removeTempDir(root);
  });

  it('answers Capabilities with the global scope', async () => {
    expect(await pluginOk(a, 'Capabilities')).toEqual({ Capabilities: { Scope: 'global' }, Err: '' });
  });

  it('shows a volume created on one host in Get and List on the other; the same Create there is OK, another one an Err naming the host that created it', async () => {
    await pluginOk(a, 'Create', { Name: 'shared', Opts: glusterVolume('shared') });
    await eventually(async () => {
      expect(await statusOf(b, 'shared')).toEqual(expect.objectContaining({ type: 'glusterfs', createdOn: 'host-a', access: 'multi', mountedOn: [], mounted: false }));
      expect((await pluginOk(b, 'List')).Volumes).toContainEqual({ Name: 'shared', Mountpoint: expect.stringMatching(new RegExp(`^${b.config.mountRoot}/glusterfs-`)) as unknown });
    });
    await pluginOk(b, 'Create', { Name: 'shared', Opts: glusterVolume('shared') });
    const other = await plugin(b, 'Create', { Name: 'shared', Opts: glusterVolume('elsewhere') });
    expect(other.Err).toMatch(/^create shared: a volume with this name already exists with other options \(type glusterfs, created on host "host-a"\); remove it first or choose another name \[req [0-9a-f]{6}\]$/);
  });

  it('refuses a Remove on one host while the other holds a mount, naming it; after the Unmount the Remove goes through', async () => {
    const mountpoint = (await pluginOk(a, 'Mount', { Name: 'shared', ID: 'c1' })).Mountpoint as string;
    writeFileSync(join(mountpoint, 'from-a'), 'written on host-a');
    await eventually(async () => { expect(await statusOf(b, 'shared')).toEqual(expect.objectContaining({ mountedOn: ['host-a'] })); });
    const refused = await plugin(b, 'Remove', { Name: 'shared' });
    expect(refused.Err).toMatch(/^remove shared: volume is in use on host "host-a": unmount it there first \[req [0-9a-f]{6}\]$/);
    // The other host mounts the same gluster directory and reads what the first wrote.
    const there = (await pluginOk(b, 'Mount', { Name: 'shared', ID: 'c2' })).Mountpoint as string;
    expect(readFileSync(join(there, 'from-a'), 'utf8')).toBe('written on host-a');
    await eventually(async () => { expect(await statusOf(a, 'shared')).toEqual(expect.objectContaining({ mountedOn: ['host-a', 'host-b'] })); });
    await pluginOk(b, 'Unmount', { Name: 'shared', ID: 'c2' });
    await pluginOk(a, 'Unmount', { Name: 'shared', ID: 'c1' });
    await pluginOk(b, 'Remove', { Name: 'shared' });
    await eventually(async () => { expect((await plugin(a, 'Get', { Name: 'shared' })).Err).toMatch(/^volume "shared" not found/); });
    expect(await glusterMounts(a)).toEqual([]);
    expect(await glusterMounts(b)).toEqual([]);
  });

  it('keeps a type=local volume to the host that created it', async () => {
    await pluginOk(a, 'Create', { Name: 'here', Opts: { type: 'local' } });
    await eventually(async () => { expect(await statusOf(b, 'here')).toEqual(expect.objectContaining({ createdOn: 'host-a' })); });
    expect((await plugin(b, 'Mount', { Name: 'here', ID: 'x' })).Err).toMatch(/^mount here: volume is a type=local volume of host "host-a" \(its directory is there\): mount and remove it on that host; this host is "host-b"/);
    expect((await plugin(b, 'Remove', { Name: 'here' })).Err).toContain('volume is a type=local volume of host "host-a"');
    await pluginOk(a, 'Mount', { Name: 'here', ID: 'x' });
    await pluginOk(a, 'Unmount', { Name: 'here', ID: 'x' });
    await pluginOk(a, 'Remove', { Name: 'here' });
  });

  it('lets one host at a time mount a single-writer volume; after kill -9 of the holder the other mounts within the lease TTL + 2 s, and the restarted holder adopts its mount without taking the owner key back', async () => {
    await pluginOk(a, 'Create', { Name: 'solo', Opts: glusterVolume('solo', { access: 'single-writer' }) });
    const mountpoint = (await pluginOk(a, 'Mount', { Name: 'solo', ID: 'a1' })).Mountpoint as string;
    writeFileSync(join(mountpoint, 'owner'), 'host-a');
    await eventually(async () => { expect(await statusOf(b, 'solo')).toEqual(expect.objectContaining({ access: 'single-writer', owner: 'host-a' })); });
    const asked = Date.now();
    const refused = await plugin(b, 'Mount', { Name: 'solo', ID: 'b1' });
    const refusedMs = Date.now() - asked;
    expect(refused.Err).toMatch(/^mount solo: volume is single-writer and in use on host "host-a": unmount it there first/);
    expect(refusedMs).toBeLessThan(2000);
    expect(await glusterMounts(b)).toEqual([]);
    const status = await statusOf(b, 'solo');
    expect(status?.ownerLeaseExpiresInSeconds).toEqual(expect.any(Number));
    expect(status?.ownerLeaseExpiresInSeconds as number).toBeLessThanOrEqual(TTL);

    await a.kill();
    const killed = Date.now();
    let attempts = 0;
    let answer = await plugin(b, 'Mount', { Name: 'solo', ID: 'b1' });
    while (answer.Err !== '' && Date.now() - killed < (TTL + 10) * 1000) {
      attempts += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await plugin(b, 'Mount', { Name: 'solo', ID: 'b1' });
    }
    const failoverMs = Date.now() - killed;
    process.stdout.write(`single-writer failover: kill -9 of host-a → host-b mounted after ${failoverMs} ms (lease TTL ${TTL} s, ${attempts} refused Mounts before)\n`);
    expect(answer.Err).toBe('');
    expect(failoverMs).toBeLessThanOrEqual((TTL + 2) * 1000);
    expect(readFileSync(join(answer.Mountpoint as string, 'owner'), 'utf8')).toBe('host-a');

    // host-a's mount outlived its daemon; the restarted daemon adopts it and leaves the owner key to host-b.
    expect(await glusterMounts(a)).toHaveLength(1);
    a = await start('host-a');
    await eventually(async () => {
      expect(await statusOf(a, 'solo')).toEqual(expect.objectContaining({ mounted: true, references: 1, owner: 'host-b', mountedOn: ['host-a', 'host-b'], ownerConflict: expect.stringContaining('in use on host "host-b"') as unknown }));
    });
    expect(await glusterMounts(a)).toHaveLength(1);
    expect(await statusOf(b, 'solo')).toEqual(expect.objectContaining({ owner: 'host-b' }));

    // When host-b lets go, the host still holding it takes the owner key; when it lets go too, nobody holds it.
    await pluginOk(b, 'Unmount', { Name: 'solo', ID: 'b1' });
    await eventually(async () => { expect(await statusOf(b, 'solo')).toEqual(expect.objectContaining({ owner: 'host-a', mountedOn: ['host-a'] })); });
    await pluginOk(a, 'Unmount', { Name: 'solo', ID: 'a1' });
    await eventually(async () => { expect(await statusOf(b, 'solo')).not.toHaveProperty('owner'); });
    expect(await glusterMounts(a)).toEqual([]);
    await pluginOk(b, 'Remove', { Name: 'solo' });
  }, 120_000);

  it('works on with one etcd member killed (the other two are a quorum)', async () => {
    await cluster.kill(0);
    try {
      // The two left elect a leader among them (when the killed one led) within a few seconds.
      await Promise.all([cluster.waitHealthy(1), cluster.waitHealthy(2)]);
      await pluginOk(a, 'Create', { Name: 'quorum', Opts: glusterVolume('quorum') });
      await eventually(async () => { expect(await statusOf(b, 'quorum')).toEqual(expect.objectContaining({ createdOn: 'host-a' })); });
      await pluginOk(b, 'Mount', { Name: 'quorum', ID: 'q' });
      expect((await plugin(a, 'Remove', { Name: 'quorum' })).Err).toContain('volume is in use on host "host-b"');
      await pluginOk(b, 'Unmount', { Name: 'quorum', ID: 'q' });
      await pluginOk(a, 'Remove', { Name: 'quorum' });
      expect(await statusOf(a, 'quorum')).toBeUndefined();
    } finally {
      await cluster.restart(0);
    }
  });

  it('with every member killed: Get and List answer from the cache (after a restart too), Create, Remove and a single-writer Mount fail within 5 s, Unmount works; once etcd is back everything converges, no mount lost or leaked', async () => {
    await pluginOk(a, 'Create', { Name: 'held', Opts: glusterVolume('held') });
    await pluginOk(a, 'Create', { Name: 'idle', Opts: glusterVolume('idle') });
    await pluginOk(a, 'Create', { Name: 'fenced', Opts: glusterVolume('fenced', { access: 'single-writer' }) });
    await pluginOk(a, 'Mount', { Name: 'held', ID: 'h1' });
    await pluginOk(b, 'Mount', { Name: 'held', ID: 'h2' });
    await eventually(async () => { expect(await statusOf(a, 'held')).toEqual(expect.objectContaining({ mountedOn: ['host-a', 'host-b'] })); });

    await Promise.all([0, 1, 2].map((member) => cluster.kill(member)));
    const timed = async (task: () => Promise<{ Err: string }>): Promise<{ Err: string; ms: number }> => {
      const started = Date.now();
      const answer = await task();
      return { Err: answer.Err, ms: Date.now() - started };
    };
    const create = await timed(() => plugin(a, 'Create', { Name: 'during', Opts: glusterVolume('during') }));
    const remove = await timed(() => plugin(a, 'Remove', { Name: 'idle' }));
    const fenced = await timed(() => plugin(b, 'Mount', { Name: 'fenced', ID: 'f' }));
    const get = await timed(() => plugin(b, 'Get', { Name: 'held' }));
    const list = await timed(() => plugin(b, 'List'));
    const unmount = await timed(() => plugin(a, 'Unmount', { Name: 'held', ID: 'h1' }));
    process.stdout.write(`etcd down (all three members killed): Create ${create.ms} ms, Remove ${remove.ms} ms, single-writer Mount ${fenced.ms} ms (all refused), Get ${get.ms} ms, List ${list.ms} ms, Unmount ${unmount.ms} ms\n`);
    expect(create.Err).toMatch(/^create during: create the volume record: the etcd cluster cannot be reached \(/);
    expect(remove.Err).toMatch(/^remove idle: remove the volume record: the etcd cluster cannot be reached \(/);
    expect(fenced.Err).toMatch(/^mount fenced: .*the etcd cluster cannot be reached \(/);
    for (const refused of [create, remove, fenced]) {
      expect(refused.ms).toBeLessThan(5000);
    }
    expect(get.Err).toBe('');
    expect(list.Err).toBe('');
    expect(unmount.Err).toBe('');
    expect(await glusterMounts(b)).toHaveLength(1);
    expect(await statusOf(a, 'held')).toEqual(expect.objectContaining({ store: expect.stringMatching(/^store unreachable since \d{4}-\d\d-\d\dT/) as unknown }));
    expect(await statusOf(a, 'during')).toBeUndefined();
    expect(storeFinding('host-a')).toEqual(expect.objectContaining({ level: 'FAIL', text: expect.stringContaining('the etcd cluster cannot be reached') as unknown }));
    // A host restarted while etcd is down serves what it knew from its own SQLite: every record, its counts.
    await b.stop();
    b = await start('host-b');
    expect(await statusOf(b, 'held')).toEqual(expect.objectContaining({ mounted: true, references: 1, store: expect.stringMatching(/^store unreachable since /) as unknown }));
    expect((await pluginOk(b, 'List')).Volumes).toEqual(expect.arrayContaining([expect.objectContaining({ Name: 'fenced' }), expect.objectContaining({ Name: 'idle' })]));

    await Promise.all([0, 1, 2].map((member) => cluster.restart(member)));
    // host-a's Unmount reaches etcd; host-b's mount is still recorded; the refused Create left nothing.
    await eventually(async () => {
      for (const daemon of [a, b]) {
        const status = await statusOf(daemon, 'held');
        expect(status).toEqual(expect.objectContaining({ mountedOn: ['host-b'] }));
        expect(status).not.toHaveProperty('store');
      }
    }, 20_000);
    expect(await statusOf(b, 'during')).toBeUndefined();
    expect(storeFinding('host-a')).toEqual(expect.objectContaining({ level: 'ok', text: expect.stringMatching(/ answers: 3 volume record\(s\); this host holds mounts of 0$/) as unknown }));
    expect((await plugin(a, 'Remove', { Name: 'held' })).Err).toContain('volume is in use on host "host-b"');
    await pluginOk(b, 'Mount', { Name: 'fenced', ID: 'f' });
    await pluginOk(b, 'Unmount', { Name: 'fenced', ID: 'f' });
    await pluginOk(b, 'Unmount', { Name: 'held', ID: 'h2' });
    for (const name of ['held', 'idle', 'fenced']) {
      await pluginOk(a, 'Remove', { Name: name });
    }
    expect(await glusterMounts(a)).toEqual([]);
    expect(await glusterMounts(b)).toEqual([]);
  }, 120_000);
});
