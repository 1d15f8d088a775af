import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { unboundAllowedRoots } from '../../src/core/host-bind-check.js';
import { MountTable } from '../../src/system/mount-table.js';
import { CLI, startDaemon } from '../support/daemon.js';
import { createHarness, removeTempDir, testConfig } from '../support/harness.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** A new directory on this namespace's root filesystem, as a container's unbound path is (not a tmpfs /tmp). */
async function dirOnRootFilesystem(): Promise<string> {
  const table = new MountTable();
  const candidates = [tmpdir(), '/var/tmp', join(REPO, 'dist')];
  const holders = await Promise.all(candidates.map((candidate) => table.filesystemOf(candidate)));
  const parent = candidates.find((_, index) => holders[index]?.mountPoint === '/');
  if (parent === undefined) {
    throw new Error('no candidate directory lies on the root filesystem of this machine');
  }
  return mkdtempSync(join(parent, 'volplex-hostbind-'));
}

/**
 * Plays the container: `bound` is a bind mount (as docker-compose.yml binds the host's device
 * tree), `unbound` lies on the root filesystem (as the container's own directories do).
 */
describe('allowed roots must be mounts from the host in a container or plugin (root, real bind mounts)', () => {
  let root: string;
  let bound: string;
  let unbound: string;

  beforeAll(async () => {
    root = await dirOnRootFilesystem();
    bound = join(root, 'bound');
    unbound = join(root, 'unbound');
    mkdirSync(bound);
    mkdirSync(unbound);
    execFileSync('mount', ['--bind', bound, bound]);
  });

  afterAll(() => {
    execFileSync('umount', [bound]);
    removeTempDir(root);
  });

  it('names each allowed root that is not a mount of its own, and none on the host', async () => {
    const problems = await unboundAllowedRoots(testConfig(root, { deployment: 'container', backends: { local: { allowedRoots: [bound, unbound] } } }));
    expect(problems).toEqual([expect.stringContaining(`allowed root ${unbound} is not bound from the host: it lies on the container's own filesystem`)]);
    expect(await unboundAllowedRoots(testConfig(root, { deployment: 'plugin', backends: { local: { allowedRoots: [unbound] } } }))).toEqual([expect.stringContaining("the plugin's own root filesystem, not its devices mount")]);
    expect(await unboundAllowedRoots(testConfig(root, { deployment: 'host', backends: { local: { allowedRoots: [bound, unbound] } } }))).toEqual([]);
  });

  it('refuses at Create a device that would live in the container, before making it; accepts one on the bind', async () => {
    const harness = createHarness({ root: join(root, 'daemon'), config: { deployment: 'container', backends: { local: { allowedRoots: [bound, unbound] } } } });
    try {
      await harness.service.create('kept', { type: 'local', device: join(bound, 'app'), create: 'true' });
      expect(statSync(join(bound, 'app')).isDirectory()).toBe(true);
      await expect(harness.service.create('lost', { type: 'local', device: join(unbound, 'app'), create: 'true' })).rejects.toThrow(
        `create lost: device ${join(unbound, 'app')} is not on a mount from the host: it lies on the container's own filesystem, so data written there is lost with the container (docker-compose down); bind the host directory into the container at the same path, rshared`,
      );
      expect(existsSync(join(unbound, 'app'))).toBe(false);
    } finally {
      harness.close();
    }
  });

  it('makes volplex doctor fail naming the unbound root, as run inside the container', () => {
    const result = spawnSync(process.execPath, [CLI, 'doctor'], {
      encoding: 'utf8',
      env: { ...process.env, VOLPLEX_CONFIG: '', VOLPLEX_DEPLOYMENT: 'container', VOLPLEX_LOCAL_ALLOWED_ROOTS: `${bound},${unbound}`, VOLPLEX_STATE_DIR: join(root, 'doctor-state'), VOLPLEX_MOUNT_ROOT: join(root, 'doctor-state', 'mounts') },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`FAIL local: allowed root ${unbound} is not bound from the host`);
    expect(result.stdout).not.toContain(`allowed root ${bound} is not bound`);
  });

  it('logs the problem at daemon start and records it where doctor on the host finds it (the managed plugin case)', async () => {
    const config = testConfig(join(root, 'plugin'), { deployment: 'plugin', log: { level: 'info' }, backends: { local: { allowedRoots: [bound, unbound] } } });
    mkdirSync(join(root, 'plugin'));
    const daemon = await startDaemon(config);
    try {
      for (let waited = 0; !daemon.output().includes('is not bound from the host') && waited < 5000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(daemon.output()).toContain(`allowed root ${unbound} is not bound from the host: it lies on the plugin's own root filesystem`);
      expect(statSync(join(config.stateDir, 'daemon-status.json')).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(join(config.stateDir, 'daemon-status.json'), 'utf8'))).toEqual(expect.objectContaining({ pid: daemon.process.pid, hostBinds: expect.objectContaining({ deployment: 'plugin' }) }));
    } finally {
      await daemon.stop();
    }
    const onHost = spawnSync(process.execPath, [CLI, 'doctor'], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '', VOLPLEX_STATE_DIR: config.stateDir } });
    expect(onHost.status).toBe(1);
    expect(onHost.stdout).toMatch(new RegExp(`FAIL local: allowed root ${unbound} is not bound from the host: .* \\(found by the plugin daemon at [0-9T:.-]+Z\\)`));
  });
});
