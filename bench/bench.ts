import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { VolplexConfig } from '../src/config/config.js';
import { startDaemon, type RunningDaemon } from '../test/support/daemon.js';
import { EtcdCluster } from '../test/support/etcd-cluster.js';
import { makeTempDir, removeTempDir, testConfig } from '../test/support/harness.js';
import { runPhase, type PhaseResult, type RequestBody } from './load.js';
import { childrenNaming, cpuMicros, median, rssMb } from './process-stats.js';
import { timeStartup } from './startup.js';

/**
 * `npm run bench [-- --scales 1000,10000 --rounds 3 --concurrency 16 --metrics off|on|both --json FILE]` (root: real
 * bind mounts). At each scale it runs a private volplex daemon and the express floor
 * (bench/express-floor.ts) alternately, phase by phase, and reports the median of the rounds:
 * latency, and server CPU per request (volplex's with its command helper) as a ratio to the
 * floor's. Mount and Unmount are compared with the bare `mount --bind` and `umount` spawned
 * with execa from a minimal node (bench/mount-floor.ts), with 10, 1000 and 5000 others mounted.
 * Start-up is timed to the first answered Activate, with the scale's volumes and 1000 mounted.
 * With `--metrics both` (the default) the request phases also run on a daemon with
 * `metrics.listen` set and scraped every second, as Prometheus would, and the two are compared.
 * With `--store etcd` the daemon keeps its records in a three-member etcd cluster the bench
 * starts on loopback (Debian's etcd-server), and the request phases also run on the SQLite
 * store for the comparison: Get, List and Path answer from memory with either store.
 */
const { values } = parseArgs({
  options: {
    scales: { type: 'string', default: '1000,10000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    mounted: { type: 'string', default: '10,1000,5000' },
    sample: { type: 'string', default: '200' },
    metrics: { type: 'string', default: 'both' },
    store: { type: 'string', default: 'sqlite' },
    json: { type: 'string' },
  },
});
if (!['off', 'on', 'both'].includes(values.metrics)) {
  throw new Error(`--metrics must be off, on or both (got ${values.metrics})`);
}
if (values.store !== 'sqlite' && values.store !== 'etcd') {
  throw new Error(`--store must be sqlite or etcd (got ${values.store})`);
}
type StoreKind = 'sqlite' | 'etcd';
const STORE: StoreKind = values.store;
const SCALES = values.scales.split(',').map(Number);
const ROUNDS = Number(values.rounds);
const C = Number(values.concurrency);
const LEVELS = values.mounted.split(',').filter((level) => level !== '').map(Number);
const SAMPLE = Number(values.sample);
const STARTUP_MOUNTED = 1000;
const SCRAPE_INTERVAL_MS = 1000;

interface Compared {
  readonly phase: string;
  readonly volplex: PhaseResult;
  readonly floor: PhaseResult;
}

interface MountLevel {
  readonly mounted: number;
  readonly mountMicros: number;
  readonly unmountMicros: number;
}

interface ScaleReport {
  readonly volumes: number;
  readonly metrics: boolean;
  readonly store: StoreKind;
  /** The same phases on the SQLite store, when this run was on etcd. */
  readonly onSqlite?: Compared[];
  readonly phases: Compared[];
  /** The same phases on a daemon with metrics on, when the other run had them off (--metrics both). */
  readonly withMetrics?: Compared[];
  readonly mountLevels: MountLevel[];
  readonly mountFloor: { readonly mountMicros: number; readonly umountMicros: number };
  readonly startup?: { readonly mounted: number; readonly volplexMs: number; readonly volplexReadyMs: number; readonly floorMs: number; readonly volplexRssMb: number; readonly floorRssMb: number; readonly helperRssMb: number };
  readonly rssAfterMb: number;
}

const script = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

async function startFloor(socketPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script('express-floor.js'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => { resolve(); }));
  return child;
}

/** The daemon's CPU and its command helper's: the helper does the daemon's forking. */
function daemonCpu(daemon: RunningDaemon): () => number {
  const pid = daemon.process.pid ?? 0;
  return () => cpuMicros(pid) + childrenNaming(pid, 'command-helper').reduce((sum, helper) => sum + cpuMicros(helper), 0);
}

function medianResult(results: readonly PhaseResult[]): PhaseResult {
  return {
    requests: results[0]?.requests ?? 0,
    p50: median(results.map((result) => result.p50)),
    p99: median(results.map((result) => result.p99)),
    cpuMicrosPerRequest: median(results.map((result) => result.cpuMicrosPerRequest)),
  };
}

/** The bare mount --bind + umount floor, measured now. */
async function mountFloor(root: string): Promise<{ mountMicros: number; umountMicros: number }> {
  const child = spawn(process.execPath, [script('mount-floor.js'), join(root, `floor-mounts-${Date.now()}`), String(SAMPLE), String(C)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(text) as { mountMicros: number; umountMicros: number };
}

/** Scrapes the daemon's metrics every second, as Prometheus would; the returned stop says how many scrapes answered. */
function scrapeEverySecond(path: string): () => number {
  let answered = 0;
  const timer = setInterval(() => {
    request({ socketPath: path, path: '/metrics', method: 'GET' }, (response) => {
      response.resume();
      response.on('end', () => { answered += response.statusCode === 200 ? 1 : 0; });
    }).on('error', () => undefined).end();
  }, SCRAPE_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    return answered;
  };
}

/**
 * One scale on a fresh daemon, with or without metrics: the request phases and, when `full`,
 * the mount levels and start-up.
 */
async function benchScale(volumes: number, metrics: boolean, full: boolean, store: StoreKind): Promise<ScaleReport> {
  const root = makeTempDir(`bench-${volumes}`);
  const config = testConfig(root, { log: { level: 'info' }, metrics: { listen: metrics ? join(root, 'metrics.sock') : '' }, ...storeSettings(store) });
  let daemon = await startDaemon(config);
  const stopScraping = metrics ? scrapeEverySecond(config.metrics.listen) : () => 0;
  const floorSocket = join(root, 'floor.sock');
  const floor = await startFloor(floorSocket);
  const floorCpu = (): number => cpuMicros(floor.pid ?? 0);
  const volplex = (endpoint: string, body: RequestBody, count: number, allowErr = false): Promise<PhaseResult> => runPhase(config.socket, daemonCpu(daemon), endpoint, body, count, C, allowErr);
  /** The same requests to volplex and to the floor, alternately, ROUNDS times; the body may differ by round. */
  const both = async (phases: Compared[], phase: string, endpoint: string, body: (index: number, round: number) => unknown, count: number): Promise<void> => {
    const ours: PhaseResult[] = [];
    const theirs: PhaseResult[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      ours.push(await volplex(endpoint, (i) => body(i, round), count, endpoint.endsWith('Get')));
      theirs.push(await runPhase(floorSocket, floorCpu, endpoint, (i) => body(i, round), count, C));
    }
    phases.push({ phase, volplex: medianResult(ours), floor: medianResult(theirs) });
    process.stderr.write(`  ${volumes} volumes: ${phase} done\n`);
  };
  const name = (i: number): string => `vol-${i}`;
  try {
    process.stderr.write(`bench: ${volumes} volumes, ${store} store\n`);
    await volplex('/VolumeDriver.Create', (i) => ({ Name: name(i), Opts: { type: 'local' } }), volumes);
    const phases: Compared[] = [];
    const reads = Math.min(volumes, 2000);
    await both(phases, 'get', '/VolumeDriver.Get', (i) => ({ Name: name(i % volumes) }), reads);
    await both(phases, 'get (unknown)', '/VolumeDriver.Get', (i) => ({ Name: `not-ours-${i}` }), reads);
    await both(phases, 'path', '/VolumeDriver.Path', (i) => ({ Name: name(i % volumes) }), reads);
    await both(phases, 'list', '/VolumeDriver.List', () => ({}), 50);
    // Create and Remove: a batch of other volumes each round, so the scale stays as it is.
    const batch = 500;
    await both(phases, 'create', '/VolumeDriver.Create', (i, round) => ({ Name: `extra-${round}-${i}`, Opts: { type: 'local' } }), batch);
    await both(phases, 'remove', '/VolumeDriver.Remove', (i, round) => ({ Name: `extra-${round}-${i}` }), batch);

    const mountLevels: MountLevel[] = [];
    let startup: ScaleReport['startup'];
    let mounted = 0;
    const sampleFrom = volumes - SAMPLE;
    for (const level of LEVELS.filter((wanted) => wanted + SAMPLE <= volumes && (full || wanted === LEVELS[0]))) {
      if (level > mounted) {
        await volplex('/VolumeDriver.Mount', (i) => ({ Name: name(mounted + i), ID: 'background' }), level - mounted);
        mounted = level;
      }
      const mountRuns: PhaseResult[] = [];
      const unmountRuns: PhaseResult[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        mountRuns.push(await volplex('/VolumeDriver.Mount', (i) => ({ Name: name(sampleFrom + i), ID: `sample-${round}` }), SAMPLE));
        unmountRuns.push(await volplex('/VolumeDriver.Unmount', (i) => ({ Name: name(sampleFrom + i), ID: `sample-${round}` }), SAMPLE));
      }
      mountLevels.push({ mounted: level, mountMicros: medianResult(mountRuns).cpuMicrosPerRequest, unmountMicros: medianResult(unmountRuns).cpuMicrosPerRequest });
      if (level === LEVELS[0]) {
        phases.push({ phase: 'mount', volplex: medianResult(mountRuns), floor: await floorLike(floorSocket, floorCpu, '/VolumeDriver.Mount') });
        phases.push({ phase: 'unmount', volplex: medianResult(unmountRuns), floor: await floorLike(floorSocket, floorCpu, '/VolumeDriver.Unmount') });
      }
      if (full && level === STARTUP_MOUNTED) {
        const timed = await timeStartup(daemon, config, ROUNDS, script('express-floor.js'), root);
        daemon = timed.daemon;
        const helperRssMb = childrenNaming(daemon.process.pid ?? 0, 'command-helper').reduce((sum, helper) => sum + rssMb(helper), 0);
        startup = { mounted: level, volplexMs: timed.volplexMs, volplexReadyMs: timed.volplexReadyMs, floorMs: timed.floorMs, volplexRssMb: timed.volplexRssMb, floorRssMb: timed.floorRssMb, helperRssMb };
      }
      process.stderr.write(`  ${volumes} volumes: mount/unmount with ${level} mounted done\n`);
    }
    const mountFloorResult = await mountFloor(root);
    const rssAfterMb = rssMb(daemon.process.pid ?? 0);
    await volplex('/VolumeDriver.Unmount', (i) => ({ Name: name(i), ID: 'background' }), mounted);
    const scrapes = stopScraping();
    if (metrics) {
      process.stderr.write(`  ${volumes} volumes, metrics on: ${scrapes} scrapes of GET /metrics answered (one a second)\n`);
    }
    return { volumes, metrics, store, phases, mountLevels, mountFloor: mountFloorResult, ...(startup === undefined ? {} : { startup }), rssAfterMb };
  } finally {
    stopScraping();
    floor.kill('SIGTERM');
    await daemon.stop();
    removeTempDir(root);
  }
}

/** The floor answering the same endpoint (it mounts nothing): the HTTP part of the cost. */
async function floorLike(floorSocket: string, floorCpu: () => number, endpoint: string): Promise<PhaseResult> {
  const runs: PhaseResult[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    runs.push(await runPhase(floorSocket, floorCpu, endpoint, (i) => ({ Name: `vol-${i}`, ID: 'x' }), SAMPLE, C));
  }
  return medianResult(runs);
}

/** The etcd cluster of `--store etcd`, started once for every scale. */
let cluster: { readonly dir: string; readonly etcd: EtcdCluster } | undefined;
let prefixes = 0;

/** SQLite as the tests use it, or the bench's etcd cluster under a prefix of this run's own. */
function storeSettings(store: StoreKind): Partial<VolplexConfig> {
  if (store === 'sqlite' || cluster === undefined) {
    return {};
  }
  prefixes += 1;
  return { hostId: 'bench', store: { kind: 'etcd', etcd: { endpoints: cluster.etcd.endpoints, prefix: `/bench/run${prefixes}`, leaseTtl: 15, tls: { ca: '', cert: '', key: '' } } } };
}

const fixed = (value: number, digits = 2): string => value.toFixed(digits);

function print(report: ScaleReport): void {
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const where = report.store === 'etcd' ? 'etcd store (3-member cluster on loopback)' : 'SQLite store';
  out(`\n## ${report.volumes} volumes (type=local, real bind mounts), ${where}, concurrency ${C}, median of ${ROUNDS} rounds, metrics ${report.metrics ? 'on' : 'off'}`);
  out('| op | volplex p50 ms | p99 ms | CPU µs/req | express floor p50 ms | floor CPU µs/req | CPU ratio |');
  out('|---|---|---|---|---|---|---|');
  for (const { phase, volplex, floor } of report.phases) {
    out(`| ${phase} | ${fixed(volplex.p50)} | ${fixed(volplex.p99)} | ${fixed(volplex.cpuMicrosPerRequest, 0)} | ${fixed(floor.p50)} | ${fixed(floor.cpuMicrosPerRequest, 0)} | ${fixed(volplex.cpuMicrosPerRequest / floor.cpuMicrosPerRequest, 1)}× |`);
  }
  const { mountMicros, umountMicros } = report.mountFloor;
  out(`\nMount+Unmount CPU (daemon and command helper) vs bare \`mount --bind\` ${fixed(mountMicros, 0)} µs + \`umount\` ${fixed(umountMicros, 0)} µs spawned with execa from a minimal node:`);
  out('| mounted | mount µs | unmount µs | (mount+unmount) / floor | vs first level |');
  out('|---|---|---|---|---|');
  const first = report.mountLevels[0];
  for (const level of report.mountLevels) {
    const sum = level.mountMicros + level.unmountMicros;
    out(`| ${level.mounted} | ${fixed(level.mountMicros, 0)} | ${fixed(level.unmountMicros, 0)} | ${fixed(sum / (mountMicros + umountMicros))}× | ${fixed(first === undefined ? 1 : sum / (first.mountMicros + first.unmountMicros))}× |`);
  }
  if (report.startup !== undefined) {
    const { startup } = report;
    out(`\nStart-up with ${report.volumes} volumes, ${startup.mounted} mounted: first answer (Activate) ${fixed(startup.volplexMs, 0)} ms, volumes loaded (first Get answered) ${fixed(startup.volplexReadyMs, 0)} ms; express floor first answer ${fixed(startup.floorMs, 0)} ms`);
    out(`RSS at start: daemon ${fixed(startup.volplexRssMb, 0)} MB (floor ${fixed(startup.floorRssMb, 0)} MB, ${fixed(startup.volplexRssMb / startup.floorRssMb, 2)}×), command helper ${fixed(startup.helperRssMb, 0)} MB`);
  }
  out(`RSS after the run: ${fixed(report.rssAfterMb, 0)} MB`);
  if (report.onSqlite !== undefined) {
    out('\netcd store vs SQLite store, same phases on a fresh daemon each (Get, List and Path answer from memory with both; Create, Remove, Mount and Unmount are one etcd transaction each on etcd):');
    out('| op | SQLite p50 ms | etcd p50 ms | p50 ratio | SQLite p99 ms | etcd p99 ms | SQLite CPU µs/req | etcd CPU µs/req | CPU ratio |');
    out('|---|---|---|---|---|---|---|---|---|');
    report.phases.forEach((etcd) => {
      const sqlite = report.onSqlite?.find((phase) => phase.phase === etcd.phase);
      if (sqlite !== undefined) {
        const [a, b] = [sqlite.volplex, etcd.volplex];
        out(`| ${etcd.phase} | ${fixed(a.p50)} | ${fixed(b.p50)} | ${fixed(b.p50 / a.p50)}× | ${fixed(a.p99)} | ${fixed(b.p99)} | ${fixed(a.cpuMicrosPerRequest, 0)} | ${fixed(b.cpuMicrosPerRequest, 0)} | ${fixed(b.cpuMicrosPerRequest / a.cpuMicrosPerRequest)}× |`);
      }
    });
  }
  if (report.withMetrics !== undefined) {
    out('\nMetrics on (listener scraped every second) vs off, same phases on a fresh daemon; compare with the round-to-round noise:');
    out('| op | CPU µs/req off | on | ratio | p50 ms off | on |');
    out('|---|---|---|---|---|---|');
    report.phases.forEach((off, index) => {
      const on = report.withMetrics?.[index];
      if (on !== undefined) {
        out(`| ${off.phase} | ${fixed(off.volplex.cpuMicrosPerRequest, 0)} | ${fixed(on.volplex.cpuMicrosPerRequest, 0)} | ${fixed(on.volplex.cpuMicrosPerRequest / off.volplex.cpuMicrosPerRequest)}× | ${fixed(off.volplex.p50)} | ${fixed(on.volplex.p50)} |`);
      }
    });
  }
}

const reports: ScaleReport[] = [];
if (STORE === 'etcd') {
  const dir = makeTempDir('bench-etcd');
  cluster = { dir, etcd: await EtcdCluster.start(join(dir, 'etcd')) };
}
try {
  for (const volumes of SCALES) {
    const report = await benchScale(volumes, values.metrics === 'on', true, STORE);
    const withMetrics = values.metrics === 'both' ? (await benchScale(volumes, true, false, STORE)).phases : undefined;
    const onSqlite = STORE === 'etcd' ? (await benchScale(volumes, values.metrics === 'on', false, 'sqlite')).phases : undefined;
    const complete = { ...report, ...(withMetrics === undefined ? {} : { withMetrics }), ...(onSqlite === undefined ? {} : { onSqlite }) };
    print(complete);
    reports.push(complete);
  }
} finally {
  if (cluster !== undefined) {
    await cluster.etcd.stop();
    removeTempDir(cluster.dir);
  }
}
if (values.json !== undefined) {
  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), machine, rounds: ROUNDS, concurrency: C, reports }, null, 2)}\n`);
}
