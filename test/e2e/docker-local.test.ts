import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { composeDown, composeUp, docker, dockerOk, E2E_PLUGIN, E2E_SOCKET, runWithVolume, startHolder } from '../support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';

const PLUGIN = E2E_PLUGIN;

const mountsBelow = async (root: string): Promise<string[]> =>
  (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);

describe('local volumes through the real Docker Engine', () => {
  let root: string;
  let device: string;
  let daemon: RunningDaemon;
  const config = (): ReturnType<typeof testConfig> => testConfig(root, { socket: E2E_SOCKET, log: { level: 'info' } });
  const run = runWithVolume;
  const startContainer = startHolder;

  beforeAll(async () => {
    root = makeTempDir('e2e');
    device = join(root, 'devices', 'app-data');
    mkdirSync(device, { recursive: true });
    daemon = await startDaemon(config());
  });

  afterAll(async () => {
    docker(['rm', '-f', 'e2e-long', 'e2e-one', 'e2e-two', 'e2e-crash']);
    for (const volume of ['appdata', 'scratch', 'crashy']) {
      docker(['volume', 'rm', '-f', volume]);
    }
    await daemon.stop();
    removeTempDir(root);
  });

  it('creates, writes from one container, reads from another, and keeps the data on the host', async () => {
    dockerOk(['volume', 'create', '-d', PLUGIN, '-o', 'type=local', '-o', `device=${device}`, 'appdata']);
    run('appdata', 'echo hi > /data/x');
    expect(run('appdata', 'cat /data/x')).toBe('hi');
    expect(readFileSync(join(device, 'x'), 'utf8')).toBe('hi\n');
    expect(await mountsBelow(root)).toEqual([]);
  });

  it('shows CreatedAt and a Status in docker volume inspect', () => {
    const inspected = JSON.parse(dockerOk(['volume', 'inspect', 'appdata'])) as Array<Record<string, unknown>>;
    expect(inspected[0]).toEqual(
      expect.objectContaining({
        Driver: PLUGIN,
        Name: 'appdata',
        CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        Status: expect.objectContaining({ type: 'local', mounted: false, references: 0, device }),
      }),
    );
  });

  it('refuses rm while a container uses the volume', () => {
    startContainer('e2e-long', 'appdata');
    const refused = docker(['volume', 'rm', 'appdata']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/in use/);
    dockerOk(['rm', '-f', 'e2e-long']);
  });

  it('keeps the mount while one of two containers runs, and unmounts after both stop', async () => {
    startContainer('e2e-one', 'appdata');
    startContainer('e2e-two', 'appdata');
    expect(await mountsBelow(root)).toHaveLength(1);
    dockerOk(['stop', '-t', '0', 'e2e-one']);
    expect(await mountsBelow(root)).toHaveLength(1);
    const status = (JSON.parse(dockerOk(['volume', 'inspect', 'appdata'])) as Array<{ Status: Record<string, unknown> }>)[0]?.Status;
    expect(status).toEqual(expect.objectContaining({ mounted: true, references: 1 }));
    dockerOk(['stop', '-t', '0', 'e2e-two']);
    expect(await mountsBelow(root)).toEqual([]);
    dockerOk(['rm', 'e2e-one', 'e2e-two']);
  });

  it('removes the volume but never the data under its device', () => {
    dockerOk(['volume', 'rm', 'appdata']);
    expect(docker(['volume', 'inspect', 'appdata']).status).not.toBe(0);
    expect(existsSync(join(device, 'x'))).toBe(true);
  });

  it('manages a directory for a volume created without a device, and deletes it on rm', () => {
    dockerOk(['volume', 'create', '-d', PLUGIN, 'scratch']);
    run('scratch', 'echo tmp > /data/t');
    const managed = join(config().stateDir, 'volumes', 'scratch');
    expect(readFileSync(join(managed, 't'), 'utf8')).toBe('tmp\n');
    dockerOk(['volume', 'rm', 'scratch']);
    expect(existsSync(managed)).toBe(false);
  });

  it('shows a clear error for a bad option, through docker', () => {
    const refused = docker(['volume', 'create', '-d', PLUGIN, '-o', 'devcie=/srv', 'typo']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('unknown option "devcie" for type local; valid: device, create, ro');
  });

  it('after kill -9 of the plugin with a container running, unmounts cleanly when the container stops', async () => {
    dockerOk(['volume', 'create', '-d', PLUGIN, '-o', `device=${device}`, 'crashy']);
    startContainer('e2e-crash', 'crashy');
    expect(await mountsBelow(root)).toHaveLength(1);
    await daemon.kill();
    daemon = await startDaemon(config());
    dockerOk(['stop', '-t', '0', 'e2e-crash']);
    expect(await mountsBelow(root)).toEqual([]);
    dockerOk(['rm', 'e2e-crash']);
    dockerOk(['volume', 'rm', 'crashy']);
  });

  it('works from docker-compose with driver_opts', async () => {
    const project = join(root, 'compose');
    mkdirSync(project);
    composeUp(project, 'e2ecompose', { type: 'local', device }, 'echo from-compose > /data/c');
    expect(readFileSync(join(device, 'c'), 'utf8')).toBe('from-compose\n');
    const inspected = JSON.parse(dockerOk(['volume', 'inspect', 'e2ecompose_shared'])) as Array<{ Driver: string; Options: Record<string, string> }>;
    expect(inspected[0]).toEqual(expect.objectContaining({ Driver: PLUGIN, Options: { type: 'local', device } }));
    composeDown(project, 'e2ecompose');
    expect(docker(['volume', 'inspect', 'e2ecompose_shared']).status).not.toBe(0);
    const asked = await callPlugin(config().socket, '/VolumeDriver.Get', goJson({ Name: 'e2ecompose_shared' }));
    expect(asked.body.Err).toContain('not found');
  });
});
