import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { BUSYBOX } from '../support/docker.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { makeTempDir, removeTempDir } from '../support/harness.js';
import { eventually, hostConfig, mountsOf, statusOf } from '../support/hosts.js';
import { PrivateDockerd, unmountBelow } from '../support/private-dockerd.js';
import { glusterService } from '../support/services.js';

const gluster = glusterService();
const MINUTE = 60_000;

interface Host {
  readonly name: string;
  /** The plugin name this host's dockerd knows volplex by (its socket in /run/docker/plugins). */
  readonly plugin: string;
  readonly engine: PrivateDockerd;
  daemon?: RunningDaemon;
}

/**
 * Two Docker hosts on one machine: two private dockerds (own data-root, exec-root and socket),
 * each with its own volplex on the shared etcd cluster. Both engines scan /run/docker/plugins,
 * so each volplex has a plugin name of its own there, and each host uses its own.
 */
describe('two Docker Engines sharing volumes through volplex on one etcd cluster', () => {
  let root: string;
  let cluster: EtcdCluster;
  let hosts: [Host, Host];

  beforeAll(async () => {
    root = makeTempDir('docker-hosts');
    cluster = await EtcdCluster.start(join(root, 'etcd'));
    hosts = [
      { name: 'docker-host-1', plugin: 'volplex-hosts-1', engine: new PrivateDockerd(join(root, 'engine-1')) },
      { name: 'docker-host-2', plugin: 'volplex-hosts-2', engine: new PrivateDockerd(join(root, 'engine-2')) },
    ];
    for (const host of hosts) {
      await host.engine.start({ liveRestore: false });
      host.engine.importBusybox();
      host.daemon = await startDaemon(hostConfig(root, host.name, cluster.endpoints, {
        socket: `/run/docker/plugins/${host.plugin}.sock`,
        backends: { glusterfs: { servers: [gluster.server], mountOptions: ['log-level=WARNING'] } },
      }));
    }
  }, 3 * MINUTE);

  afterAll(async () => {
    for (const host of hosts) {
      await host.engine.stop();
    }
    for (const host of hosts) {
      await host.daemon?.stop();
    }
    await cluster.stop();
    unmountBelow(root);
    removeTempDir(root);
  }, 2 * MINUTE);

  it('lists on the second host a volume created on the first, and a container there reads what a container on the first wrote to glusterfs', async () => {
    const [first, second] = hosts;
    first.engine.dockerOk(['volume', 'create', '-d', first.plugin, '-o', 'type=glusterfs', '-o', `volume=${gluster.volume}`, '-o', 'subdir=docker-hosts', '-o', 'createSubdir=true', 'gshared']);
    await eventually(() => {
      const listed = second.engine.dockerOk(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']).split('\n');
      expect(listed).toContain(`${second.plugin} gshared`);
    });
    first.engine.dockerOk(['run', '--rm', '--network', 'none', '-v', 'gshared:/data', BUSYBOX, 'sh', '-c', 'echo written-on-host-1 > /data/f']);
    expect(readFileSync(join(gluster.bricks, gluster.volume, 'docker-hosts', 'f'), 'utf8')).toBe('written-on-host-1\n');
    // As Swarm does on every node: the name with the host's own driver (dockerd asks Get first and finds it).
    second.engine.dockerOk(['volume', 'create', '-d', second.plugin, 'gshared']);
    const read = second.engine.dockerOk(['run', '--rm', '--network', 'none', '-v', 'gshared:/data', BUSYBOX, 'cat', '/data/f']);
    expect(read).toBe('written-on-host-1');
    const inspected = JSON.parse(second.engine.dockerOk(['volume', 'inspect', 'gshared'])) as Array<{ Driver: string; Scope: string; Status: Record<string, unknown> }>;
    expect(inspected[0]).toEqual(expect.objectContaining({ Driver: second.plugin, Scope: 'global', Status: expect.objectContaining({ type: 'glusterfs', createdOn: 'docker-host-1' }) as unknown }));

    // A container running on the first host holds it: the second host's docker volume rm is refused, naming the first.
    first.engine.dockerOk(['run', '-d', '--name', 'holder', '--network', 'none', '-v', 'gshared:/data', BUSYBOX, 'sleep', '600']);
    const refused = second.engine.docker(['volume', 'rm', 'gshared']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('volume is in use on host "docker-host-1"');
    first.engine.dockerOk(['rm', '-f', 'holder']);
    second.engine.dockerOk(['volume', 'rm', 'gshared']);
    await eventually(async () => { expect(await statusOf(first.daemon as RunningDaemon, 'gshared')).toBeUndefined(); });
    for (const host of hosts) {
      expect(await mountsOf(host.daemon as RunningDaemon, 'fuse.glusterfs')).toEqual([]);
    }
  }, 3 * MINUTE);
});
