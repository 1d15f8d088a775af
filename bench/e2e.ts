import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { startDaemon } from '../test/support/daemon.js';
import { BUSYBOX } from '../test/support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../test/support/harness.js';
import { PrivateDockerd, unmountBelow } from '../test/support/private-dockerd.js';
import { median } from './process-stats.js';

/**
 * `npm run bench:e2e [-- --pairs 10]` (root, by hand: not in CI): `docker run --rm -v V:/d
 * busybox true` on a private dockerd, with a volplex type=local volume and with Docker's own
 * `local` driver, alternately, pair after pair. Prints the medians and their ratio.
 */
const { values } = parseArgs({ options: { pairs: { type: 'string', default: '10' } } });
const PAIRS = Number(values.pairs);
const PLUGIN = 'volplex-bench';

const root = makeTempDir('bench-e2e');
const engine = new PrivateDockerd(join(root, 'engine'));
const device = join(root, 'devices', 'data');
mkdirSync(device, { recursive: true });
await engine.start({ liveRestore: false });
const daemon = await startDaemon(testConfig(root, { socket: `/run/docker/plugins/${PLUGIN}.sock`, log: { level: 'warn' } }));
try {
  engine.importBusybox();
  engine.dockerOk(['volume', 'create', '-d', PLUGIN, '-o', 'type=local', '-o', `device=${device}`, 'plugin-volume']);
  engine.dockerOk(['volume', 'create', '-d', 'local', 'local-volume']);
  const timed = (volume: string): number => {
    const started = process.hrtime.bigint();
    engine.dockerOk(['run', '--rm', '--network', 'none', '-v', `${volume}:/d`, BUSYBOX, 'true']);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  timed('plugin-volume');
  timed('local-volume');
  const plugin: number[] = [];
  const local: number[] = [];
  for (let pair = 0; pair < PAIRS; pair += 1) {
    // Alternate which goes first, so neither always runs on a warmer engine.
    if (pair % 2 === 0) {
      plugin.push(timed('plugin-volume'));
      local.push(timed('local-volume'));
    } else {
      local.push(timed('local-volume'));
      plugin.push(timed('plugin-volume'));
    }
  }
  const ratio = median(plugin) / median(local);
  process.stdout.write(`docker run --rm -v V:/d busybox true, ${PAIRS} pairs: volplex type=local ${median(plugin).toFixed(0)} ms, Docker's local driver ${median(local).toFixed(0)} ms (medians); ratio ${ratio.toFixed(2)}×\n`);
} finally {
  await daemon.stop();
  await engine.stop();
  unmountBelow(root);
  removeTempDir(root);
}
