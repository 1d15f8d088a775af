import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import { CLI, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { freePort } from '../support/listening.js';
import { callPlugin, goJson } from '../support/plugin-client.js';

interface DoctorReport {
  readonly ok: boolean;
  readonly findings: readonly { readonly level: string; readonly area: string; readonly text: string; readonly volume?: string; readonly references?: number }[];
}

/** `volplex ls --json` and `volplex doctor --json` beside a running daemon, checked against what Get and List answer. */
describe('the command line in JSON', () => {
  let root: string;
  let daemon: RunningDaemon;
  let configFile: string;
  const call = async (endpoint: string, body: unknown): Promise<Record<string, unknown>> => (await callPlugin(daemon.config.socket, endpoint, goJson(body))).body;
  const volplex = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, [CLI, ...args, '--config', configFile], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '' } });

  beforeAll(async () => {
    root = makeTempDir('clijson');
    configFile = join(root, 'volplex.yaml');
    mkdirSync(join(root, 'devices', 'app'), { recursive: true });
    daemon = await startDaemon(testConfig(root, { metrics: { listen: `127.0.0.1:${await freePort()}` } }), configFile);
    expect((await call('/VolumeDriver.Create', { Name: 'app', Opts: { device: join(root, 'devices', 'app') } })).Err).toBe('');
    expect((await call('/VolumeDriver.Create', { Name: 'scratch', Opts: { uid: '1000', mode: '0700' } })).Err).toBe('');
    expect((await call('/VolumeDriver.Mount', { Name: 'app', ID: 'c1' })).Err).toBe('');
    expect((await call('/VolumeDriver.Mount', { Name: 'app', ID: 'c1' })).Err).toBe('');
  });

  afterAll(async () => {
    await call('/VolumeDriver.Unmount', { Name: 'app', ID: 'c1' });
    await call('/VolumeDriver.Unmount', { Name: 'app', ID: 'c1' });
    await daemon.stop();
    removeTempDir(root);
  });

  it('ls --json: one document whose fields are what List and Get answer', async () => {
    const result = volplex('ls', '--json');
    expect(result.status).toBe(0);
    const { volumes } = JSON.parse(result.stdout) as { volumes: Record<string, unknown>[] };
    const listed = (await call('/VolumeDriver.List', {})).Volumes as { Name: string; Mountpoint: string }[];
    expect(volumes.map((volume) => ({ Name: volume.name, Mountpoint: volume.mountpoint }))).toEqual(listed);
    for (const volume of volumes) {
      const got = (await call('/VolumeDriver.Get', { Name: volume.name })).Volume as { Name: string; Mountpoint: string; CreatedAt: string; Status: Record<string, unknown> };
      expect(volume).toEqual({
        name: got.Name,
        type: got.Status.type,
        mountpoint: got.Mountpoint,
        createdAt: got.CreatedAt,
        mounted: got.Status.mounted,
        references: got.Status.references,
        mountIds: got.Status.mountIds,
        holders: expect.anything() as unknown,
      });
    }
    expect(volumes.find((volume) => volume.name === 'app')).toEqual(expect.objectContaining({ mounted: true, references: 2, mountIds: 1 }));
    expect(volumes.find((volume) => volume.name === 'scratch')).toEqual(expect.objectContaining({ mounted: false, references: 0, holders: [] }));
  });

  it('doctor --json: one document; references as Get counts them; unused backends skipped; the metrics listener answers; exit 1 exactly when a check fails', async () => {
    const result = volplex('doctor', '--json');
    const report = JSON.parse(result.stdout) as DoctorReport;
    const failed = report.findings.filter((finding) => finding.level === 'FAIL');
    expect({ ok: report.ok, status: result.status }).toEqual({ ok: failed.length === 0, status: failed.length === 0 ? 0 : 1 });
    expect(report.findings.every((finding) => ['ok', 'FAIL', 'info', 'skipped'].includes(finding.level) && finding.area !== '' && finding.text !== '')).toBe(true);
    const got = (await call('/VolumeDriver.Get', { Name: 'app' })).Volume as { Status: { references: number } };
    expect(report.findings.find((finding) => finding.area === 'references' && finding.volume === 'app')?.references).toBe(got.Status.references);
    // Nothing here uses them: this host's lack of a client is not a failure.
    expect(report.findings.filter((finding) => finding.level === 'skipped').map((finding) => finding.area).sort()).toEqual(['fuse', 'glusterfs', 'nfs', 'ossfs', 's3fs']);
    expect(report.findings.find((finding) => finding.area === 'metrics')).toEqual(expect.objectContaining({ level: 'ok', text: expect.stringMatching(/^GET \/metrics on 127\.0\.0\.1:\d+ answers \(\d+ samples\)$/) as unknown }));
  });

  it('doctor checks a backend once the configuration uses it', () => {
    const file = join(root, 'uses-nfs.yaml');
    writeFileSync(file, stringify({ stateDir: daemon.config.stateDir, mountRoot: daemon.config.mountRoot, backends: { nfs: { server: '127.0.0.1' } } }));
    const result = spawnSync(process.execPath, [CLI, 'doctor', '--json', '--config', file], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '' } });
    const report = JSON.parse(result.stdout) as DoctorReport;
    expect(report.findings.filter((finding) => finding.area === 'config' && finding.level === 'FAIL')).toEqual([]);
    expect(report.findings.filter((finding) => finding.area === 'nfs').map((finding) => finding.level)).not.toContain('skipped');
    expect(report.findings.find((finding) => finding.area === 'nfs' && finding.text.includes('mount.nfs'))).toBeDefined();
  });
});

describe('volplex doctor as a container HEALTHCHECK', () => {
  it('exits 1 when the metrics listener it is configured with does not answer (the daemon is down)', async () => {
    const root = makeTempDir('health');
    try {
      const port = await freePort();
      const result = spawnSync(process.execPath, [CLI, 'doctor'], {
        encoding: 'utf8',
        env: { ...process.env, VOLPLEX_CONFIG: '', VOLPLEX_STATE_DIR: join(root, 'state'), VOLPLEX_MOUNT_ROOT: join(root, 'state', 'mounts'), VOLPLEX_METRICS_LISTEN: `127.0.0.1:${port}` },
      });
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`FAIL metrics: GET /metrics on 127.0.0.1:${port} gets no answer (connect ECONNREFUSED 127.0.0.1:${port}): is the daemon running, with this metrics.listen?`);
    } finally {
      removeTempDir(root);
    }
  });
});
