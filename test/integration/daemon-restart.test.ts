import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { CLI, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';

const mountsBelow = async (root: string): Promise<string[]> =>
  (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);

describe('the volplex daemon across crashes (root, real mounts)', () => {
  let root: string;
  let daemon: RunningDaemon | undefined;
  let device: string;
  const call = (endpoint: string, body: unknown): ReturnType<typeof callPlugin> => callPlugin(join(root, 'volplex.sock'), endpoint, goJson(body));

  beforeEach(() => {
    root = makeTempDir('daemon');
    device = join(root, 'devices', 'app');
    mkdirSync(device, { recursive: true });
  });

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    removeTempDir(root);
  });

  it('after kill -9 adopts the live mount, keeps its count, and unmounts on the last Unmount', async () => {
    daemon = await startDaemon(testConfig(root, { log: { level: 'info' } }));
    await call('/VolumeDriver.Create', { Name: 'app', Opts: { device } });
    const { Mountpoint: mountpoint } = (await call('/VolumeDriver.Mount', { Name: 'app', ID: 'ctr1' })).body as { Mountpoint: string };
    writeFileSync(join(mountpoint, 'before-crash'), 'x');
    await daemon.kill();

    daemon = await startDaemon(testConfig(root, { log: { level: 'info' } }));
    const status = ((await call('/VolumeDriver.Get', { Name: 'app' })).body.Volume as { Status: Record<string, unknown> }).Status;
    expect(status).toEqual(expect.objectContaining({ mounted: true, references: 1 }));
    expect(await mountsBelow(root)).toEqual([mountpoint]);

    expect((await call('/VolumeDriver.Unmount', { Name: 'app', ID: 'ctr1' })).body).toEqual({ Err: '' });
    expect(await mountsBelow(root)).toEqual([]);
    expect((await call('/VolumeDriver.Remove', { Name: 'app' })).body).toEqual({ Err: '' });
    expect(readFileSync(join(device, 'before-crash'), 'utf8')).toBe('x');
    expect(daemon.output()).toContain('reconciled counts with the kernel mount table');
  });

  it('drops counts for a mount that vanished while it was down, and unmounts strays under its mount root', async () => {
    const config = testConfig(root, { log: { level: 'info' } });
    daemon = await startDaemon(config);
    await call('/VolumeDriver.Create', { Name: 'app', Opts: { device } });
    const { Mountpoint: mountpoint } = (await call('/VolumeDriver.Mount', { Name: 'app', ID: 'ctr1' })).body as { Mountpoint: string };
    await daemon.kill();
    execFileSync('umount', [mountpoint]);
    const stray = join(config.mountRoot, 'stray');
    mkdirSync(stray);
    execFileSync('mount', ['--bind', device, stray]);

    daemon = await startDaemon(config);
    // Mount-state calls wait for reconcile, so this one sees its result.
    expect((await call('/VolumeDriver.Unmount', { Name: 'app', ID: 'ctr1' })).body).toEqual({ Err: '' });
    const status = ((await call('/VolumeDriver.Get', { Name: 'app' })).body.Volume as { Status: Record<string, unknown> }).Status;
    expect(status).toEqual(expect.objectContaining({ mounted: false, references: 0 }));
    expect(await mountsBelow(root)).toEqual([]);
    expect(daemon.output()).toMatch(/"dropped":\["app"\]/);
    expect(daemon.output()).toContain(`"unmounted":["${stray}"]`);
  });

  it('lists volumes with `volplex ls` while the daemon runs', async () => {
    const config = testConfig(root, { log: { level: 'info' } });
    daemon = await startDaemon(config);
    await call('/VolumeDriver.Create', { Name: 'listed', Opts: { device } });
    await call('/VolumeDriver.Mount', { Name: 'listed', ID: 'c1' });
    const listing = spawnSync(process.execPath, [CLI, 'ls', '--config', join(root, 'volplex.yaml')], { encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout.split('\n').map((line) => line.split(/\s+/).join(' '))).toEqual(['NAME TYPE MOUNTED REFERENCES HOLDERS', 'listed local yes 1 -', '']);
    await call('/VolumeDriver.Unmount', { Name: 'listed', ID: 'c1' });
  });

  it('refuses to start on a bad configuration, naming the key', async () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, 'scope: planet\n');
    const result = spawnSync(process.execPath, [CLI, 'serve', '--config', file], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('scope: must be one of the possible values: ["local","global"]');
  });
});
