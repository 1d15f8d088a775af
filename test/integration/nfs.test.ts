import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import { LinuxMounter } from '../../src/system/linux-mounter.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { kernelSupports } from '../../src/system/preflight.js';
import { CLI } from '../support/daemon.js';
import { createRealHarness, type Harness } from '../support/harness.js';
import { nfsService } from '../support/services.js';

const nfs = nfsService();
const kernelHasNfs = await kernelSupports('nfs');
const COMMAND_TIMEOUT = 10;
if (!kernelHasNfs) {
  process.stdout.write('NFS: this kernel has no NFS client, so the kernel mount round trip is SKIPPED here; everything up to the kernel runs.\n');
}

describe('nfs volumes against a real NFS server (nfs-ganesha)', () => {
  let harness: Harness<LinuxMounter> | undefined;
  const make = (): Harness<LinuxMounter> =>
    createRealHarness({ config: { commandTimeout: COMMAND_TIMEOUT, backends: { nfs: { server: nfs.server, version: '4.1', mountOptions: ['hard'] } } } });

  afterEach(() => {
    harness?.close();
    harness = undefined;
  });

  it('is served: a user-space NFS client lists the export, and volplex doctor finds server and export', () => {
    const listing = spawnSync('nfs-ls', [`nfs://${nfs.server}${nfs.share}`], { encoding: 'utf8' });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toContain('existing');

    const config = join(nfs.share, '..', 'doctor.yaml');
    writeFileSync(config, stringify({ backends: { nfs: { server: nfs.server } } }));
    const report = spawnSync(process.execPath, [CLI, 'doctor', '--config', config], { encoding: 'utf8' });
    expect(report.stdout).toContain(`ok   nfs: NFS server ${nfs.server} answers on port 2049`);
    expect(report.stdout).toContain(`info nfs: ${nfs.server} exports ${nfs.share}`);
    expect(report.stdout).toContain(kernelHasNfs ? 'ok   nfs: the kernel has an NFS client' : 'FAIL nfs: this kernel has no NFS client');
  });

  (kernelHasNfs ? it.skip : it)('on this kernel without NFS, Mount says so plainly and leaves no mount, directory or count', async () => {
    harness = make();
    await harness.service.create('web', { type: 'nfs', share: nfs.share, subdir: 'existing' });
    await expect(harness.service.mount('web', 'A')).rejects.toThrow('mount web: this kernel has no NFS client (/proc/filesystems lists no nfs)');
    expect(readdirSync(harness.config.mountRoot)).toEqual([]);
    expect(harness.store.usage('web').references).toBe(0);
    expect((await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(harness?.root ?? '/nowhere'))).toEqual([]);
  });

  (kernelHasNfs ? it : it.skip)('mounts the export, writes through it and unmounts (kernel with NFS)', async () => {
    harness = make();
    await harness.service.create('web', { type: 'nfs', share: nfs.share, subdir: 'existing' });
    const mountpoint = await harness.service.mount('web', 'A');
    writeFileSync(join(mountpoint, 'via-nfs'), 'nfs round trip');
    expect(readFileSync(join(nfs.share, 'existing', 'via-nfs'), 'utf8')).toBe('nfs round trip');
    await harness.service.unmount('web', 'A');
    expect((await readMountinfo()).filter((entry) => entry.mountPoint === mountpoint)).toEqual([]);
  });

  it.each<{ desc: string; opts: Record<string, string>; expectedErr: string }>([
    { desc: 'a server name that does not resolve', opts: { server: 'nfs-dead.invalid' }, expectedErr: 'cannot resolve NFS server nfs-dead.invalid' },
    { desc: 'a port nobody listens on', opts: { port: '1' }, expectedErr: `NFS server ${nfs.server} refused connections on port 1` },
  ])('gives a clear error for $desc within the timeout', async ({ opts, expectedErr }) => {
    harness = make();
    await harness.service.create('gone', { type: 'nfs', share: nfs.share, ...opts });
    const started = Date.now();
    await expect(harness.service.mount('gone', 'A')).rejects.toThrow(expectedErr);
    expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT * 1000);
    expect(readdirSync(harness.config.mountRoot)).toEqual([]);
  });
});
