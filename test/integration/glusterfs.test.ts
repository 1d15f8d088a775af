import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';

import { LinuxMounter } from '../../src/system/linux-mounter.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { createRealHarness, type ConfigOverrides, type Harness } from '../support/harness.js';
import { fuseClients } from '../support/processes.js';
import { glusterService } from '../support/services.js';

const gluster = glusterService();
const COMMAND_TIMEOUT = 4;

const glusterMountsBelow = async (root: string): Promise<string[]> =>
  (await readMountinfo()).filter((entry) => entry.fsType === 'fuse.glusterfs' && entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);

describe('glusterfs volumes against a real glusterd', () => {
  let harness: Harness<LinuxMounter>;
  const make = (config: ConfigOverrides = {}): Harness<LinuxMounter> =>
    createRealHarness({
      config: { commandTimeout: COMMAND_TIMEOUT, backends: { glusterfs: { servers: [gluster.server], mountOptions: ['log-level=WARNING'] } }, ...config },
    });

  afterEach(async () => {
    expect(await glusterMountsBelow(harness.root)).toEqual([]);
    harness.close();
  });

  it('shares one FUSE mount between two docker volumes on subdirs, and writes land on the brick', async () => {
    harness = make();
    await harness.service.create('team-a', { type: 'glusterfs', volume: gluster.volume, subdir: 'team-a/db', createSubdir: 'true' });
    await harness.service.create('team-b', { type: 'glusterfs', volume: gluster.volume, subdir: 'team-b', createSubdir: 'true' });

    let started = process.hrtime.bigint();
    const a = await harness.service.mount('team-a', 'A');
    const firstMountMs = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    const b = await harness.service.mount('team-b', 'B');
    const sharedMountMs = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(`glusterfs mount timing: first (FUSE mount) ${firstMountMs.toFixed(0)} ms, shared ${sharedMountMs.toFixed(0)} ms\n`);

    expect(await glusterMountsBelow(harness.root)).toHaveLength(1);
    writeFileSync(join(a, 'from-a'), 'A');
    writeFileSync(join(b, 'from-b'), 'B');
    expect(readFileSync(join(gluster.bricks, gluster.volume, 'team-a', 'db', 'from-a'), 'utf8')).toBe('A');
    expect(readFileSync(join(gluster.bricks, gluster.volume, 'team-b', 'from-b'), 'utf8')).toBe('B');

    await harness.service.unmount('team-a', 'A');
    expect(await glusterMountsBelow(harness.root)).toHaveLength(1);
    started = process.hrtime.bigint();
    await harness.service.unmount('team-b', 'B');
    process.stdout.write(`glusterfs unmount timing: last (FUSE unmount) ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms\n`);
  });

  it('makes a subdir with the uid, gid and mode asked for (through the probe child), and refuses a bad mode', async () => {
    harness = make();
    const subdir = `owned-${process.pid}/data`;
    await harness.service.create('owned', { type: 'glusterfs', volume: gluster.volume, subdir, createSubdir: 'true', uid: '1500', gid: '1600', mode: '2770' });
    const mountpoint = await harness.service.mount('owned', 'A');
    const onMount = statSync(mountpoint);
    expect({ uid: onMount.uid, gid: onMount.gid, mode: (onMount.mode & 0o7777).toString(8) }).toEqual({ uid: 1500, gid: 1600, mode: '2770' });
    const onBrick = statSync(join(gluster.bricks, gluster.volume, subdir));
    expect({ uid: onBrick.uid, gid: onBrick.gid }).toEqual({ uid: 1500, gid: 1600 });
    await harness.service.unmount('owned', 'A');
    await expect(harness.service.create('badmode', { type: 'glusterfs', volume: gluster.volume, subdir, createSubdir: 'true', mode: '0999' })).rejects.toThrow(
      'create badmode: option "mode" for type glusterfs must not contain "9" (character 2); valid: an octal mode from 0 to 7777, such as 0755 (got "0999")',
    );
  });

  it('names a gluster volume that does not exist, leaving no mount', async () => {
    harness = make();
    await harness.service.create('wrong', { type: 'glusterfs', volume: 'no-such-volume' });
    await expect(harness.service.mount('wrong', 'A')).rejects.toThrow(`mount wrong: gluster volume "no-such-volume" does not exist on ${gluster.server} (or is not started)`);
    expect(harness.store.usage('wrong').references).toBe(0);
  });

  it('names a server that cannot be resolved', async () => {
    harness = make();
    await harness.service.create('unresolvable', { type: 'glusterfs', volume: gluster.volume, servers: 'gfs-dead.invalid' });
    await expect(harness.service.mount('unresolvable', 'A')).rejects.toThrow('cannot resolve gluster server gfs-dead.invalid');
  });

  describe('with a server that accepts connections and never answers', () => {
    let silent: Server;
    let port = 0;
    const connections: Socket[] = [];

    beforeAll(async () => {
      silent = createServer((socket) => connections.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      port = (silent.address() as { port: number }).port;
    });

    afterAll(async () => {
      connections.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    });

    it('gives a clear error within the command timeout and leaves no mount or client behind', async () => {
      harness = make();
      await harness.service.create('hung', { type: 'glusterfs', volume: gluster.volume, 'server-port': String(port) });
      const started = Date.now();
      await expect(harness.service.mount('hung', 'A')).rejects.toThrow(`mount hung: no answer from gluster servers ${gluster.server} in time`);
      expect(Date.now() - started).toBeLessThan((COMMAND_TIMEOUT + 10) * 1000);
      const target = harness.service.get('hung').mountpoint;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(fuseClients('glusterfs', target)).toEqual([]);
    });
  });

  it('heals a mount whose FUSE client process died, on the next Mount', async () => {
    harness = make();
    await harness.service.create('healme', { type: 'glusterfs', volume: gluster.volume });
    const mountpoint = await harness.service.mount('healme', 'A');
    const pids = fuseClients('glusterfs', mountpoint);
    expect(pids).toHaveLength(1);
    process.kill(Number(pids[0]), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(() => readdirSync(mountpoint)).toThrow(/ENOTCONN/);

    await harness.service.mount('healme', 'B');
    writeFileSync(join(mountpoint, 'after-heal'), 'ok');
    expect(readFileSync(join(gluster.bricks, gluster.volume, 'after-heal'), 'utf8')).toBe('ok');
    await harness.service.unmount('healme', 'A');
    await harness.service.unmount('healme', 'B');
  });
});
