import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import type { VolplexConfig } from '../../src/config/config.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { processesWhere } from '../support/processes.js';
import { RecordingClient } from '../support/recording-client.js';
import { s3Service } from '../support/services.js';
import { commandProblems } from './command-check.js';
import { checkBounded, exchange, FUZZ_SEED, FuzzModel, FuzzTally, invariantProblems, tearDown } from './fuzz-session.js';
import { fuzzRun, hostileStrings, type FuzzPaths, type Opts } from './requests.js';

const s3 = s3Service();
const NUM_RUNS = 250;
const TIME_LIMIT_MS = 35_000;
// The time bound, the bound on shrinking a failure, and room for set-up and tear-down.
const TEST_TIMEOUT_MS = TIME_LIMIT_MS + 30_000 + 40_000;

// Real s3fs mounts made by the real daemon against the test S3 server. The FUSE client is
// called through a wrapper that appends its argv (NUL-separated, an empty field ending each
// call) to a log before it execs s3fs: the same allow-list check, at the binary.
describe('property-based fuzzing of s3fs volumes with real mounts (real daemon, real s3fs, test S3 server)', () => {
  let root = '';
  let paths: FuzzPaths;
  let config: VolplexConfig;
  let daemon: RunningDaemon;
  let client: RecordingClient;
  const tally = new FuzzTally();

  const recordedCalls = (): string[][] => client.calls();

  beforeAll(async () => {
    root = makeTempDir('fuzz-s3fs');
    paths = { devices: join(root, 'devices'), sentinel: join(root, 'sentinel'), escapeLink: join(root, 'devices', 'escape') };
    mkdirSync(paths.devices);
    mkdirSync(paths.sentinel);
    symlinkSync(paths.sentinel, paths.escapeLink);
    client = new RecordingClient(root, 's3fs', 's3fs-recording.sh');
    config = testConfig(root, {
      commandTimeout: 10,
      log: { level: 'info' },
      credentials: { lab: { accessKeyId: s3.keyId, accessKeySecret: s3.keySecret } },
      backends: { s3fs: { binary: client.path, url: s3.url, pathStyle: true, credentials: 'lab' } },
    });
    daemon = await startDaemon(config);
  });

  afterAll(async () => {
    await daemon.stop();
    removeTempDir(root);
  });

  it(`keeps every rule for up to ${NUM_RUNS} runs with real s3fs mounts (seed ${FUZZ_SEED})`, async () => {
    const opts = s3fsOptionMaps(paths);
    const { runs, ms } = await checkBounded(
      fuzzRun(paths, opts, opts),
      async (requests) => {
        const model = new FuzzModel();
        const firstCall = recordedCalls().length;
        const problems: string[] = [];
        for (const request of requests) {
          problems.push(...(await exchange(config.socket, request, model, tally)));
        }
        problems.push(...(await invariantProblems(config.socket, model, paths.sentinel)));
        problems.push(...(await tearDown(config.socket, model, root)));
        const calls = recordedCalls().slice(firstCall);
        problems.push(...calls.flatMap((argv) => commandProblems(argv, config)));
        if (daemon.process.exitCode !== null) {
          problems.push(`the daemon exited with ${daemon.process.exitCode}`);
        }
        const clients = (): number[] => processesWhere((argv) => argv.some((arg) => arg.startsWith(`${config.mountRoot}/`)));
        // A FUSE client exits a moment after its unmount.
        for (let waited = 0; clients().length > 0 && waited < 3000; waited += 100) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (clients().length > 0) {
          problems.push(`FUSE clients still running after the run: ${clients().join(', ')}`);
        }
        const unexpected = readdirSync(root).filter((name) => !['state', 'devices', 'sentinel', 'volplex.sock', 'volplex.yaml', 's3fs-recording.sh.argv', 's3fs-recording.sh'].includes(name));
        if (unexpected.length > 0) {
          problems.push(`created in the test root: ${JSON.stringify(unexpected)}`);
        }
        expect(problems).toEqual([]);
      },
      { numRuns: NUM_RUNS, timeLimitMs: TIME_LIMIT_MS },
    );
    const mounted = recordedCalls().length;
    process.stdout.write(`s3fs fuzz: seed ${FUZZ_SEED}, ${runs} runs, ${tally.requests} requests, ${mounted} real s3fs runs checked, ${ms} ms; ${tally.toString()}\n`);
    expect(runs).toBeGreaterThan(5);
    expect(mounted).toBeGreaterThan(0);
    expect(daemon.output()).not.toContain(`:${s3.keyId}:${s3.keySecret}`);
  }, TEST_TIMEOUT_MS);

  /** s3fs volumes on the test bucket with random tuning, and values that try to smuggle options in. */
  function s3fsOptionMaps(fuzzPaths: FuzzPaths): fc.Arbitrary<Opts> {
    const tuning = fc.record(
      {
        uid: fc.constantFrom('0', '1000'),
        gid: fc.constantFrom('0', '100'),
        umask: fc.constantFrom('022', '0077'),
        allow_other: fc.constantFrom('true', 'false'),
        stat_cache_expire: fc.constantFrom('1', '900'),
        parallel_count: fc.constantFrom('1', '5'),
        multipart_size: fc.constantFrom('5', '64'),
        readwrite_timeout: fc.constantFrom('5', '60'),
        ro: fc.constantFrom('true', 'false'),
        prefix: fc.constantFrom('fuzz', 'fuzz/deeper'),
        path_style: fc.constant('true'),
      },
      { requiredKeys: [] },
    );
    const payload = fc.constantFrom(`,use_cache=${fuzzPaths.sentinel}/cache`, ',allow_root', ',nonempty', '=x', ' -o use_cache=/x', '\nx');
    const mutation = fc.oneof(
      fc.tuple(fc.constantFrom('url', 'uid', 'umask', 'bucket', 'prefix', 'credentials', 'multipart_size'), payload).map(([key, tail]): [string, string, string] => [key, 'injection', `${key === 'url' ? s3.url : key === 'bucket' ? s3.bucket : '1'}${tail}`]),
      fc.tuple(fc.constantFrom('url', 'uid', 'bucket', 'prefix', 'credentials', 'use_cache', 'ak_secret'), hostileStrings(fuzzPaths)).map(([key, [tag, value]]): [string, string, string] => [key, tag, value]),
    );
    return fc.tuple(tuning, fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }) })).map(([chosen, mutations]) => {
      const opts: Record<string, unknown> = { type: 's3fs', bucket: s3.bucket, ...chosen };
      const tags = mutations.map(([key, tag, value]) => {
        opts[key] = value;
        return tag;
      });
      return { tags: tags.length === 0 ? ['valid'] : tags, opts };
    });
  }
});
