import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import type { VolplexConfig } from '../../src/config/config.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { CLI, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';
import { s3Service } from '../support/services.js';

const s3 = s3Service();

/** A running daemon's configuration file, edited as operators do; the s3fs volumes are real FUSE mounts on s3rver. */
describe('configuration reload of a running daemon (real s3fs on a local S3 server)', () => {
  let root: string;
  let file: string;
  let elsewhere: string;
  let config: VolplexConfig;
  let daemon: RunningDaemon;
  const profile = { accessKeyId: s3.keyId, accessKeySecret: s3.keySecret };
  const call = async (endpoint: string, body: unknown): Promise<Record<string, unknown>> => (await callPlugin(config.socket, endpoint, goJson(body))).body;
  const create = (name: string, credentials: string): Promise<Record<string, unknown>> => call('/VolumeDriver.Create', { Name: name, Opts: { type: 's3fs', bucket: s3.bucket, credentials } });
  const fileFor = (credentials: Record<string, unknown>, extra: Record<string, unknown> = {}): string => stringify({ ...config, credentials, ...extra });
  const replaceFile = (text: string): void => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  const count = (text: string): number => daemon.output().split(text).length - 1;
  const nextLog = async (text: string, before: number): Promise<void> => {
    for (let waited = 0; count(text) <= before; waited += 100) {
      if (waited > 10_000) {
        throw new Error(`the daemon did not log "${text}" within 10 s: ${daemon.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const doctor = (): string => spawnSync(process.execPath, [CLI, 'doctor', '--config', file], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '' } }).stdout;

  /** Mounts through the daemon, writes an object through the FUSE mount, reads it back from the server, unmounts. */
  const roundTrip = async (name: string): Promise<void> => {
    const mount = await call('/VolumeDriver.Mount', { Name: name, ID: `${name}-id` });
    expect(mount.Err).toBe('');
    writeFileSync(join(mount.Mountpoint as string, `${name}.txt`), name);
    expect(readFileSync(join(s3.data, s3.bucket, `${name}.txt._S3rver_object`), 'utf8')).toBe(name);
    expect(await call('/VolumeDriver.Unmount', { Name: name, ID: `${name}-id` })).toEqual({ Err: '' });
  };

  beforeAll(async () => {
    root = makeTempDir('reload');
    mkdirSync(join(root, 'conf'));
    elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    file = join(root, 'conf', 'config.yaml');
    config = testConfig(root, { log: { level: 'info' }, backends: { s3fs: { binary: 's3fs', url: s3.url, pathStyle: true, credentials: '' } } });
    daemon = await startDaemon(config, file);
  });

  afterAll(async () => {
    for (const name of ['r1', 'r2', 'r3', 'r4']) {
      await call('/VolumeDriver.Remove', { Name: name });
    }
    await daemon.stop();
    expect((await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${root}/`))).toEqual([]);
    removeTempDir(root);
  });

  it('mounts a volume whose credentials profile was added to the file (replaced by rename) after start, without a restart', async () => {
    expect(String((await create('r1', 'lab')).Err)).toContain('credentials profile "lab" is not defined in the configuration; defined: (none)');
    const reloads = count('configuration reloaded');
    replaceFile(fileFor({ lab: profile }));
    await nextLog('configuration reloaded', reloads);
    expect(daemon.output()).toContain('configuration reloaded: credentials apply to new Creates and Mounts');
    expect(await create('r1', 'lab')).toEqual({ Err: '' });
    await roundTrip('r1');
  });

  it('keeps the old configuration after an invalid edit (SIGHUP), says what is wrong, and doctor shows it', async () => {
    // The file becomes a symlink into a directory the daemon does not watch: only SIGHUP can tell it.
    writeFileSync(join(elsewhere, 'real.yaml'), fileFor({ lab: profile }));
    symlinkSync(join(elsewhere, 'real.yaml'), `${file}.link`);
    renameSync(`${file}.link`, file);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const refusals = count('configuration not reloaded');
    writeFileSync(join(elsewhere, 'real.yaml'), fileFor({ lab: profile, lab2: { ...profile, accessKeySecretEnv: 'LAB2_SECRET' } }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(count('configuration not reloaded')).toBe(refusals);
    daemon.process.kill('SIGHUP');
    await nextLog('configuration not reloaded', refusals);
    expect(daemon.output()).toContain('configuration not reloaded, the previous one stays in force: configuration: credentials.lab2: needs exactly one of accessKeySecret, accessKeySecretFile, accessKeySecretEnv (found accessKeySecret, accessKeySecretEnv)');
    expect(daemon.output()).not.toContain(s3.keySecret);
    expect(await create('r2', 'lab')).toEqual({ Err: '' });
    await roundTrip('r2');
    expect(String((await create('r3', 'lab2')).Err)).toContain('credentials profile "lab2" is not defined');
    const report = doctor();
    expect(report).toContain('FAIL config: configuration: credentials.lab2: needs exactly one of');
    expect(report).toMatch(/FAIL config: the last reload \(SIGHUP at [0-9T:.-]+Z\) was refused and the daemon keeps its previous configuration: configuration: credentials.lab2/);
    expect(report).not.toContain(s3.keySecret);
  });

  it('applies the next valid edit (SIGHUP), and doctor says so', async () => {
    const reloads = count('configuration reloaded');
    writeFileSync(join(elsewhere, 'real.yaml'), fileFor({ lab: profile, lab2: profile }));
    daemon.process.kill('SIGHUP');
    await nextLog('configuration reloaded', reloads);
    expect(await create('r3', 'lab2')).toEqual({ Err: '' });
    await roundTrip('r3');
    expect(doctor()).toMatch(/ok {3}config: the last reload \(SIGHUP at [0-9T:.-]+Z\) was applied: credentials/);
  });

  it('names settings that need a restart (socket, mountRoot) and keeps serving on the old socket', async () => {
    const warnings = count('cannot change while volplex runs');
    replaceFile(fileFor({ lab: profile, lab3: profile }, { socket: join(root, 'moved.sock'), mountRoot: join(root, 'elsewhere-mounts') }));
    await nextLog('cannot change while volplex runs', warnings);
    expect(daemon.output()).toContain('configuration reloaded, but socket, mountRoot cannot change while volplex runs: restart it to apply them');
    expect(await create('r4', 'lab3')).toEqual({ Err: '' });
    await roundTrip('r4');
    expect((await call('/VolumeDriver.Get', { Name: 'r4' })).Volume).toEqual(expect.objectContaining({ Mountpoint: expect.stringMatching(new RegExp(`^${config.mountRoot}/s3fs-`)) }));
    expect(doctor()).toContain('info config: socket, mountRoot changed in the file but need a restart of volplex');
  });
});
