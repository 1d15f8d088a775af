import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import type { VolplexConfig } from '../../src/config/config.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { BUSYBOX, docker, dockerOk, E2E_PLUGIN, E2E_SOCKET, runWithVolume } from '../support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { s3Service } from '../support/services.js';

const s3 = s3Service();
const OSSFS_STAND_IN = fileURLToPath(new URL('../../../test/fakes/ossfs-via-s3fs.sh', import.meta.url));
// s3rver checks the key ID, not the secret: a recognizable secret mounts, and can be hunted for.
const SECRET = `VOLPLEX-CANARY-${randomBytes(12).toString('hex')}`;

interface Inspected {
  readonly Driver: string;
  readonly Options: Record<string, string> | null;
  readonly Status?: Record<string, unknown>;
}

/** The seed's form `-o ak_id= -o ak_secret=` on type=ossfs, as dockerd sees it, under each security.inlineSecrets policy. */
describe('secrets given with -o, through the real Docker Engine', () => {
  let root: string;
  let file: string;
  let config: VolplexConfig;
  let daemon: RunningDaemon;
  const seedForm = ['-o', 'type=ossfs', '-o', `bucket=${s3.bucket}`, '-o', `ak_id=${s3.keyId}`, '-o', `ak_secret=${SECRET}`];
  const inspect = (name: string): Inspected => (JSON.parse(dockerOk(['volume', 'inspect', name])) as Inspected[])[0] as Inspected;

  beforeAll(async () => {
    root = makeTempDir('e2e-inline');
    file = `${root}/volplex.yaml`;
    config = testConfig(root, { socket: E2E_SOCKET, log: { level: 'info' }, backends: { ossfs: { binary: OSSFS_STAND_IN, url: s3.url, credentials: '' } } });
    daemon = await startDaemon(config, file);
  });

  afterAll(async () => {
    docker(['volume', 'rm', '-f', 'seed-warned', 'seed-trap', 'seed-refused']);
    await daemon.stop();
    removeTempDir(root);
  });

  it('warn (the default): accepts the seed form, which mounts; Status and the log say dockerd keeps the secret in plain text', async () => {
    dockerOk(['volume', 'create', '-d', E2E_PLUGIN, ...seedForm, 'seed-warned']);
    runWithVolume('seed-warned', 'echo seeded > /data/seed-object');
    expect(runWithVolume('seed-warned', 'cat /data/seed-object')).toBe('seeded');
    const volume = inspect('seed-warned');
    // What volplex cannot hide: dockerd's own record of the options.
    expect(volume.Options?.ak_secret).toBe(SECRET);
    expect(JSON.stringify(volume.Status)).not.toContain(SECRET);
    expect(volume.Status?.warning).toContain('dockerd stores ak_id, ak_secret in plain text: docker volume inspect shows them to anyone with docker access');
    expect(volume.Status?.warning).toContain('-o credentials=NAME');
    // spawnSync blocked the event loop: let the daemon's output arrive.
    for (let waited = 0; !daemon.output().includes('plain text') && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(daemon.output()).toContain('dockerd stores ak_id, ak_secret in plain text');
    expect(daemon.output()).not.toContain(SECRET);
  });

  it('refuse (after a reload): rejects the seed form naming the profile way; --mount volume-driver= fails instead of making a local volume', async () => {
    const before = daemon.output().split('configuration reloaded').length;
    writeFileSync(file, stringify({ ...config, security: { inlineSecrets: 'refuse' } }));
    daemon.process.kill('SIGHUP');
    for (let waited = 0; daemon.output().split('configuration reloaded').length === before && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const refused = docker(['volume', 'create', '-d', E2E_PLUGIN, ...seedForm, 'seed-refused']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('options ak_id, ak_secret are refused (security.inlineSecrets: refuse): dockerd keeps every -o value in plain text');
    expect(refused.stderr).toContain('define a credentials profile in the volplex configuration');
    expect(docker(['volume', 'inspect', 'seed-refused']).status).not.toBe(0);
    // The trap the README warns of: -v NAME after a failed create quietly makes a local volume.
    dockerOk(['run', '--rm', '--network', 'none', '-v', 'seed-refused:/data', BUSYBOX, 'sh', '-c', 'true']);
    expect(inspect('seed-refused').Driver).toBe('local');
    const options = seedForm.filter((_, index) => index % 2 === 1).map((option) => `volume-opt=${option}`).join(',');
    const run = docker(['run', '--rm', '--network', 'none', '--mount', `type=volume,source=seed-trap,target=/data,volume-driver=${E2E_PLUGIN},${options}`, BUSYBOX, 'sh', '-c', 'true']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('are refused (security.inlineSecrets: refuse)');
    expect(docker(['volume', 'inspect', 'seed-trap']).status).not.toBe(0);
    // The volume made under warn stays usable, and still says why it is risky.
    expect(runWithVolume('seed-warned', 'cat /data/seed-object')).toBe('seeded');
    expect(inspect('seed-warned').Status?.warning).toContain('plain text');
    expect(daemon.output()).not.toContain(SECRET);
  });
});
