import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { docker, dockerHost, dockerOk, E2E_PLUGIN, E2E_SOCKET, runWithVolume, startHolder } from '../support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';
import { fuseClients } from '../support/processes.js';
import { filesContaining, processesWithSecretInArgv } from '../support/secret-scan.js';
import { s3Service } from '../support/services.js';

const s3 = s3Service();
// s3rver checks the key ID, not the secret: any recognizable secret mounts, and can be hunted for.
const SECRET = `VOLPLEX-CANARY-${randomBytes(12).toString('hex')}`;
const SECRET_ENV = 'VOLPLEX_TEST_CANARY_SECRET';

describe('s3fs volumes through the real Docker Engine, and where the secret goes', () => {
  let root: string;
  let daemon: RunningDaemon;
  const responses: string[] = [];
  const call = async (endpoint: string, body: unknown): Promise<Record<string, unknown>> => {
    const reply = await callPlugin(E2E_SOCKET, endpoint, goJson(body));
    responses.push(reply.text);
    return reply.body;
  };
  // The private engine's files (its volume database among them) and every test directory.
  const scanRoots = (): string[] => [root, dirname(dockerHost().replace('unix://', '')), '/tmp', '/run/docker/plugins'];
  const passwdFiles = (): string[] => filesContaining(SECRET, scanRoots()).filter((path) => path.endsWith('.passwd'));

  beforeAll(async () => {
    root = makeTempDir('e2e-s3');
    process.env[SECRET_ENV] = SECRET;
    daemon = await startDaemon(
      testConfig(root, {
        socket: E2E_SOCKET,
        log: { level: 'debug' },
        credentials: { lab: { accessKeyId: s3.keyId, accessKeySecretEnv: SECRET_ENV } },
        backends: { s3fs: { binary: 's3fs', url: s3.url, pathStyle: true, credentials: '' } },
      }),
    );
  });

  afterAll(async () => {
    process.env[SECRET_ENV] = '';
    docker(['rm', '-f', 'e2e-s3-holder']);
    docker(['volume', 'rm', '-f', 'objects', 'wrongbucket']);
    await daemon.stop();
    removeTempDir(root);
  });

  it('writes an object from one container that a second reads', () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=s3fs', '-o', `bucket=${s3.bucket}`, '-o', 'credentials=lab', 'objects']);
    runWithVolume('objects', 'echo object-data > /data/from-docker');
    expect(runWithVolume('objects', 'cat /data/from-docker')).toBe('object-data');
    expect(readFileSync(join(s3.data, s3.bucket, 'from-docker._S3rver_object'), 'utf8')).toBe('object-data\n');
  });

  it('keeps the secret in the 0600 passwd file only while mounted: not in argv, other files, inspect or responses', async () => {
    startHolder('e2e-s3-holder', 'objects');
    expect(passwdFiles()).toHaveLength(1);
    expect(filesContaining(SECRET, scanRoots())).toEqual(passwdFiles());
    expect(processesWithSecretInArgv(SECRET)).toEqual([]);
    expect(dockerOk(['volume', 'inspect', 'objects'])).not.toContain(SECRET);
    await call('/VolumeDriver.Get', { Name: 'objects' });
    await call('/VolumeDriver.List', {});
    await call('/VolumeDriver.Path', { Name: 'objects' });
    await call('/VolumeDriver.Mount', { Name: 'objects', ID: 'leak-check' });
    await call('/VolumeDriver.Unmount', { Name: 'objects', ID: 'leak-check' });
    dockerOk(['rm', '-f', 'e2e-s3-holder']);
    expect(passwdFiles()).toEqual([]);
  });

  it('keeps the FUSE client and its mount through a kill -9 of the daemon, and adopts them on restart', async () => {
    startHolder('e2e-s3-holder', 'objects');
    const mountpoint = (JSON.parse(dockerOk(['volume', 'inspect', 'objects'])) as Array<{ Mountpoint: string }>)[0]?.Mountpoint ?? '';
    const [client] = fuseClients('s3fs', mountpoint);
    expect(client).toBeDefined();
    const config = daemon.config;
    await daemon.kill();
    expect(fuseClients('s3fs', mountpoint)).toEqual([client]);
    daemon = await startDaemon(config);
    const status = (await call('/VolumeDriver.Get', { Name: 'objects' })).Volume as { Status: Record<string, unknown> };
    expect(status.Status).toEqual(expect.objectContaining({ mounted: true, references: 1 }));
    expect(runWithVolume('objects', 'cat /data/from-docker')).toBe('object-data');
    // The reconcile line may still be in the pipe: spawnSync above kept this process from reading it.
    for (let tries = 0; tries < 50 && !daemon.output().includes('"adopted":['); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(daemon.output()).toContain(`"adopted":["${mountpoint}"]`);
    dockerOk(['rm', '-f', 'e2e-s3-holder']);
    for (let tries = 0; tries < 20 && fuseClients('s3fs', mountpoint).length > 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(fuseClients('s3fs', mountpoint)).toEqual([]);
  });

  it('never puts the secret in an error', async () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, '-o', 'type=s3fs', '-o', 'bucket=no-such-bucket', '-o', 'credentials=lab', 'wrongbucket']);
    const failed = docker(['run', '--rm', '--network', 'none', '-v', 'wrongbucket:/data', 'local/busybox:latest', 'true']);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('bucket no-such-bucket (or its prefix) was not found');
    expect(failed.stderr).not.toContain(SECRET);
    responses.push(JSON.stringify(await call('/VolumeDriver.Mount', { Name: 'wrongbucket', ID: 'x' })));
  });

  // The report this guards against: `-o url=http://h,use_cache=/any/dir` made s3fs, as root, create and fill /any/dir.
  it.each([
    { type: 's3fs', opts: () => [`bucket=${s3.bucket}`, `url=http://h,use_cache=${join(root, 'any', 'dir')}`], expectedErr: 'option "url" for type s3fs must not contain "," (character 9): the value goes into a comma-separated mount option list' },
    { type: 'ossfs', opts: () => [`bucket=${s3.bucket}`, `url=http://h,use_cache=${join(root, 'any', 'dir')}`], expectedErr: 'option "url" for type ossfs must not contain "," (character 9)' },
    { type: 'glusterfs', opts: () => ['volume=gv0', `log-level=INFO,log-file=${join(root, 'any', 'log')}`], expectedErr: 'option "log-level" for type glusterfs must not contain "," (character 5)' },
    { type: 'nfs', opts: () => ['share=/srv/nfs', 'timeo=600,sec=none'], expectedErr: 'option "timeo" for type nfs must not contain "," (character 4)' },
  ])('refuses a mount option smuggled into a $type value at docker volume create', ({ type, opts, expectedErr }) => {
    const refused = docker(['volume', 'create', '-d', E2E_PLUGIN, '-o', `type=${type}`, ...opts().flatMap((option) => ['-o', option]), 'smuggled']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`VolumeDriver.Create: create smuggled: ${expectedErr}`);
    expect(existsSync(join(root, 'any'))).toBe(false);
    expect(docker(['volume', 'inspect', 'smuggled']).status).not.toBe(0);
  });

  it('leaves it nowhere after remove: no file, log line or response', async () => {
    dockerOk(['volume', 'rm', 'objects', 'wrongbucket']);
    expect(filesContaining(SECRET, scanRoots())).toEqual([]);
    expect(processesWithSecretInArgv(SECRET)).toEqual([]);
    expect(responses.join('\n')).not.toContain(SECRET);
    expect(daemon.output()).toContain('"endpoint":"/VolumeDriver.Mount"');
    expect(daemon.output()).not.toContain(SECRET);
  });
});
