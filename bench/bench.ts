import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { startDaemon, type RunningDaemon } from '../test/support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../test/support/harness.js';

/**
 * `npm run bench [-- --volumes N --concurrency C --metrics off|on|both]`: starts a private volplex
 * daemon and a bare node:http floor server, drives both over their unix sockets with the same
 * request shapes, and prints per-phase p50/p99 latency and server CPU time per request. With
 * `--metrics both` (the default) the phases run twice, on a daemon without and one with
 * `metrics.listen` (scraped every second, as Prometheus would), and the two are compared.
 */
const { values } = parseArgs({
  options: {
    volumes: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '16' },
    mounted: { type: 'string', default: '10,1000,5000' },
    sample: { type: 'string', default: '200' },
    metrics: { type: 'string', default: 'both' },
  },
});
const N = Number(values.volumes);
const C = Number(values.concurrency);
/** Mount/Unmount cost is measured with this many other volumes mounted, at each level. */
const MOUNTED_LEVELS = values.mounted.split(',').filter((level) => level !== '').map(Number);
const SAMPLE = Number(values.sample);
if (!['off', 'on', 'both'].includes(values.metrics)) {
  throw new Error(`--metrics must be off, on or both (got ${values.metrics})`);
}
/** The daemons the phases run on: without metrics, with them, or one of each. */
const METRICS_RUNS: readonly boolean[] = values.metrics === 'both' ? [false, true] : [values.metrics === 'on'];
const SCRAPE_INTERVAL_MS = 1000;
const CLOCK_TICKS_PER_SECOND = 100;

interface PhaseResult {
  readonly phase: string;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMicrosPerRequest: number;
}

type Phase = readonly [name: string, endpoint: string, body: (index: number) => unknown, count: number];

const phases: readonly Phase[] = [
  ['create', '/VolumeDriver.Create', (i) => ({ Name: `bench-${i}`, Opts: { type: 'local' } }), N],
  ['get', '/VolumeDriver.Get', (i) => ({ Name: `bench-${i}` }), N],
  ['get-unknown', '/VolumeDriver.Get', (i) => ({ Name: `not-ours-${i}` }), N],
  ['list', '/VolumeDriver.List', () => ({}), Math.max(10, Math.floor(N / 10))],
  ['mount', '/VolumeDriver.Mount', (i) => ({ Name: `bench-${i}`, ID: `ctr-${i}` }), N],
  ['unmount', '/VolumeDriver.Unmount', (i) => ({ Name: `bench-${i}`, ID: `ctr-${i}` }), N],
  ['remove', '/VolumeDriver.Remove', (i) => ({ Name: `bench-${i}` }), N],
];

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function post(agent: Agent, socketPath: string, endpoint: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ agent, socketPath, path: endpoint, method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body), Accept: 'application/vnd.docker.plugins.v1.2+json' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        if (response.statusCode === 200 || endpoint.endsWith('Get')) {
          resolve();
        } else {
          reject(new Error(`${endpoint}: ${String(response.statusCode)} ${text}`));
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function runPhase(socketPath: string, pid: number, [phase, endpoint, body, count]: Phase): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: C });
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = cpuSeconds(pid);
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const started = process.hrtime.bigint();
      await post(agent, socketPath, endpoint, `${JSON.stringify(body(index))}\n`);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: C }, worker));
  const cpu = cpuSeconds(pid) - cpuBefore;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { phase, requests: count, p50: at(0.5), p99: at(0.99), cpuMicrosPerRequest: (cpu * 1e6) / count };
}

async function startFloor(socketPath: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./floor-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => { resolve(); }));
  return child;
}

function print(title: string, rows: readonly PhaseResult[], floor: readonly PhaseResult[]): void {
  process.stdout.write(`\n${title}\n`);
  process.stdout.write('phase         requests   p50 ms   p99 ms   cpu µs/req | floor p50   floor p99   floor cpu µs/req | p50 ratio  cpu ratio\n');
  rows.forEach((row, index) => {
    const base = floor[index] ?? row;
    const cells = [
      row.phase.padEnd(12), String(row.requests).padStart(9), row.p50.toFixed(2).padStart(8), row.p99.toFixed(2).padStart(8), row.cpuMicrosPerRequest.toFixed(0).padStart(12),
      '|', base.p50.toFixed(2).padStart(9), base.p99.toFixed(2).padStart(11), base.cpuMicrosPerRequest.toFixed(0).padStart(18),
      '|', (row.p50 / base.p50).toFixed(1).padStart(9), (row.cpuMicrosPerRequest / Math.max(base.cpuMicrosPerRequest, 1)).toFixed(1).padStart(10),
    ];
    process.stdout.write(`${cells.join(' ')}\n`);
  });
}

interface ScalingRow {
  readonly mounted: number;
  readonly mountMicros: number;
  readonly unmountMicros: number;
}

/** The bare `mount --bind` + `umount` processes spawned with execa from a minimal node process. */
async function mountFloor(root: string): Promise<{ mountMicros: number; umountMicros: number }> {
  const script = fileURLToPath(new URL('./mount-floor.js', import.meta.url));
  const child = spawn(process.execPath, [script, join(root, 'floor-mounts'), String(SAMPLE), String(C)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(text) as { mountMicros: number; umountMicros: number };
}

/** Daemon CPU per Mount and per Unmount of SAMPLE volumes while `level` others stay mounted. */
async function mountScaling(socketPath: string, pid: number): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  let mounted = 0;
  const background = (from: number, to: number): Phase[] => [
    ['bg-create', '/VolumeDriver.Create', (i) => ({ Name: `bg-${from + i}`, Opts: { type: 'local' } }), to - from],
    ['bg-mount', '/VolumeDriver.Mount', (i) => ({ Name: `bg-${from + i}`, ID: 'bg' }), to - from],
  ];
  await runPhase(socketPath, pid, ['sample-create', '/VolumeDriver.Create', (i) => ({ Name: `sample-${i}`, Opts: { type: 'local' } }), SAMPLE]);
  for (const level of MOUNTED_LEVELS) {
    for (const phase of background(mounted, level)) {
      await runPhase(socketPath, pid, phase);
    }
    mounted = Math.max(mounted, level);
    const mount = await runPhase(socketPath, pid, ['sample-mount', '/VolumeDriver.Mount', (i) => ({ Name: `sample-${i}`, ID: `s-${level}` }), SAMPLE]);
    const unmount = await runPhase(socketPath, pid, ['sample-unmount', '/VolumeDriver.Unmount', (i) => ({ Name: `sample-${i}`, ID: `s-${level}` }), SAMPLE]);
    rows.push({ mounted: level, mountMicros: mount.cpuMicrosPerRequest, unmountMicros: unmount.cpuMicrosPerRequest });
  }
  for (const phase of [
    ['bg-unmount', '/VolumeDriver.Unmount', (i: number) => ({ Name: `bg-${i}`, ID: 'bg' }), mounted],
    ['bg-remove', '/VolumeDriver.Remove', (i: number) => ({ Name: `bg-${i}` }), mounted],
    ['sample-remove', '/VolumeDriver.Remove', (i: number) => ({ Name: `sample-${i}` }), SAMPLE],
  ] as const) {
    await runPhase(socketPath, pid, phase);
  }
  return rows;
}

function printScaling(rows: readonly ScalingRow[], floor: { mountMicros: number; umountMicros: number }): void {
  process.stdout.write(`\nMount/Unmount daemon CPU with other volumes mounted (${SAMPLE} of each, concurrency ${C}); floor: bare mount --bind ${floor.mountMicros.toFixed(0)} µs, umount ${floor.umountMicros.toFixed(0)} µs (spawned with execa from a minimal node)\n`);
  process.stdout.write('mounted   mount µs  ratio   unmount µs  ratio   vs first level\n');
  const first = rows[0];
  for (const row of rows) {
    const growth = first === undefined ? 1 : (row.mountMicros + row.unmountMicros) / (first.mountMicros + first.unmountMicros);
    process.stdout.write(
      `${String(row.mounted).padStart(7)} ${row.mountMicros.toFixed(0).padStart(10)} ${(row.mountMicros / floor.mountMicros).toFixed(2).padStart(6)} ${row.unmountMicros.toFixed(0).padStart(12)} ${(row.unmountMicros / floor.umountMicros).toFixed(2).padStart(6)} ${growth.toFixed(2).padStart(10)}x\n`,
    );
  }
}

/** Scrapes the daemon's metrics every second while the phases run, as Prometheus would; returns a stop that tells how many scrapes answered. */
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

interface Run {
  readonly metrics: boolean;
  readonly results: PhaseResult[];
  readonly floor: PhaseResult[];
  readonly restartMs: number;
  readonly daemon: RunningDaemon;
}

/** Every phase on a fresh daemon (restarted before unmount, every volume mounted), and on the floor server. */
async function runPhases(root: string, metrics: boolean, floorSocket: string, floorPid: number): Promise<Run> {
  mkdirSync(root, { recursive: true });
  const config = testConfig(root, { log: { level: 'info' }, metrics: { listen: metrics ? join(root, 'metrics.sock') : '' } });
  let daemon = await startDaemon(config);
  let stopScraping = metrics ? scrapeEverySecond(config.metrics.listen) : () => 0;
  const results: PhaseResult[] = [];
  const floor: PhaseResult[] = [];
  let restartMs = 0;
  let scrapes = 0;
  for (const phase of phases) {
    if (phase[0] === 'unmount') {
      // A restart with every volume mounted: time until the socket answers again.
      scrapes += stopScraping();
      await daemon.stop();
      const started = process.hrtime.bigint();
      daemon = await startDaemon(config);
      restartMs = Number(process.hrtime.bigint() - started) / 1e6;
      stopScraping = metrics ? scrapeEverySecond(config.metrics.listen) : () => 0;
    }
    results.push(await runPhase(daemon.config.socket, daemon.process.pid as number, phase));
    floor.push(await runPhase(floorSocket, floorPid, phase));
  }
  scrapes += stopScraping();
  if (metrics) {
    process.stdout.write(`\nmetrics on: ${scrapes} scrapes of GET /metrics answered during the phases (one a second)\n`);
  }
  return { metrics, results, floor, restartMs, daemon };
}

function printRun(run: Run): void {
  print(`volplex vs. bare node:http: ${N} volumes (type=local, real bind mounts), concurrency ${C}, metrics ${run.metrics ? 'on' : 'off'}`, run.results, run.floor);
  const totalCpu = run.results.reduce((sum, row) => sum + row.cpuMicrosPerRequest * row.requests, 0);
  const totalFloor = run.floor.reduce((sum, row) => sum + row.cpuMicrosPerRequest * row.requests, 0);
  process.stdout.write(`\nrestart with ${N} volumes mounted: socket answering ${run.restartMs.toFixed(0)} ms after spawn (node start-up included)\n`);
  process.stdout.write(`overall daemon CPU per request: ${(totalCpu / run.results.reduce((s, r) => s + r.requests, 0)).toFixed(0)} µs, ${(totalCpu / totalFloor).toFixed(1)}x the floor\n`);
}

/** Metrics on against off, phase by phase: the cost of recording (and of being scraped). */
function printMetricsCost(off: readonly PhaseResult[], on: readonly PhaseResult[]): void {
  process.stdout.write('\nmetrics on vs. off (ratio 1.0: no cost; compare with run-to-run noise, e.g. two runs with --metrics off)\n');
  process.stdout.write('phase         p50 off   p50 on  ratio | cpu µs off  cpu µs on  ratio\n');
  off.forEach((row, index) => {
    const other = on[index] ?? row;
    process.stdout.write(
      `${row.phase.padEnd(12)} ${row.p50.toFixed(2).padStart(8)} ${other.p50.toFixed(2).padStart(8)} ${(other.p50 / row.p50).toFixed(2).padStart(6)} | ${row.cpuMicrosPerRequest.toFixed(0).padStart(10)} ${other.cpuMicrosPerRequest.toFixed(0).padStart(10)} ${(other.cpuMicrosPerRequest / Math.max(row.cpuMicrosPerRequest, 1)).toFixed(2).padStart(6)}\n`,
    );
  });
}

async function main(): Promise<void> {
  const root = makeTempDir('bench');
  const floorSocket = join(root, 'floor.sock');
  const floor = await startFloor(floorSocket);
  let daemon: RunningDaemon | undefined;
  try {
    const runs: Run[] = [];
    for (const metrics of METRICS_RUNS) {
      await daemon?.stop();
      const run = await runPhases(join(root, metrics ? 'metrics-on' : 'metrics-off'), metrics, floorSocket, floor.pid as number);
      daemon = run.daemon;
      runs.push(run);
      printRun(run);
    }
    const [off, on] = runs;
    if (off !== undefined && on !== undefined) {
      printMetricsCost(off.results, on.results);
    }
    if (MOUNTED_LEVELS.length > 0 && daemon !== undefined) {
      printScaling(await mountScaling(daemon.config.socket, daemon.process.pid as number), await mountFloor(root));
    }
  } finally {
    floor.kill('SIGTERM');
    await daemon?.stop();
    removeTempDir(root);
  }
}

await main();
