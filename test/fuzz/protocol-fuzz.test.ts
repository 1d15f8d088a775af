import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { createLogger } from '../../src/log/logger.js';
import { createApp } from '../../src/server/app.js';
import { listenOnSocket } from '../../src/server/listen.js';
import { commandOutputDir, ExecaCommandRunner } from '../../src/system/execa-command-runner.js';
import { LinuxMounter } from '../../src/system/linux-mounter.js';
import { RecordingRunner } from '../fakes/recording-runner.js';
import { createHarness, makeTempDir, testConfig, type ConfigOverrides, type Harness } from '../support/harness.js';
import { commandProblems } from './command-check.js';
import { checkBounded, exchange, FUZZ_SEED, FuzzModel, FuzzTally, invariantProblems, tearDown } from './fuzz-session.js';
import { fuzzRun, type FuzzPaths } from './requests.js';

const NUM_RUNS = 600;
const TIME_LIMIT_MS = 40_000;
// The time bound, the bound on shrinking a failure, and room for set-up and tear-down.
const TEST_TIMEOUT_MS = TIME_LIMIT_MS + 30_000 + 40_000;

// Every backend through the real service, drivers, store and LinuxMounter on a real socket;
// commands are recorded at the runner seam. Bind mounts are real, the others answered as done.
describe('property-based fuzzing of the plugin protocol on a real socket', () => {
  let root = '';
  let paths: FuzzPaths;
  let harness: Harness<LinuxMounter>;
  let runner: RecordingRunner;
  let server: Server;
  const tally = new FuzzTally();

  beforeAll(async () => {
    root = makeTempDir('fuzz');
    paths = { devices: join(root, 'devices'), sentinel: join(root, 'sentinel'), escapeLink: join(root, 'devices', 'escape') };
    mkdirSync(join(paths.devices, 'app'), { recursive: true });
    mkdirSync(paths.sentinel);
    symlinkSync(paths.sentinel, paths.escapeLink);
    const overrides: ConfigOverrides = {
      credentials: { lab: { accessKeyId: 'FUZZID', accessKeySecret: 'fuzz-secret-3c9d1e' } },
      backends: {
        glusterfs: { servers: ['127.0.0.1'], mountOptions: ['log-level=WARNING'] },
        s3fs: { binary: 's3fs', url: 'http://127.0.0.1:1', pathStyle: true, credentials: 'lab' },
        ossfs: { binary: 'ossfs', url: 'http://127.0.0.1:1', credentials: '' },
        nfs: { server: '127.0.0.1', version: '4.1', mountOptions: ['hard'] },
      },
    };
    runner = new RecordingRunner(new ExecaCommandRunner(10, commandOutputDir(testConfig(root, overrides).stateDir)));
    harness = createHarness({ root, mounter: new LinuxMounter(runner), runner, config: overrides });
    server = await listenOnSocket(createApp(harness.service, createLogger('silent')), harness.config.socket);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    harness.close();
  });

  it(`keeps every rule for up to ${NUM_RUNS} runs of random requests (seed ${FUZZ_SEED})`, async () => {
    const { socket } = harness.config;
    const { runs, ms } = await checkBounded(
      fuzzRun(paths),
      async (requests) => {
        const model = new FuzzModel();
        const firstCommand = runner.calls.length;
        const problems: string[] = [];
        for (const request of requests) {
          problems.push(...(await exchange(socket, request, model, tally)));
        }
        problems.push(...(await invariantProblems(socket, model, paths.sentinel)));
        problems.push(...(await tearDown(socket, model, root)));
        problems.push(...runner.calls.slice(firstCommand).flatMap((argv) => commandProblems(argv, harness.config)));
        const unexpected = readdirSync(root).filter((name) => !['state', 'devices', 'sentinel', 'volplex.sock'].includes(name));
        if (unexpected.length > 0) {
          problems.push(`created in the test root: ${JSON.stringify(unexpected)}`);
        }
        expect(problems).toEqual([]);
      },
      { numRuns: NUM_RUNS, timeLimitMs: TIME_LIMIT_MS },
    );
    process.stdout.write(`protocol fuzz: seed ${FUZZ_SEED}, ${runs} runs, ${tally.requests} requests, ${runner.calls.length} commands checked, ${ms} ms; ${tally.toString()}\n`);
    expect(runs).toBeGreaterThan(50);
  }, TEST_TIMEOUT_MS);
});
