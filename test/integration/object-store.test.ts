import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from '@jest/globals';

import { MountRefcounter } from '../../src/core/mount-refcounter.js';
import { LinuxMounter } from '../../src/system/linux-mounter.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { createRealHarness, type Harness } from '../support/harness.js';
import { fuseClients } from '../support/processes.js';
import { s3Service } from '../support/services.js';

const s3 = s3Service();
const OSSFS_STAND_IN = fileURLToPath(new URL('../../../test/fakes/ossfs-via-s3fs.sh', import.meta.url));
const COMMAND_TIMEOUT = 10;

const fuseMountsBelow = async (root: string): Promise<string[]> =>
  (await readMountinfo()).filter((entry) => entry.fsType === 'fuse.s3fs' && entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);

/** s3rver keeps each object as `<data>/<bucket>/<key>._S3rver_object`. */
const objectIn = (bucket: string, key: string): string => readFileSync(join(s3.data, bucket, `${key}._S3rver_object`), 'utf8');

describe('s3fs and ossfs volumes against a real S3-compatible server', () => {
  let harness: Harness<LinuxMounter>;
  const runDir = (): string => join(harness.config.stateDir, 'run');
  const make = (keyId = s3.keyId, secret = s3.keySecret): Harness<LinuxMounter> => {
    return createRealHarness({
      config: {
        commandTimeout: COMMAND_TIMEOUT,
        credentials: { lab: { accessKeyId: keyId, accessKeySecret: secret } },
        backends: {
          s3fs: { binary: 's3fs', url: s3.url, pathStyle: true, credentials: 'lab' },
          ossfs: { binary: OSSFS_STAND_IN, url: s3.url, credentials: 'lab' },
        },
      },
    });
  };

  afterEach(async () => {
    expect(await fuseMountsBelow(harness.root)).toEqual([]);
    expect(existsSync(runDir()) ? readdirSync(runDir()).filter((name) => name.endsWith('.passwd')) : []).toEqual([]);
    harness.close();
  });

  it.each<{ desc: string; opts: Record<string, string>; key: string }>([
    { desc: 's3fs', opts: { type: 's3fs', bucket: s3.bucket }, key: 'via-s3fs' },
    { desc: 'ossfs (its command line run by s3fs)', opts: { type: 'ossfs', bucket: s3.bucket, prefix: 'uploads' }, key: 'uploads/via-ossfs' },
  ])('$desc writes through the mount into the bucket', async ({ opts, key }) => {
    harness = make();
    await harness.service.create('objects', opts);
    const mountpoint = await harness.service.mount('objects', 'A');
    expect(await fuseMountsBelow(harness.root)).toHaveLength(1);
    writeFileSync(join(mountpoint, basename(key)), `hello from ${opts.type}`);
    await harness.service.unmount('objects', 'A');
    expect(objectIn(s3.bucket, key)).toBe(`hello from ${opts.type}`);
  });

  it('shares one FUSE mount between volumes on one bucket', async () => {
    harness = make();
    await harness.service.create('one', { type: 's3fs', bucket: s3.bucket });
    await harness.service.create('two', { type: 's3fs', bucket: s3.bucket });
    expect(await harness.service.mount('two', 'B')).toBe(await harness.service.mount('one', 'A'));
    expect(await fuseMountsBelow(harness.root)).toHaveLength(1);
    await harness.service.unmount('one', 'A');
    await harness.service.unmount('two', 'B');
  });

  // s3rver checks the access key ID (not the signature), so the wrong key is an unknown ID.
  it.each<{ desc: string; keyId: string; opts: Record<string, string>; expectedErr: string }>([
    { desc: 'a wrong access key', keyId: 'NOT-A-KEY', opts: { type: 's3fs', bucket: s3.bucket }, expectedErr: `access denied to bucket ${s3.bucket} at ${s3.url}: check credential profile lab (its accessKeyId and secret)` },
    { desc: 'a missing bucket', keyId: s3.keyId, opts: { type: 's3fs', bucket: 'no-such-bucket' }, expectedErr: `bucket no-such-bucket (or its prefix) was not found at ${s3.url}` },
    { desc: 'an endpoint that is down', keyId: s3.keyId, opts: { type: 's3fs', bucket: s3.bucket, url: 'http://127.0.0.1:1' }, expectedErr: 'endpoint http://127.0.0.1:1 is not reachable' },
  ])('gives a clear error for $desc and leaves nothing mounted', async ({ keyId, opts, expectedErr }) => {
    const secret = 'leak-CHECK-5e1f0c';
    harness = make(keyId, secret);
    await harness.service.create('bad', opts);
    const started = Date.now();
    const failure = await harness.service.mount('bad', 'A').then(() => new Error('mounted'), (error: unknown) => error as Error);
    expect(failure.message).toBe(`mount bad: ${expectedErr}`);
    expect(failure.message).not.toContain(secret);
    expect(Date.now() - started).toBeLessThan((COMMAND_TIMEOUT + 5) * 1000);
    expect(harness.store.usage('bad').references).toBe(0);
  });

  it('reports a dead FUSE process as unhealthy, then heals it on the next Mount', async () => {
    harness = make();
    await harness.service.create('healme', { type: 's3fs', bucket: s3.bucket });
    const mountpoint = await harness.service.mount('healme', 'A');
    process.kill(Number(fuseClients('s3fs', mountpoint)[0]), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await harness.container.get(MountRefcounter).checkHealth();
    expect(harness.service.get('healme').status).toEqual(expect.objectContaining({ mounted: true, backendHealth: 'unhealthy' }));

    await harness.service.mount('healme', 'B');
    expect(harness.service.get('healme').status).toEqual(expect.objectContaining({ backendHealth: 'healthy' }));
    writeFileSync(join(mountpoint, 'after-heal'), 'healed');
    await harness.service.unmount('healme', 'A');
    await harness.service.unmount('healme', 'B');
    expect(objectIn(s3.bucket, 'after-heal')).toBe('healed');
  });
});
