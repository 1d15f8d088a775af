import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { kernelSupports } from '../../src/system/preflight.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { BUSYBOX, docker, dockerOk, E2E_PLUGIN, E2E_SOCKET, runWithVolume } from '../support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { nfsService } from '../support/services.js';

const nfs = nfsService();
const kernelHasNfs = await kernelSupports('nfs');

describe('nfs volumes through the real Docker Engine', () => {
  let root: string;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    root = makeTempDir('e2e-nfs');
    daemon = await startDaemon(testConfig(root, { socket: E2E_SOCKET, log: { level: 'info' }, backends: { nfs: { server: nfs.server, version: '4.1', mountOptions: [] } } }));
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=nfs', '-o', `share=${nfs.share}`, '-o', 'subdir=existing', 'web']);
  });

  afterAll(async () => {
    docker(['volume', 'rm', '-f', 'web']);
    await daemon.stop();
    removeTempDir(root);
  });

  (kernelHasNfs ? it.skip : it)('on this kernel without NFS, docker run reports it plainly, and the volume stays usable for rm', () => {
    const failed = docker(['run', '--rm', '--network', 'none', '-v', 'web:/data', BUSYBOX, 'true']);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('this kernel has no NFS client');
    const status = (JSON.parse(dockerOk(['volume', 'inspect', 'web'])) as Array<{ Status: Record<string, unknown> }>)[0]?.Status;
    expect(status).toEqual(expect.objectContaining({ type: 'nfs', server: nfs.server, share: nfs.share, mounted: false, references: 0 }));
  });

  (kernelHasNfs ? it : it.skip)('writes from one container, reads from a second, the file on the export (kernel with NFS)', () => {
    runWithVolume('web', 'echo over-nfs > /data/n');
    expect(runWithVolume('web', 'cat /data/n')).toBe('over-nfs');
    expect(readFileSync(join(nfs.share, 'existing', 'n'), 'utf8')).toBe('over-nfs\n');
  });
});
