import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { FreezableProxy } from '../support/freezable-proxy.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';
import { fuseClients, processesWhere } from '../support/processes.js';
import { s3Service } from '../support/services.js';

const s3 = s3Service();
const COMMAND_TIMEOUT = 10;
const PROBE_TIMEOUT = 2;
const HEALTH_INTERVAL = 2;
/** More hung mounts than libuv has pool threads (4), twice over. */
const HUNG = 9;
const HEALTHY_ROUNDS = 120;
/** Mount and Unmount against the bare mount(8) and umount(8) timed beside them: p50 at most this many times theirs... */
const FLOOR_FACTOR = 1.5;
/** ...and p99 at most this much above theirs (one sample of 120 is p99: a single late fork). */
const FLOOR_SLACK_MS = 40;
const SOAK_MS = 125_000;

interface Answer {
  readonly ms: number;
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (samples: readonly number[], q: number): number => [...samples].sort((a, b) => a - b)[Math.max(0, Math.ceil(samples.length * q) - 1)] ?? Number.NaN;
const p99 = (samples: readonly number[]): number => quantile(samples, 0.99);

describe('a dead backend never stalls the daemon (real s3fs mounts behind a proxy that goes silent)', () => {
  const root = makeTempDir('hung');
  const hung = Array.from({ length: HUNG }, (_, index) => `hung-${index}`);
  let proxy: FreezableProxy;
  let daemon: RunningDaemon;
  const config = (): ReturnType<typeof testConfig> =>
    testConfig(root, {
      commandTimeout: COMMAND_TIMEOUT,
      health: { interval: HEALTH_INTERVAL, probeTimeout: PROBE_TIMEOUT },
      log: { level: 'info' },
      credentials: { lab: { accessKeyId: s3.keyId, accessKeySecret: s3.keySecret } },
      backends: { s3fs: { binary: 's3fs', url: proxy.url, pathStyle: true, credentials: 'lab' } },
    });
  const call = async (endpoint: string, body: Record<string, unknown>): Promise<Answer> => {
    const started = process.hrtime.bigint();
    const response = await callPlugin(daemon.config.socket, `/VolumeDriver.${endpoint}`, goJson(body));
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: response.status, body: response.body };
  };
  const ok = async (endpoint: string, body: Record<string, unknown>): Promise<Answer> => {
    const answer = await call(endpoint, body);
    expect({ endpoint, body, err: answer.body.Err }).toEqual({ endpoint, body, err: '' });
    return answer;
  };
  const status = async (name: string): Promise<Record<string, unknown>> => ((await ok('Get', { Name: name })).body.Volume as { Status: Record<string, unknown> }).Status;
  const mountsBelowRoot = async (): Promise<string[]> => (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${root}/`)).map((entry) => entry.mountPoint);
  const clientsBelowRoot = (): number[] => processesWhere((argv) => argv[0]?.endsWith('s3fs') === true && argv.some((arg) => arg.startsWith(`${root}/`)));
  const waitFor = async (what: string, condition: () => Promise<boolean>, withinMs: number): Promise<number> => {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > withinMs) {
        const statuses = await Promise.all(hung.map(async (name) => `${name}: ${JSON.stringify(await status(name))}`));
        throw new Error(`${what}: not within ${withinMs} ms\n${statuses.join('\n')}`);
      }
      await sleep(100);
    }
    return Date.now() - started;
  };

  /**
   * Create, Get, Path, List, Mount and Unmount of healthy type=local volumes, each timed; after
   * each Mount and Unmount, the floor: the bare mount(8) or umount(8) of a bind, spawned from this
   * process at the same moment, under the same load.
   */
  const healthyRounds = async (prefix: string, rounds: number): Promise<Record<string, number[]>> => {
    const times: Record<string, number[]> = { Create: [], Get: [], Path: [], List: [], Mount: [], Unmount: [], 'bare mount': [], 'bare umount': [] };
    const timed = async (endpoint: string, body: Record<string, unknown>): Promise<void> => {
      times[endpoint]?.push((await ok(endpoint, body)).ms);
    };
    const floor = join(root, 'floor');
    mkdirSync(join(floor, 'source'), { recursive: true });
    mkdirSync(join(floor, 'target'), { recursive: true });
    const bare = async (name: string, file: string, args: string[]): Promise<void> => {
      const started = process.hrtime.bigint();
      await execa(file, args);
      times[name]?.push(Number(process.hrtime.bigint() - started) / 1e6);
    };
    for (let round = 0; round < rounds; round += 1) {
      const name = `${prefix}-${round % 20}`;
      await timed('Create', { Name: name, Opts: { type: 'local' } });
      await timed('Get', { Name: name });
      await timed('Path', { Name: name });
      await timed('List', {});
      await timed('Mount', { Name: name, ID: `c-${round}` });
      await bare('bare mount', 'mount', ['--bind', '--', join(floor, 'source'), join(floor, 'target')]);
      await timed('Unmount', { Name: name, ID: `c-${round}` });
      await bare('bare umount', 'umount', ['--', join(floor, 'target')]);
    }
    return times;
  };

  beforeAll(async () => {
    proxy = await FreezableProxy.start(Number(new URL(s3.url).port));
    daemon = await startDaemon(config());
    for (const [index, name] of hung.entries()) {
      // Each its own backend mount: the client options differ.
      await ok('Create', { Name: name, Opts: { type: 's3fs', bucket: s3.bucket, stat_cache_expire: String(index + 1) } });
      await ok('Mount', { Name: name, ID: 'first' });
    }
    expect(await mountsBelowRoot()).toHaveLength(HUNG);
  }, 120_000);

  afterAll(async () => {
    proxy.thaw();
    for (const name of hung) {
      for (const id of ['first', 'second', 'after', 'down', 'stopped']) {
        await call('Unmount', { Name: name, ID: id }).catch(() => undefined);
      }
    }
    await daemon.stop();
    await proxy.stop();
    removeTempDir(root);
  }, 60_000);

  it(`keeps healthy volumes under 50 ms (p99; Mount and Unmount at the bare mount(8) and umount(8) beside them) while ${HUNG} mounts hang, and answers the hung ones within their bounds`, async () => {
    proxy.freeze();
    // Mounts of hung volumes, kept in flight for as long as the healthy rounds run.
    const hungMounts: Promise<Answer>[] = [];
    const measuring = { on: true };
    const keepHungMountsBusy = (async (): Promise<void> => {
      for (let wave = 0; measuring.on; wave += 1) {
        const inFlight = hung.map((name) => call('Mount', { Name: name, ID: `retry-${wave}` }));
        hungMounts.push(...inFlight);
        await Promise.all(inFlight);
      }
    })();
    await sleep(500);
    const times = await healthyRounds('ok', HEALTHY_ROUNDS);
    measuring.on = false;
    await keepHungMountsBusy;

    process.stdout.write(`healthy p50/p99 with ${HUNG} hung mounts: ${Object.entries(times).map(([endpoint, samples]) => `${endpoint} ${quantile(samples, 0.5).toFixed(1)}/${p99(samples).toFixed(1)} ms`).join(', ')}\n`);
    for (const endpoint of ['Create', 'Get', 'Path', 'List']) {
      const samples = times[endpoint] ?? [];
      expect({ endpoint, samples: samples.length >= 100, p99Under50: p99(samples) < 50 }).toEqual({ endpoint, samples: true, p99Under50: true });
    }
    // One fork and exec of mount(8) is most of a bind Mount; on a 2-vCPU VM under this load the
    // bare command's own p99 reaches 45-60 ms. The daemon must add no stall to it: under 50 ms,
    // or within a few ms of the bare command at p50 and one late fork at p99.
    for (const [endpoint, floorName] of [['Mount', 'bare mount'], ['Unmount', 'bare umount']] as const) {
      const samples = times[endpoint] ?? [];
      const floor = times[floorName] ?? [];
      expect({ endpoint, samples: samples.length >= 100, p99UnderBound: p99(samples) < Math.max(50, p99(floor) + FLOOR_SLACK_MS), p50NearFloor: quantile(samples, 0.5) <= FLOOR_FACTOR * quantile(floor, 0.5) })
        .toEqual({ endpoint, samples: true, p99UnderBound: true, p50NearFloor: true });
    }

    const answers = await Promise.all(hungMounts);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.body.Err).toMatch(/^mount hung-\d: .*(did not answer|not reachable)/);
      expect(answer.ms).toBeLessThan((COMMAND_TIMEOUT + PROBE_TIMEOUT + 3) * 1000);
    }

    const get = await call('Get', { Name: 'hung-0' });
    expect(get.ms).toBeLessThan(1000);
    await waitFor('hung-0 unhealthy in Status', async () => (await status('hung-0')).backendHealth === 'unhealthy', 2 * (HEALTH_INTERVAL + PROBE_TIMEOUT) * 1000);
    expect(await status('hung-0')).toEqual(expect.objectContaining({ references: 1, backendHealth: 'unhealthy', backendHealthReason: expect.any(String) as unknown }));
  }, 120_000);

  it('heals the hung volumes once the server answers again', async () => {
    proxy.thaw();
    for (const name of hung) {
      await ok('Mount', { Name: name, ID: 'second' });
    }
    await waitFor('every volume healthy', async () => (await Promise.all(hung.map(status))).every((found) => found.backendHealth === 'healthy'), 3 * (HEALTH_INTERVAL + PROBE_TIMEOUT) * 1000);
    expect(await mountsBelowRoot()).toHaveLength(HUNG);
  }, 60_000);

  it('restarts (kill -9) with hung mounts present, answers within 1 s and adopts them', async () => {
    proxy.freeze();
    await waitFor('hung-1 unhealthy', async () => (await status('hung-1')).backendHealth === 'unhealthy', 2 * (HEALTH_INTERVAL + PROBE_TIMEOUT) * 1000);
    await daemon.kill();
    const started = Date.now();
    daemon = await startDaemon(config());
    const answeredMs = Date.now() - started;
    process.stdout.write(`restart with ${HUNG} hung mounts: socket answered ${answeredMs} ms after spawn\n`);
    expect(answeredMs).toBeLessThan(1000);
    const get = await call('Get', { Name: 'hung-1' });
    expect(get.ms).toBeLessThan(1000);
    expect(await status('hung-1')).toEqual(expect.objectContaining({ references: 2, mounted: true }));
    await waitFor('hung-1 unhealthy after restart', async () => (await status('hung-1')).backendHealth === 'unhealthy', 2 * (HEALTH_INTERVAL + PROBE_TIMEOUT) * 1000);
    expect(await mountsBelowRoot()).toHaveLength(HUNG);
  }, 60_000);

  it('unmounts a hung volume within the command timeout, and the rest heal once the server answers again', async () => {
    for (const id of ['first', 'second']) {
      const unmounted = await ok('Unmount', { Name: 'hung-0', ID: id });
      expect(unmounted.ms).toBeLessThan(COMMAND_TIMEOUT * 1000);
    }
    expect(await status('hung-0')).toEqual(expect.objectContaining({ references: 0, mounted: false }));
    expect(await mountsBelowRoot()).toHaveLength(HUNG - 1);

    proxy.thaw();
    for (const name of hung) {
      await ok('Mount', { Name: name, ID: 'after' });
      await waitFor(`${name} healthy`, async () => (await status(name)).backendHealth === 'healthy', 3 * (HEALTH_INTERVAL + PROBE_TIMEOUT) * 1000);
    }
    for (const name of hung) {
      for (const id of name === 'hung-0' ? ['after'] : ['first', 'second', 'after']) {
        await ok('Unmount', { Name: name, ID: id });
      }
    }
    expect(await mountsBelowRoot()).toEqual([]);
    await waitFor('no s3fs client left', async () => clientsBelowRoot().length === 0, 10_000);
    expect(daemon.output()).not.toMatch(/unhandled rejection/);
  }, 120_000);

  it('notices a stopped server within one health period', async () => {
    await ok('Mount', { Name: 'hung-2', ID: 'down' });
    await waitFor('hung-2 healthy', async () => (await status('hung-2')).backendHealth === 'healthy', 3 * (HEALTH_INTERVAL + PROBE_TIMEOUT) * 1000);
    await proxy.stop();
    try {
      const tookMs = await waitFor('hung-2 unhealthy once the server is down', async () => (await status('hung-2')).backendHealth === 'unhealthy', (HEALTH_INTERVAL + PROBE_TIMEOUT + 1) * 1000);
      process.stdout.write(`stopped S3 server seen as unhealthy after ${tookMs} ms\n`);
    } finally {
      proxy = await FreezableProxy.start(Number(new URL(s3.url).port), proxy.port);
    }
    await ok('Unmount', { Name: 'hung-2', ID: 'down' });
    expect(await mountsBelowRoot()).toEqual([]);
  }, 60_000);

  it('leaves one stopped client alone for 2 minutes of health rounds while healthy volumes mount and unmount: nothing slows down', async () => {
    await ok('Mount', { Name: 'hung-3', ID: 'stopped' });
    const mountpoint = (await ok('Path', { Name: 'hung-3' })).body.Mountpoint as string;
    const [client] = fuseClients('s3fs', mountpoint);
    expect(client).toBeDefined();
    process.kill(client as number, 'SIGSTOP');
    try {
      const started = Date.now();
      const early = await healthyRounds('soak', 40);
      const late: Record<string, number[]> = {};
      while (Date.now() - started < SOAK_MS) {
        for (const [endpoint, samples] of Object.entries(await healthyRounds('soak', 20))) {
          (late[endpoint] ??= []).push(...samples);
        }
      }
      const status3 = await status('hung-3');
      expect(status3.backendHealth).toBe('unhealthy');
      expect(status3.stuckProbeChildren ?? 0).toBeLessThanOrEqual(2);
      process.stdout.write(`after ${Math.round((Date.now() - started) / 1000)} s with a stopped client: ${Object.entries(late).map(([endpoint, samples]) => `${endpoint} p50 ${quantile(samples, 0.5).toFixed(1)} (first 40 rounds ${quantile(early[endpoint] ?? [], 0.5).toFixed(1)}) p99 ${p99(samples).toFixed(1)} ms`).join(', ')}\n`);
      // Before the fix every call hung for good after ~52 s: the late calls are no slower than the first ones.
      for (const [endpoint, samples] of Object.entries(late)) {
        const first = quantile(early[endpoint] ?? [], 0.5);
        expect({ endpoint, slowest: Math.max(...samples) < 1000, median: quantile(samples, 0.5) <= 2 * first + 5 }).toEqual({ endpoint, slowest: true, median: true });
      }
    } finally {
      process.kill(client as number, 'SIGCONT');
    }
    await ok('Unmount', { Name: 'hung-3', ID: 'stopped' });
    for (let index = 0; index < 20; index += 1) {
      await ok('Remove', { Name: `soak-${index}` });
      await ok('Remove', { Name: `ok-${index}` });
    }
    expect(await mountsBelowRoot()).toEqual([]);
  }, 240_000);
});
