import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { freePort } from '../support/listening.js';
import { callPlugin, goJson } from '../support/plugin-client.js';

const SCRAPE_CONFIG = fileURLToPath(new URL('../../../config/prometheus.yml', import.meta.url));
const MOUNTS = 3;

interface QueryAnswer {
  readonly status: string;
  readonly data?: { readonly result: readonly { readonly metric: Record<string, string>; readonly value: [number, string] }[] };
}

/** One instant PromQL query through Prometheus' HTTP API. */
function query(port: number, promql: string): Promise<QueryAnswer> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: `/api/v1/query?query=${encodeURIComponent(promql)}`, timeout: 2000 }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => { resolve(JSON.parse(text) as QueryAnswer); });
    }).on('error', reject);
  });
}

/** The query's single value once it equals `expected`, polled for up to 30 s (scrapes come every second). */
async function eventually(port: number, promql: string, expected: string): Promise<string | undefined> {
  let last: string | undefined;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
    last = await query(port, promql).then((answer) => answer.data?.result[0]?.value[1], () => undefined);
    if (last === expected) {
      break;
    }
  }
  return last;
}

describe('a real Prometheus (Debian 2.42) scraping volplex every second', () => {
  let root: string;
  let daemon: RunningDaemon;
  let prometheus: ChildProcess;
  let prometheusPort: number;
  let prometheusLog = '';

  beforeAll(async () => {
    root = makeTempDir('prometheus');
    const metricsPort = await freePort();
    daemon = await startDaemon(testConfig(root, { metrics: { listen: `127.0.0.1:${metricsPort}` } }));
    const config = join(root, 'prometheus.yml');
    writeFileSync(config, readFileSync(SCRAPE_CONFIG, 'utf8').replace("'127.0.0.1:9597'", `'127.0.0.1:${metricsPort}'`));
    prometheusPort = await freePort();
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(root, 'tsdb')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString()));
  });

  afterAll(async () => {
    if (prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await daemon.stop();
    removeTempDir(root);
  });

  it('finds the target up and counts the Mounts done with a PromQL query', async () => {
    expect((await callPlugin(daemon.config.socket, '/VolumeDriver.Create', goJson({ Name: 'scraped', Opts: {} }))).body.Err).toBe('');
    for (let index = 0; index < MOUNTS; index += 1) {
      expect((await callPlugin(daemon.config.socket, '/VolumeDriver.Mount', goJson({ Name: 'scraped', ID: `ctr-${index}` }))).body.Err).toBe('');
    }
    for (let index = 0; index < MOUNTS; index += 1) {
      expect((await callPlugin(daemon.config.socket, '/VolumeDriver.Unmount', goJson({ Name: 'scraped', ID: `ctr-${index}` }))).body.Err).toBe('');
    }
    expect(await eventually(prometheusPort, 'up{job="volplex"}', '1')).toBe('1');
    expect(await eventually(prometheusPort, 'sum(volplex_operation_duration_seconds_count{operation="mount"})', String(MOUNTS))).toBe(String(MOUNTS));
    expect(await eventually(prometheusPort, 'volplex_volumes{type="local"}', '1')).toBe('1');
    expect(await eventually(prometheusPort, 'sum(volplex_mounts)', '0')).toBe('0');
    expect({ exitCode: prometheus.exitCode, log: prometheus.exitCode === null ? '' : prometheusLog }).toEqual({ exitCode: null, log: '' });
  });
});
