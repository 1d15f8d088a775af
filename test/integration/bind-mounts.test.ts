import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { LinuxMounter } from '../../src/system/linux-mounter.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { createRealHarness, type Harness } from '../support/harness.js';

const mountsBelow = async (root: string): Promise<string[]> =>
  (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);

describe('local volumes with real bind mounts (root)', () => {
  let harness: Harness<LinuxMounter>;
  let device: string;

  beforeEach(() => {
    harness = createRealHarness();
    device = join(harness.root, 'devices', 'app');
    mkdirSync(device, { recursive: true });
    writeFileSync(join(device, 'hello'), 'from the host');
  });

  afterEach(() => {
    harness.close();
  });

  it('appears in and leaves /proc/self/mountinfo', async () => {
    await harness.service.create('app', { device });
    const mountpoint = await harness.service.mount('app', 'A');
    expect(await mountsBelow(harness.root)).toEqual([mountpoint]);
    expect(readFileSync(join(mountpoint, 'hello'), 'utf8')).toBe('from the host');
    writeFileSync(join(mountpoint, 'written'), 'through the mount');
    await harness.service.unmount('app', 'A');
    expect(await mountsBelow(harness.root)).toEqual([]);
    expect(readFileSync(join(device, 'written'), 'utf8')).toBe('through the mount');
  });

  it('makes a managed volume\'s directory with the uid, gid and mode asked for, as a container sees it through the bind', async () => {
    await harness.service.create('owned', { uid: '1234', gid: '2345', mode: '0750' });
    const mountpoint = await harness.service.mount('owned', 'A');
    for (const path of [join(harness.config.stateDir, 'volumes', 'owned'), mountpoint]) {
      const found = statSync(path);
      expect({ uid: found.uid, gid: found.gid, mode: found.mode & 0o7777 }).toEqual({ uid: 1234, gid: 2345, mode: 0o750 });
    }
    await harness.service.unmount('owned', 'A');
    await expect(harness.service.create('badowner', { uid: 'nobody' })).rejects.toThrow('create badowner: option "uid" for type local must not contain "n" (character 1); valid: a whole number from 0 to 4294967294 (got "nobody")');
  });

  it('is really read-only with ro=true', async () => {
    await harness.service.create('readonly', { device, ro: 'true' });
    const mountpoint = await harness.service.mount('readonly', 'A');
    expect(() => { writeFileSync(join(mountpoint, 'nope'), 'x'); }).toThrow(/EROFS/);
    await harness.service.unmount('readonly', 'A');
  });

  it('gives 200 concurrent Mounts exactly one real mount, kept until the 200th Unmount', async () => {
    await harness.service.create('storm', { device });
    const ids = Array.from({ length: 200 }, (_, index) => `id-${index}`);
    const mountpoints = new Set(await Promise.all(ids.map((id) => harness.service.mount('storm', id))));
    expect(mountpoints.size).toBe(1);
    expect(await mountsBelow(harness.root)).toHaveLength(1);
    await Promise.all(ids.slice(0, 199).map((id) => harness.service.unmount('storm', id)));
    expect(await mountsBelow(harness.root)).toHaveLength(1);
    await harness.service.unmount('storm', 'id-199');
    expect(await mountsBelow(harness.root)).toEqual([]);
  });

  it('leaves no mount, directory or count when the device vanished before Mount', async () => {
    await harness.service.create('gone', { device: join(harness.root, 'devices', 'vanishing'), create: 'true' });
    rmSync(join(harness.root, 'devices', 'vanishing'), { recursive: true });
    await expect(harness.service.mount('gone', 'A')).rejects.toThrow('mount gone: device');
    expect(await mountsBelow(harness.root)).toEqual([]);
    expect(harness.store.usage('gone').references).toBe(0);
    expect(readdirSync(harness.config.mountRoot)).toEqual([]);
  });
});
