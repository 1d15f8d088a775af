import { spawnSync } from 'node:child_process';

import { afterEach, describe, expect, it } from '@jest/globals';

import type { VolplexConfig } from '../../src/config/config.js';
import type { LinuxMounter } from '../../src/system/linux-mounter.js';
import { createRealHarness, makeTempDir, removeTempDir, type Harness } from '../support/harness.js';
import { RecordingClient } from '../support/recording-client.js';
import { ossService, realOssfs, s3Service } from '../support/services.js';

const s3 = s3Service();
const oss = ossService();
const ossfs = realOssfs();

// libfuse 2's own mount options, which both helps point to ("ro, rw, …", "e.g. allow_other, see
// the FUSE's README") rather than list: the real mounts below prove the client takes them.
const LIBFUSE_OPTIONS = ['allow_other', 'uid', 'gid', 'umask', 'ro'];

/** The option names a client's --help documents, read from it once: `   name`, `   name (default…)`. */
function documentedOptions(binary: string): Set<string> {
  const help = spawnSync(binary, ['--help'], { encoding: 'utf8' }).stdout;
  return new Set([...help.matchAll(/^ {3}([a-z][a-z0-9_]*)(?=[\s(=]|$)/gm)].map((match) => match[1] ?? ''));
}

/** Every `-o` key in the recorded calls. */
function optionKeys(calls: readonly (readonly string[])[]): string[] {
  const keys = calls.flatMap((argv) => argv.flatMap((arg, index) => (argv[index - 1] === '-o' ? arg.split(',') : [])).map((option) => option.split('=')[0] ?? ''));
  return [...new Set(keys)].sort();
}

// Every option a volume can carry, set; then the flags off, on a second mount.
const ALL_OPTIONS = { uid: '0', gid: '0', umask: '022', allow_other: 'true', stat_cache_expire: '60', max_stat_cache_size: '1000', enable_noobj_cache: 'true', parallel_count: '2', multipart_size: '10', readwrite_timeout: '30', ro: 'true' };
const FLAGS_OFF = { allow_other: 'false', enable_noobj_cache: 'false' };

describe('the options volplex gives a FUSE client are the ones that client version really takes', () => {
  let harness: Harness<LinuxMounter>;
  let clientDir: string;

  afterEach(() => {
    harness.close();
    removeTempDir(clientDir);
  });

  /** Real mounts with every option, through a wrapper that records argv; then each -o key against --help. */
  const checkAgainstHelp = async (type: 's3fs' | 'ossfs', binary: string, backend: (binary: string) => Partial<VolplexConfig['backends']>): Promise<void> => {
    clientDir = makeTempDir('client');
    const client = new RecordingClient(clientDir, binary);
    harness = createRealHarness({
      config: {
        credentials: { lab: { accessKeyId: s3.keyId, accessKeySecret: s3.keySecret }, oss: { accessKeyId: oss.keyId, accessKeySecret: oss.keySecret } },
        backends: backend(client.path),
      },
    });
    await harness.service.create('all', { type, bucket: s3.bucket, ...ALL_OPTIONS });
    await harness.service.create('off', { type, bucket: s3.bucket, ...FLAGS_OFF });
    await harness.service.mount('all', 'A');
    await harness.service.mount('off', 'A');
    await harness.service.unmount('all', 'A');
    await harness.service.unmount('off', 'A');

    const documented = documentedOptions(binary);
    expect(documented.has('passwd_file')).toBe(true);
    expect(documented.size).toBeGreaterThan(50);
    const given = optionKeys(client.calls());
    expect(given).toEqual(expect.arrayContaining(['passwd_file', 'url', 'uid', 'stat_cache_expire', 'readwrite_timeout']));
    expect(given.filter((key) => !documented.has(key) && !LIBFUSE_OPTIONS.includes(key))).toEqual([]);
  };

  it('s3fs: every -o it is given is in its --help, and real mounts with all of them succeed', async () => {
    await checkAgainstHelp('s3fs', 's3fs', (binary) => ({ s3fs: { binary, url: s3.url, pathStyle: true, credentials: 'lab' } }));
  });

  (ossfs.binary === undefined ? it.skip : it)(`ossfs: every -o it is given is in its --help (ossfs has disable_noobj_cache, not enable_noobj_cache), and real mounts with all of them succeed${ossfs.missing === undefined ? '' : ` (skipped: ${ossfs.missing})`}`, async () => {
    const binary = ossfs.binary ?? 'ossfs';
    expect(documentedOptions(binary).has('enable_noobj_cache')).toBe(false);
    await checkAgainstHelp('ossfs', binary, (recording) => ({ ossfs: { binary: recording, url: oss.url, credentials: 'oss' } }));
  });
});
