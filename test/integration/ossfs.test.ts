import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { MountRefcounter } from '../../src/core/mount-refcounter.js';
import { VolplexError } from '../../src/core/errors.js';
import type { LinuxMounter } from '../../src/system/linux-mounter.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { createRealHarness, type Harness } from '../support/harness.js';
import { fuseClients } from '../support/processes.js';
import { filesContaining, processesWithSecretInArgv } from '../support/secret-scan.js';
import { ossService, realOssfs, s3Service } from '../support/services.js';

const s3 = s3Service();
const oss = ossService();
const ossfs = realOssfs();
const COMMAND_TIMEOUT = 10;

const ossfsMountsBelow = async (root: string): Promise<string[]> =>
  (await readMountinfo()).filter((entry) => entry.fsType === 'fuse.ossfs' && entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);

/** s3rver keeps each object as `<data>/<bucket>/<key>._S3rver_object`, its metadata beside it. */
const objectPath = (key: string): string => join(s3.data, s3.bucket, `${key}._S3rver_object`);
const objectMode = (key: string): number => Number((JSON.parse(readFileSync(join(s3.data, s3.bucket, `${key}._S3rver_metadata.json`), 'utf8')) as Record<string, string>)['x-amz-meta-mode']);

// Aliyun's ossfs 1.91 (built from its source) against the test S3 server through the OSS dialect
// front: OSS signatures checked against the profile's key, x-oss-* headers, namespace-free listings,
// buckets addressed as <bucket>.s3.localhost (virtual-hosted, as real OSS requires).
(ossfs.binary === undefined ? describe.skip : describe)(`type=ossfs with Aliyun's real ossfs${ossfs.missing === undefined ? '' : ` (skipped: ${ossfs.missing})`}`, () => {
  let harness: Harness<LinuxMounter>;
  const runDir = (): string => join(harness.config.stateDir, 'run');
  const passwdFiles = (): string[] => (existsSync(runDir()) ? readdirSync(runDir()).filter((name) => name.endsWith('.passwd')).map((name) => join(runDir(), name)) : []);
  const make = (key: { id: string; secret: string } = { id: oss.keyId, secret: oss.keySecret }): Harness<LinuxMounter> =>
    createRealHarness({
      config: {
        commandTimeout: COMMAND_TIMEOUT,
        credentials: { lab: { accessKeyId: key.id, accessKeySecret: key.secret } },
        backends: { ossfs: { binary: ossfs.binary ?? 'ossfs', url: oss.url, credentials: 'lab' } },
      },
    });

  afterEach(async () => {
    expect(await ossfsMountsBelow(harness.root)).toEqual([]);
    expect(passwdFiles()).toEqual([]);
    harness.close();
  });

  it('mounts bucket:/prefix, writes and reads back, lists, makes directories, renames files and directories, chmods: the objects are in the server', async () => {
    harness = make();
    await harness.service.create('media', { type: 'ossfs', bucket: s3.bucket, prefix: 'oss-real' });
    const mountpoint = await harness.service.mount('media', 'A');
    expect(await ossfsMountsBelow(harness.root)).toHaveLength(1);
    writeFileSync(join(mountpoint, 'first.txt'), 'written through real ossfs');
    expect(readFileSync(join(mountpoint, 'first.txt'), 'utf8')).toBe('written through real ossfs');
    mkdirSync(join(mountpoint, 'dir-a'));
    writeFileSync(join(mountpoint, 'dir-a', 'inner.txt'), 'inside');
    // Rename and chmod are server-side copies (x-oss-copy-source): the data must survive them.
    renameSync(join(mountpoint, 'first.txt'), join(mountpoint, 'renamed.txt'));
    renameSync(join(mountpoint, 'dir-a'), join(mountpoint, 'dir-b'));
    chmodSync(join(mountpoint, 'renamed.txt'), 0o600);
    expect(readdirSync(mountpoint).sort()).toEqual(['dir-b', 'renamed.txt']);
    expect(readdirSync(join(mountpoint, 'dir-b'))).toEqual(['inner.txt']);
    expect(statSync(join(mountpoint, 'renamed.txt')).mode & 0o777).toBe(0o600);
    await harness.service.unmount('media', 'A');

    expect(readFileSync(objectPath('oss-real/renamed.txt'), 'utf8')).toBe('written through real ossfs');
    expect(objectMode('oss-real/renamed.txt') & 0o777).toBe(0o600);
    expect(readFileSync(objectPath('oss-real/dir-b/inner.txt'), 'utf8')).toBe('inside');
    expect(existsSync(objectPath('oss-real/first.txt'))).toBe(false);
    expect(existsSync(objectPath('oss-real/dir-a/inner.txt'))).toBe(false);
  });

  it("takes the seed's form -o ak_id -o ak_secret -o url; Get and List never show the secret or the key ID", async () => {
    harness = createRealHarness({ config: { commandTimeout: COMMAND_TIMEOUT, backends: { ossfs: { binary: ossfs.binary ?? 'ossfs', url: '', credentials: '' } } } });
    await harness.service.create('seed', { type: 'ossfs', bucket: s3.bucket, url: oss.url, ak_id: oss.keyId, ak_secret: oss.keySecret });
    const mountpoint = await harness.service.mount('seed', 'A');
    writeFileSync(join(mountpoint, 'seed-form.txt'), 'seed form');
    const shown = JSON.stringify([harness.service.get('seed'), harness.service.list()]);
    expect(shown).not.toContain(oss.keySecret);
    expect(shown).not.toContain(oss.keyId);
    expect(harness.service.get('seed').status).toEqual(expect.objectContaining({ credentials: 'inline key (-o ak_id, -o ak_secret)', mounted: true }));
    await harness.service.unmount('seed', 'A');
    expect(readFileSync(objectPath('seed-form.txt'), 'utf8')).toBe('seed form');
  });

  it('keeps the secret off every command line: only in a 0600 passwd file, removed at Unmount', async () => {
    harness = make();
    await harness.service.create('quiet', { type: 'ossfs', bucket: s3.bucket });
    const mountpoint = await harness.service.mount('quiet', 'A');
    expect(fuseClients('ossfs', mountpoint)).toHaveLength(1);
    expect(processesWithSecretInArgv(oss.keySecret)).toEqual([]);
    expect(passwdFiles()).toHaveLength(1);
    expect(filesContaining(oss.keySecret, [harness.root])).toEqual(passwdFiles());
    expect(statSync(passwdFiles()[0] ?? '').mode & 0o777).toBe(0o600);
    await harness.service.unmount('quiet', 'A');
    expect(passwdFiles()).toEqual([]);
    expect(filesContaining(oss.keySecret, [harness.root])).toEqual([]);
  });

  it('reports a killed ossfs as unhealthy, then heals it on the next Mount', async () => {
    harness = make();
    await harness.service.create('healme', { type: 'ossfs', bucket: s3.bucket });
    const mountpoint = await harness.service.mount('healme', 'A');
    process.kill(Number(fuseClients('ossfs', mountpoint)[0]), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await harness.container.get(MountRefcounter).checkHealth();
    expect(harness.service.get('healme').status).toEqual(expect.objectContaining({ mounted: true, backendHealth: 'unhealthy' }));

    await harness.service.mount('healme', 'B');
    expect(harness.service.get('healme').status).toEqual(expect.objectContaining({ backendHealth: 'healthy' }));
    expect(fuseClients('ossfs', mountpoint)).toHaveLength(1);
    writeFileSync(join(mountpoint, 'after-heal'), 'healed');
    await harness.service.unmount('healme', 'A');
    await harness.service.unmount('healme', 'B');
    expect(readFileSync(objectPath('after-heal'), 'utf8')).toBe('healed');
  });

  it.each<{ desc: string; key?: { id: string; secret: string }; opts: Record<string, string>; kind: string; expectedErr: string }>([
    { desc: 'a wrong key ID (403 InvalidAccessKeyId)', key: { id: 'LTAI5tNotAKnownKey', secret: oss.keySecret }, opts: { bucket: s3.bucket }, kind: 'InvalidParameter', expectedErr: `access denied to bucket ${s3.bucket} at ${oss.url} (the server said "The OSS Access Key Id you provided does not exist in our records."): check credential profile lab (its accessKeyId and secret)` },
    { desc: 'a wrong secret (403 SignatureDoesNotMatch)', key: { id: oss.keyId, secret: 'not-the-secret' }, opts: { bucket: s3.bucket }, kind: 'InvalidParameter', expectedErr: `access denied to bucket ${s3.bucket} at ${oss.url} (the server said "The request signature we calculated does not match the signature you provided. Check your key and signing method."): check credential profile lab (its accessKeyId and secret)` },
    { desc: 'a missing bucket', opts: { bucket: 'no-such-bucket' }, kind: 'InvalidParameter', expectedErr: `bucket no-such-bucket was not found at ${oss.url}` },
    { desc: 'an endpoint that is down', opts: { bucket: s3.bucket, url: 'http://127.0.0.1:1' }, kind: 'Unavailable', expectedErr: 'endpoint http://127.0.0.1:1 is not reachable' },
  ])('gives a classified error for $desc, without the command line, and leaves nothing mounted', async ({ key, opts, kind, expectedErr }) => {
    harness = make(key);
    await harness.service.create('bad', { type: 'ossfs', ...opts });
    const failure = await harness.service.mount('bad', 'A').then(() => new Error('mounted'), (error: unknown) => error as Error);
    expect(failure.message).toBe(`mount bad: ${expectedErr}`);
    expect(VolplexError.is(failure, kind as VolplexError['kind'])).toBe(true);
    expect(failure.message).not.toContain('passwd_file');
    expect(harness.store.usage('bad').references).toBe(0);
  });
});
