import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { docker, dockerOk, E2E_PLUGIN, E2E_SOCKET, runWithVolume } from '../support/docker.js';
import { exactErr } from '../support/err-text.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';
import { ossService, realOssfs, s3Service } from '../support/services.js';

const s3 = s3Service();
const oss = ossService();
const ossfs = realOssfs();

// What a new user runs first: docker volume create -o type=ossfs, with Aliyun's real ossfs.
(ossfs.binary === undefined ? describe.skip : describe)(`type=ossfs through the real Docker Engine with Aliyun's real ossfs${ossfs.missing === undefined ? '' : ` (skipped: ${ossfs.missing})`}`, () => {
  let root: string;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    root = makeTempDir('e2e-ossfs');
    daemon = await startDaemon(
      testConfig(root, {
        socket: E2E_SOCKET,
        log: { level: 'info' },
        credentials: { oss: { accessKeyId: oss.keyId, accessKeySecret: oss.keySecret }, stale: { accessKeyId: oss.keyId, accessKeySecret: 'an-old-rotated-secret' } },
        backends: { ossfs: { binary: ossfs.binary ?? 'ossfs', url: oss.url, credentials: 'oss' } },
      }),
    );
  });

  afterAll(async () => {
    docker(['volume', 'rm', '-f', 'photos', 'denied']);
    await daemon.stop();
    removeTempDir(root);
  });

  it('writes from one container, reads from a second, the object in the bucket', () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=ossfs', '-o', `bucket=${s3.bucket}`, '-o', 'prefix=photos', 'photos']);
    runWithVolume('photos', 'echo from-docker-via-ossfs > /data/picture');
    expect(runWithVolume('photos', 'cat /data/picture')).toBe('from-docker-via-ossfs');
    expect(readFileSync(join(s3.data, s3.bucket, 'photos', 'picture._S3rver_object'), 'utf8')).toBe('from-docker-via-ossfs\n');
  });

  it('answers a refused key with access denied naming the profile: HTTP 400, no command line, no secret', async () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=ossfs', '-o', `bucket=${s3.bucket}`, '-o', 'credentials=stale', 'denied']);
    const expected = `access denied to bucket ${s3.bucket} at ${oss.url} (the server said "The request signature we calculated does not match the signature you provided. Check your key and signing method."): check credential profile stale (its accessKeyId and secret)`;
    const run = docker(['run', '--rm', '--network', 'none', '-v', 'denied:/data', 'local/busybox:latest', 'true']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`VolumeDriver.Mount: mount denied: ${expected}`);
    const reply = await callPlugin(E2E_SOCKET, '/VolumeDriver.Mount', goJson({ Name: 'denied', ID: 'direct' }));
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ Err: expect.stringMatching(exactErr(`mount denied: ${expected}`)) as unknown });
    expect(`${run.stderr}${reply.text}`).not.toContain('passwd_file');
    for (const text of [run.stderr, reply.text, daemon.output()]) {
      expect(text).not.toContain(oss.keySecret);
      expect(text).not.toContain('an-old-rotated-secret');
    }
  });
});
