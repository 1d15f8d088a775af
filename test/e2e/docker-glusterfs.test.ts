import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { composeDown, composeUp, docker, dockerOk, E2E_PLUGIN, E2E_SOCKET, runWithVolume, startHolder } from '../support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { glusterService } from '../support/services.js';

const gluster = glusterService();

describe('glusterfs volumes through the real Docker Engine', () => {
  let root: string;
  let daemon: RunningDaemon;
  const glusterMounts = async (): Promise<number> =>
    (await readMountinfo()).filter((entry) => entry.fsType === 'fuse.glusterfs' && entry.mountPoint.startsWith(`${root}/`)).length;

  beforeAll(async () => {
    root = makeTempDir('e2e-gluster');
    daemon = await startDaemon(testConfig(root, { socket: E2E_SOCKET, log: { level: 'info' }, backends: { glusterfs: { servers: [gluster.server], mountOptions: ['log-level=WARNING'] } } }));
  });

  afterAll(async () => {
    docker(['rm', '-f', 'e2e-gluster-holder']);
    docker(['volume', 'rm', '-f', 'gdata', 'gdata2']);
    await daemon.stop();
    removeTempDir(root);
  });

  it('writes from one container and reads from a second, the data on the brick', async () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=glusterfs', '-o', `volume=${gluster.volume}`, '-o', 'subdir=e2e/app', '-o', 'createSubdir=true', 'gdata']);
    runWithVolume('gdata', 'echo gluster-hi > /data/g');
    expect(runWithVolume('gdata', 'cat /data/g')).toBe('gluster-hi');
    expect(readFileSync(join(gluster.bricks, gluster.volume, 'e2e', 'app', 'g'), 'utf8')).toBe('gluster-hi\n');
    expect(await glusterMounts()).toBe(0);
  });

  it('shares one FUSE mount between two docker volumes in use at once, and shows it in inspect', async () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=glusterfs', '-o', `volume=${gluster.volume}`, '-o', 'subdir=e2e/other', '-o', 'createSubdir=true', 'gdata2']);
    startHolder('e2e-gluster-holder', 'gdata');
    expect(runWithVolume('gdata2', 'echo second > /data/s; cat /data/s')).toBe('second');
    const status = (JSON.parse(dockerOk(['volume', 'inspect', 'gdata'])) as Array<{ Status: Record<string, unknown> }>)[0]?.Status;
    expect(status).toEqual(expect.objectContaining({ type: 'glusterfs', servers: gluster.server, glusterVolume: gluster.volume, subdir: 'e2e/app', mounted: true, references: 1 }));
    expect(await glusterMounts()).toBe(1);
    dockerOk(['rm', '-f', 'e2e-gluster-holder']);
    expect(await glusterMounts()).toBe(0);
    dockerOk(['volume', 'rm', 'gdata', 'gdata2']);
  });

  it('works from docker-compose with driver_opts type glusterfs', () => {
    const project = join(root, 'compose');
    mkdirSync(project);
    composeUp(project, 'e2egluster', { type: 'glusterfs', volume: gluster.secondVolume, subdir: 'compose', createSubdir: 'true' }, 'echo composed > /data/c');
    expect(readFileSync(join(gluster.bricks, gluster.secondVolume, 'compose', 'c'), 'utf8')).toBe('composed\n');
    composeDown(project, 'e2egluster');
    expect(docker(['volume', 'inspect', 'e2egluster_shared']).status).not.toBe(0);
  });
});
