import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { commandOutputDir } from '../../src/system/execa-command-runner.js';
import { startDaemon, type RunningDaemon } from '../support/daemon.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';
import { processesWhere } from '../support/processes.js';
import { filesContaining } from '../support/secret-scan.js';

const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
  for (const deadline = Date.now() + 15_000; !condition(); ) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('nothing left behind by the real daemon', () => {
  let root = '';
  let daemon: RunningDaemon | undefined;

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    removeTempDir(root);
  });

  it('empties its command output directory at start-up after a kill -9 in the middle of a command', async () => {
    root = makeTempDir('leftovers');
    // A FUSE client that never returns, so the daemon is killed while its output files are open.
    const client = join(root, 'hanging-s3fs.sh');
    writeFileSync(client, '#!/bin/sh\necho "mounting" >&2\nwhile :; do sleep 1; done\n');
    chmodSync(client, 0o755);
    const config = testConfig(root, {
      commandTimeout: 30,
      log: { level: 'info' },
      credentials: { lab: { accessKeyId: 'ID', accessKeySecret: 'not-a-real-secret' } },
      backends: { s3fs: { binary: client, url: 'http://127.0.0.1:1', pathStyle: true, credentials: 'lab' } },
    });
    const outputDir = commandOutputDir(config.stateDir);
    daemon = await startDaemon(config);
    expect((await callPlugin(config.socket, '/VolumeDriver.Create', goJson({ Name: 'hangs', Opts: { type: 's3fs', bucket: 'bucket1' } }))).body.Err).toBe('');
    const mount = callPlugin(config.socket, '/VolumeDriver.Mount', goJson({ Name: 'hangs', ID: 'A' })).catch(() => undefined);

    await waitFor(() => readdirSync(outputDir).length === 2, 'the command output files');
    // The helper opens the files just before it spawns the client: kill nothing before it runs, or it outlives the test.
    await waitFor(() => processesWhere((argv) => argv.includes(client)).length > 0, 'the hanging client running');
    expect(readdirSync(outputDir).every((name) => /^cmd-[0-9a-f-]{36}\.(out|err)$/.test(name))).toBe(true);
    await daemon.kill();
    await mount;
    daemon = undefined;
    for (const pid of processesWhere((argv) => argv.includes(client))) {
      process.kill(pid, 'SIGKILL');
    }
    expect(readdirSync(outputDir)).toHaveLength(2);

    daemon = await startDaemon(config);
    expect(readdirSync(outputDir)).toEqual([]);
  });

  it('keeps no trace of a removed volume\'s inline secret in the state dir, the database files included', async () => {
    root = makeTempDir('leftovers');
    const canary = `CANARY-${process.pid}-b7e2a9d4c1`;
    const config = testConfig(root, { log: { level: 'info' }, backends: { ossfs: { binary: 'ossfs', url: 'http://127.0.0.1:1', credentials: '' } } });
    daemon = await startDaemon(config);
    const create = await callPlugin(config.socket, '/VolumeDriver.Create', goJson({ Name: 'legacy', Opts: { type: 'ossfs', bucket: 'media', ak_id: 'LEGACYID', ak_secret: canary } }));
    expect(create.body.Err).toBe('');
    await callPlugin(config.socket, '/VolumeDriver.Create', goJson({ Name: 'other', Opts: {} }));
    expect(filesContaining(canary, [config.stateDir])).not.toEqual([]);

    expect((await callPlugin(config.socket, '/VolumeDriver.Remove', goJson({ Name: 'legacy' }))).body.Err).toBe('');
    expect(filesContaining(canary, [config.stateDir])).toEqual([]);
    const running = daemon;
    await running.stop();
    daemon = undefined;
    expect(filesContaining(canary, [root])).toEqual([]);
    expect(running.output()).not.toContain(canary);
  });
});
