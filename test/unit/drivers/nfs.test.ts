import { createServer, type Server } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';

import { explainFailure, NfsDriver } from '../../../drivers/nfs.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

describe(NfsDriver.name, () => {
  let harness: Harness<FakeMounter>;
  let server: Server;
  let port = '';

  // Stands in for the server's TCP port, so the reachability preflight passes.
  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = String((server.address() as { port: number }).port);
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  afterEach(() => { harness.close(); });

  const make = (mountOptions: string[] = ['hard', 'timeo=600']): Harness<FakeMounter> =>
    createHarness({ config: { backends: { nfs: { server: '127.0.0.1', version: '4.1', mountOptions } } } });

  describe('.options', () => {
    it.each<{ desc: string; opts: Record<string, string>; expectedErr: string }>([
      { desc: '[Error] no share', opts: { type: 'nfs' }, expectedErr: 'option "share" is required for type nfs' },
      { desc: '[Error] relative share', opts: { type: 'nfs', share: 'exports/web' }, expectedErr: 'option "share" for type nfs must be an absolute path' },
      { desc: '[Error] unknown version', opts: { type: 'nfs', share: '/x', version: '5' }, expectedErr: 'option "version" for type nfs must be one of 3, 4, 4.0, 4.1, 4.2' },
      { desc: '[Error] option outside the allow-list', opts: { type: 'nfs', share: '/x', vers: '3' }, expectedErr: 'unknown option "vers" for type nfs; valid: server, share, subdir, createSubdir, version, ro, timeo' },
      { desc: '[Error] hard and soft', opts: { type: 'nfs', share: '/x', soft: 'true' }, expectedErr: 'options "hard" and "soft" exclude each other for type nfs' },
      { desc: '[Error] bad nconnect', opts: { type: 'nfs', share: '/x', nconnect: '99' }, expectedErr: 'option "nconnect" for type nfs must be a whole number from 1 to 16 (got "99")' },
      { desc: '[Error] a second mount option smuggled into timeo', opts: { type: 'nfs', share: '/x', timeo: '600,sec=none' }, expectedErr: 'option "timeo" for type nfs must not contain "," (character 4): the value goes into a comma-separated mount option list' },
      { desc: '[Error] a mount option smuggled into proto', opts: { type: 'nfs', share: '/x', proto: 'tcp,nosuid=0' }, expectedErr: 'option "proto" for type nfs must not contain "," (character 4)' },
      { desc: '[Error] a server that would be an argv option', opts: { type: 'nfs', share: '/x', server: '-vvv' }, expectedErr: 'option "server" for type nfs must be a host name or IPv4 address' },
      { desc: '[Error] a mount option smuggled into the server', opts: { type: 'nfs', share: '/x', server: 'h,vers=2' }, expectedErr: 'option "server" for type nfs must not contain "," (character 2)' },
      { desc: '[Error] a newline in the share', opts: { type: 'nfs', share: '/x\n/y' }, expectedErr: 'option "share" for type nfs must not contain "\\u000a" (character 3)' },
    ])('$desc', async ({ opts, expectedErr }) => {
      harness = make();
      await expect(harness.service.create('web', opts)).rejects.toThrow(expectedErr);
    });

    it('needs a server from the volume or the configuration', async () => {
      harness = createHarness();
      await expect(harness.service.create('web', { type: 'nfs', share: '/exports/web' })).rejects.toThrow('option "server" is required for type nfs: no default is configured in backends.nfs.server');
    });
  });

  describe('.mount', () => {
    it.each<{ desc: string; opts: Record<string, string>; options: string[] }>([
      { desc: 'v4.1 with the configured defaults', opts: { version: '4.1' }, options: ['vers=4.1', 'hard', 'timeo=600'] },
      { desc: 'v3, read-only, its own options winning', opts: { version: '3', ro: 'true', timeo: '100', nolock: 'true', hard: 'false', soft: 'true' }, options: ['vers=3', 'nolock', 'soft', 'timeo=100', 'ro'] },
      { desc: 'v4.2 with nconnect', opts: { version: '4.2', nconnect: '4' }, options: ['vers=4.2', 'hard', 'nconnect=4', 'timeo=600'] },
    ])('runs exactly the mount for $desc', async ({ opts, options }) => {
      harness = make();
      await harness.service.create('web', { type: 'nfs', share: '/exports/web/', port, ...opts });
      const mountpoint = await harness.service.mount('web', 'A');
      const sorted = [options[0], ...[...options.slice(1).filter((option) => option !== 'ro'), `port=${port}`].sort(), ...options.filter((option) => option === 'ro')];
      expect(harness.mounter.actions).toEqual([{ op: 'mount', source: '127.0.0.1:/exports/web', target: mountpoint, fstype: 'nfs', options: sorted }]);
    });

    it('shares one mount between subdirs of one export and separates other versions', async () => {
      harness = make();
      await harness.service.create('a1', { type: 'nfs', share: '/data', subdir: 'ci', port });
      await harness.service.create('b1', { type: 'nfs', share: '/data', subdir: 'web', port });
      await harness.service.create('c1', { type: 'nfs', share: '/data', version: '3', port });
      const [a, b, c] = ['a1', 'b1', 'c1'].map((name) => harness.service.get(name).mountpoint) as [string, string, string];
      expect(a.replace(/\/ci$/, '')).toBe(b.replace(/\/web$/, ''));
      expect(c).not.toBe(a.replace(/\/ci$/, ''));
      expect(harness.service.get('a1').status).toEqual(expect.objectContaining({ server: '127.0.0.1', share: '/data', version: '4.1', subdir: 'ci' }));
    });

    it('checks the server port before asking the kernel', async () => {
      harness = make();
      await harness.service.create('web', { type: 'nfs', share: '/data', port: '1' });
      await expect(harness.service.mount('web', 'A')).rejects.toThrow('mount web: NFS server 127.0.0.1 refused connections on port 1');
      expect(harness.mounter.actions.filter((action) => action.op === 'mount')).toEqual([]);
    });
  });
});

describe(explainFailure.name, () => {
  const facts = { server: 'nas', share: '/exports/web', version: '4.1', kernelHasNfs: true, exports: ['/exports/app', '/exports/db'] };

  it.each([
    { desc: 'no kernel client', output: 'mount.nfs: No such device', kernelHasNfs: false, expected: 'this kernel has no NFS client (/proc/filesystems lists no nfs)' },
    { desc: 'a kernel refusal', output: 'mount.nfs: No such device', kernelHasNfs: true, expected: 'the kernel refused the NFS mount (No such device)' },
    { desc: 'access denied', output: 'mount.nfs: access denied by server while mounting nas:/exports/web', kernelHasNfs: true, expected: "NFS server nas denied access to /exports/web (check the export's allowed clients); the server exports: /exports/app, /exports/db" },
    { desc: 'a missing export', output: 'mount.nfs: mounting nas:/exports/web failed, reason given by server: No such file or directory', kernelHasNfs: true, expected: 'NFS server nas does not export /exports/web; the server exports: /exports/app, /exports/db' },
    { desc: 'a version the server lacks', output: 'mount.nfs: Protocol not supported', kernelHasNfs: true, expected: 'NFS server nas does not serve NFS version 4.1 (set -o version=)' },
    { desc: 'a refused connection', output: 'mount.nfs: Connection refused', kernelHasNfs: true, expected: 'NFS server nas refused the connection' },
    { desc: 'a timeout', output: 'mount.nfs: Connection timed out', kernelHasNfs: true, expected: 'NFS server nas did not answer in time; the mount was abandoned' },
    { desc: 'an unknown name', output: 'mount.nfs: Failed to resolve server nas: Name or service not known', kernelHasNfs: true, expected: 'cannot resolve NFS server nas' },
    { desc: 'anything else', output: 'mount.nfs: Stale file handle', kernelHasNfs: true, expected: 'mount.nfs: Stale file handle' },
  ])('explains $desc', ({ output, kernelHasNfs, expected }) => {
    expect(explainFailure(output, { ...facts, kernelHasNfs }).message).toContain(expected);
  });
});
