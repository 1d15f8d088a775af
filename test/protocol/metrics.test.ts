import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { parseListenAddress } from '../../src/metrics/listen-address.js';
import { scrapeMetrics } from '../../src/metrics/metrics-scrape.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { parseExposition, sampleValue, type Exposition } from '../support/exposition.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { freePort, listeningSockets } from '../support/listening.js';
import { callPlugin, goJson } from '../support/plugin-client.js';

/** The real daemon with `metrics.listen`, after Create, Mount, Unmount and failing Mounts through its socket. */
describe('the metrics listener of a running daemon', () => {
  let root: string;
  let daemon: RunningDaemon;
  let listen: string;
  let metrics: Exposition;
  const call = async (endpoint: string, body: unknown): Promise<Record<string, unknown>> => (await callPlugin(daemon.config.socket, endpoint, goJson(body))).body;
  const operations = (labels: Record<string, string>): number | undefined => sampleValue(metrics, 'volplex_operation_duration_seconds_count', labels);

  beforeAll(async () => {
    root = makeTempDir('metrics');
    listen = `127.0.0.1:${await freePort()}`;
    daemon = await startDaemon(testConfig(root, { metrics: { listen } }));
    const device = join(root, 'devices', 'gone');
    mkdirSync(device, { recursive: true });
    expect((await call('/VolumeDriver.Create', { Name: 'managed', Opts: {} })).Err).toBe('');
    expect((await call('/VolumeDriver.Create', { Name: 'vanishing', Opts: { device } })).Err).toBe('');
    expect((await call('/VolumeDriver.Mount', { Name: 'managed', ID: 'c1' })).Err).toBe('');
    expect((await call('/VolumeDriver.Mount', { Name: 'managed', ID: 'c2' })).Err).toBe('');
    expect((await call('/VolumeDriver.Unmount', { Name: 'managed', ID: 'c1' })).Err).toBe('');
    rmdirSync(device);
    expect((await call('/VolumeDriver.Mount', { Name: 'vanishing', ID: 'c3' })).Err).toContain('does not exist');
    expect((await call('/VolumeDriver.Mount', { Name: 'unknown', ID: 'c4' })).Err).toContain('not found');
    const scrape = await scrapeMetrics(parseListenAddress(listen), 3000);
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    metrics = parseExposition(scrape.text);
  });

  afterAll(async () => {
    await call('/VolumeDriver.Unmount', { Name: 'managed', ID: 'c2' });
    await daemon.stop();
    removeTempDir(root);
  });

  it('times each operation by type and result: ok, or the error kind', () => {
    expect(operations({ operation: 'create', type: 'local', result: 'ok' })).toBe(2);
    expect(operations({ operation: 'mount', type: 'local', result: 'ok' })).toBe(2);
    expect(operations({ operation: 'unmount', type: 'local', result: 'ok' })).toBe(1);
    expect(operations({ operation: 'mount', type: 'local', result: 'InvalidParameter' })).toBe(1);
    expect(operations({ operation: 'mount', type: '', result: 'NotFound' })).toBe(1);
    expect(metrics.types.get('volplex_operation_duration_seconds')).toBe('histogram');
    const buckets = metrics.samples.filter((sample) => sample.name === 'volplex_operation_duration_seconds_bucket' && sample.labels.operation === 'create').map((sample) => sample.labels.le);
    expect(buckets).toEqual(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '+Inf']);
  });

  it('times the commands run: one bind mount, and the lazy umount that cleans up after the failed Mount', () => {
    expect(sampleValue(metrics, 'volplex_command_duration_seconds_count', { command: 'mount', result: 'ok' })).toBe(1);
    // Nothing was mounted there: umount exits non-zero, which counts as failed.
    expect(metrics.samples.filter((sample) => sample.name === 'volplex_command_duration_seconds_count' && sample.labels.command === 'umount')).toEqual([{ name: 'volplex_command_duration_seconds_count', labels: { command: 'umount', result: 'failed' }, value: 1 }]);
    expect(metrics.types.get('volplex_command_timeouts_total')).toBe('counter');
  });

  it('counts what exists at the scrape: volumes and mounts by type, references', () => {
    expect(sampleValue(metrics, 'volplex_volumes', { type: 'local' })).toBe(2);
    expect(sampleValue(metrics, 'volplex_volumes', { type: 'glusterfs' })).toBe(0);
    expect(sampleValue(metrics, 'volplex_mounts', { type: 'local' })).toBe(1);
    expect(sampleValue(metrics, 'volplex_mount_references')).toBe(1);
    const healthy = metrics.samples.filter((sample) => sample.name === 'volplex_backend_healthy');
    expect(healthy).toEqual([{ name: 'volplex_backend_healthy', labels: { type: 'local', key: expect.stringMatching(/^local-[0-9a-f]{24}$/) as unknown as string }, value: 1 }]);
  });

  it('declares the counters of heals and reconcile actions, and has counted none on a fresh start', () => {
    expect(metrics.types.get('volplex_heals_total')).toBe('counter');
    expect(metrics.types.get('volplex_reconcile_actions_total')).toBe('counter');
    expect(metrics.samples.filter((sample) => sample.name === 'volplex_reconcile_actions_total' || sample.name === 'volplex_heals_total')).toEqual([]);
  });

  it('has the default process metrics, prefixed volplex_', () => {
    expect(sampleValue(metrics, 'volplex_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(metrics, 'volplex_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('never puts a volume name or a mount ID in a label', () => {
    const values = new Set(metrics.samples.flatMap((sample) => Object.values(sample.labels)));
    for (const word of ['managed', 'vanishing', 'unknown', 'c1', 'c2', 'c3', 'c4']) {
      expect(values.has(word)).toBe(false);
    }
  });

  it('serves only GET /metrics, and never on the plugin socket', async () => {
    expect((await callPlugin(daemon.config.socket, '/metrics', '')).status).toBe(404);
    const { tcpPorts, unixPaths } = listeningSockets(daemon.process.pid ?? 0);
    expect(tcpPorts).toEqual([Number(listen.split(':')[1])]);
    expect(unixPaths).toEqual([daemon.config.socket]);
  });
});

describe('a daemon without metrics.listen', () => {
  it('opens no port: it listens on its plugin socket only', async () => {
    const root = makeTempDir('nometrics');
    const daemon = await startDaemon(testConfig(root));
    try {
      expect(listeningSockets(daemon.process.pid ?? 0)).toEqual({ tcpPorts: [], unixPaths: [daemon.config.socket] });
    } finally {
      await daemon.stop();
      removeTempDir(root);
    }
  });
});

describe('a daemon with metrics on a unix socket', () => {
  it('serves them there, 0660', async () => {
    const root = makeTempDir('unixmetrics');
    const path = join(root, 'metrics.sock');
    const daemon = await startDaemon(testConfig(root, { metrics: { listen: path } }));
    try {
      expect(statSync(path).mode & 0o777).toBe(0o660);
      const scrape = await scrapeMetrics({ path }, 3000);
      expect(sampleValue(parseExposition(scrape.text), 'volplex_mount_references')).toBe(0);
      expect(listeningSockets(daemon.process.pid ?? 0)).toEqual({ tcpPorts: [], unixPaths: expect.arrayContaining([daemon.config.socket, path]) as unknown as string[] });
    } finally {
      await daemon.stop();
      removeTempDir(root);
    }
  });
});
