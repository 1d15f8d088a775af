import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { explainFailure } from '../../../drivers/object-store-failure.js';
import type { VolplexConfig } from '../../../src/config/config.js';
import { VolplexError } from '../../../src/core/errors.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { ScriptedRunner } from '../../fakes/scripted-runner.js';
import { createHarness, makeTempDir, removeTempDir, type Harness } from '../../support/harness.js';

const SECRET = 'unit-SECRET-9f3a71';
const URL = 'http://127.0.0.1:4569';

describe('object store drivers (s3fs, ossfs)', () => {
  let harness: Harness<FakeMounter>;
  let runner: ScriptedRunner;
  let secrets: string;

  const make = (credentials: VolplexConfig['credentials'] = { lab: { accessKeyId: 'LABKEY', accessKeySecret: SECRET } }): Harness<FakeMounter> => {
    runner = new ScriptedRunner();
    secrets = makeTempDir('secrets');
    return createHarness({
      runner,
      config: {
        credentials,
        backends: {
          s3fs: { binary: 's3fs', url: URL, pathStyle: true, credentials: 'lab' },
          ossfs: { binary: '/usr/local/bin/ossfs', url: '', credentials: '' },
        },
      },
    });
  };

  const argvFor = (binary: string, source: string, target: string, options: string[]): string[] => {
    const run = join(harness.config.stateDir, 'run', basename(target));
    const fixed = [`passwd_file=${run}.passwd`, `url=${options.shift() ?? ''}`, `logfile=${run}.${binary === 's3fs' ? 's3fs' : 'ossfs'}.log`, 'dbglevel=err', 'connect_timeout=3', 'retries=2'];
    return [binary, ...[...fixed, ...options].flatMap((option) => ['-o', option]), source, target];
  };

  afterEach(() => {
    harness.close();
    removeTempDir(secrets);
  });

  describe('s3fs with a credentials profile', () => {
    it('runs exactly the argv, never the secret, with the key in a 0600 passwd file that goes with the mount', async () => {
      harness = make();
      await harness.service.create('bk', { type: 's3fs', bucket: 'backups' });
      const target = harness.service.get('bk').mountpoint;
      const passwd = join(harness.config.stateDir, 'run', `${basename(target)}.passwd`);
      runner.expect(argvFor('s3fs', 'backups', target, [URL, 'allow_other', 'use_path_request_style']), () => {
        expect(readFileSync(passwd, 'utf8')).toBe(`backups:LABKEY:${SECRET}\n`);
        expect(statSync(passwd).mode & 0o777).toBe(0o600);
        expect(statSync(dirname(passwd)).mode & 0o777).toBe(0o700);
        return { stdout: '', stderr: '' };
      });
      await expect(harness.service.mount('bk', 'A')).resolves.toBe(target);
      expect(runner.pending).toBe(0);
      expect(runner.calls[0]?.argv.join(' ')).not.toContain(SECRET);
      expect(runner.calls[0]?.options).toEqual({ secrets: [SECRET], providedBy: 'Debian package s3fs' });
      await harness.service.unmount('bk', 'A');
      expect(existsSync(passwd)).toBe(false);
    });

    it('sets the mount point\'s mode through mp_umask', async () => {
      harness = make();
      await harness.service.create('bk', { type: 's3fs', bucket: 'backups', mode: '750', uid: '1000', gid: '1000' });
      const target = harness.service.get('bk').mountpoint;
      runner.expect(argvFor('s3fs', 'backups', target, [URL, 'allow_other', 'gid=1000', 'mp_umask=0027', 'uid=1000', 'use_path_request_style']));
      await harness.service.mount('bk', 'A');
      expect(runner.pending).toBe(0);
    });

    it('reads the secret from a file or the environment at Mount time', async () => {
      harness = make();
      const file = join(secrets, 'key');
      writeFileSync(file, `${SECRET}\n`, { mode: 0o600 });
      harness.close();
      harness = make({ fromFile: { accessKeyId: 'FILEKEY', accessKeySecretFile: file } });
      await harness.service.create('bk', { type: 's3fs', bucket: 'backups', credentials: 'fromFile', path_style: 'false', ro: 'true', uid: '1000', umask: '022', allow_other: 'false' });
      const target = harness.service.get('bk').mountpoint;
      runner.expect(argvFor('s3fs', 'backups', target, [URL, 'ro', 'uid=1000', 'umask=022']), () => {
        expect(readFileSync(join(harness.config.stateDir, 'run', `${basename(target)}.passwd`), 'utf8')).toBe(`backups:FILEKEY:${SECRET}\n`);
        return { stdout: '', stderr: '' };
      });
      await harness.service.mount('bk', 'A');
      expect(runner.pending).toBe(0);
    });
  });

  describe('ossfs', () => {
    it('mounts bucket:/prefix with the configured binary', async () => {
      harness = make();
      await harness.service.create('media', { type: 'ossfs', bucket: 'media', prefix: '/uploads/', url: 'https://oss-cn-hangzhou-internal.aliyuncs.com', credentials: 'lab' });
      const target = harness.service.get('media').mountpoint;
      runner.expect(argvFor('/usr/local/bin/ossfs', 'media:/uploads', target, ['https://oss-cn-hangzhou-internal.aliyuncs.com', 'allow_other']));
      await harness.service.mount('media', 'A');
      expect(runner.pending).toBe(0);
      expect(runner.calls[0]?.options.providedBy).toContain("not packaged by Debian: get Aliyun's ossfs release package for your distribution (https://github.com/aliyun/ossfs/releases)");
    });

    // ossfs has no enable_noobj_cache: it caches missing objects unless given disable_noobj_cache.
    it.each<{ desc: string; value: string | undefined; s3fs: string[]; ossfs: string[] }>([
      { desc: 'left to the client', value: undefined, s3fs: [], ossfs: [] },
      { desc: 'on', value: 'true', s3fs: ['enable_noobj_cache'], ossfs: [] },
      { desc: 'off', value: 'false', s3fs: [], ossfs: ['disable_noobj_cache'] },
    ])('spells enable_noobj_cache $desc in each client\'s own words', async ({ value, s3fs, ossfs }) => {
      harness = make();
      const cache: Record<string, string> = value === undefined ? {} : { enable_noobj_cache: value };
      await harness.service.create('s3', { type: 's3fs', bucket: 'backups', ...cache });
      await harness.service.create('oss', { type: 'ossfs', bucket: 'media', url: URL, credentials: 'lab', ...cache });
      runner.expect(argvFor('s3fs', 'backups', harness.service.get('s3').mountpoint, [URL, 'allow_other', ...s3fs, 'use_path_request_style']));
      runner.expect(argvFor('/usr/local/bin/ossfs', 'media', harness.service.get('oss').mountpoint, [URL, 'allow_other', ...ossfs]));
      await harness.service.mount('s3', 'A');
      await harness.service.mount('oss', 'A');
      expect(runner.pending).toBe(0);
    });

    it('explains a refused key from the log ossfs leaves when it exits, without its command line or output', async () => {
      harness = make();
      await harness.service.create('media', { type: 'ossfs', bucket: 'media', url: URL, credentials: 'lab' });
      const target = harness.service.get('media').mountpoint;
      const log = join(harness.config.stateDir, 'run', `${basename(target)}.ossfs.log`);
      runner.expect(argvFor('/usr/local/bin/ossfs', 'media', target, [URL, 'allow_other']), () => {
        writeFileSync(log, `2026 [ERR] curl.cpp:CheckBucket(3495): Check bucket failed\nossfs: Failed to check bucket and directory for mount point : Invalid Credentials(host=${URL}, message=The OSS Access Key Id you provided does not exist in our records.)\n`);
        throw new VolplexError('System', '`/usr/local/bin/ossfs -o passwd_file=… media /mnt` exited with status 1: [NOTICE] OSS signature V1 service will not be available');
      });
      const failure = await harness.service.mount('media', 'A').then(() => new Error('mounted'), (error: unknown) => error as VolplexError);
      expect(failure.message).toBe(`mount media: access denied to bucket media at ${URL} (the server said "The OSS Access Key Id you provided does not exist in our records."): check credential profile lab (its accessKeyId and secret)`);
      expect(VolplexError.is(failure, 'InvalidParameter')).toBe(true);
      expect(harness.store.usage('media').references).toBe(0);
      expect(existsSync(log)).toBe(false);
    });

    it('accepts the legacy ak_id/ak_secret options and never shows either in Status', async () => {
      harness = make();
      await harness.service.create('legacy', { type: 'ossfs', bucket: 'media', url: URL, ak_id: 'LEGACYID', ak_secret: SECRET });
      const view = harness.service.get('legacy');
      expect(JSON.stringify(view)).not.toContain(SECRET);
      expect(view.status).toEqual(expect.objectContaining({ credentials: 'inline key (-o ak_id, -o ak_secret)', bucket: 'media' }));
      expect(JSON.stringify(view)).not.toContain('LEGACYID');
    });
  });

  describe('refusals', () => {
    it.each<{ desc: string; opts: Record<string, string>; expectedErr: string }>([
      { desc: '[Error] unknown profile', opts: { type: 's3fs', bucket: 'backups', credentials: 'prod' }, expectedErr: 'credentials profile "prod" is not defined in the configuration; defined: lab' },
      { desc: '[Error] no url', opts: { type: 'ossfs', bucket: 'media', credentials: 'lab' }, expectedErr: 'option "url" is required for type ossfs: no default is configured in backends.ossfs.url' },
      { desc: '[Error] no credentials', opts: { type: 'ossfs', bucket: 'media', url: URL }, expectedErr: 'no credentials for type ossfs: give -o credentials=<profile> (defined: lab) or set backends.ossfs.credentials' },
      { desc: '[Error] bad bucket', opts: { type: 's3fs', bucket: 'Bad_Bucket' }, expectedErr: 'option "bucket" for type s3fs must not contain "B" (character 1); valid: a bucket name' },
      { desc: '[Error] a bucket that would be an argv option', opts: { type: 's3fs', bucket: '-oallow-root' }, expectedErr: 'option "bucket" for type s3fs must be a bucket name' },
      { desc: '[Error] the use_cache injection through url (s3fs)', opts: { type: 's3fs', bucket: 'media', url: 'http://h,use_cache=/any/dir' }, expectedErr: 'option "url" for type s3fs must not contain "," (character 9): the value goes into a comma-separated mount option list; valid: an http:// or https:// URL' },
      { desc: '[Error] the use_cache injection through url (ossfs)', opts: { type: 'ossfs', bucket: 'media', url: 'https://oss.example.com,use_cache=/any/dir', credentials: 'lab' }, expectedErr: 'option "url" for type ossfs must not contain "," (character 24): the value goes into a comma-separated mount option list' },
      { desc: '[Error] an injection through a tuning number', opts: { type: 'ossfs', bucket: 'media', url: URL, credentials: 'lab', uid: '0,use_cache=/any/dir' }, expectedErr: 'option "uid" for type ossfs must not contain "," (character 2)' },
      { desc: '[Error] a second passwd line through ak_secret', opts: { type: 'ossfs', bucket: 'media', url: URL, ak_id: 'ID', ak_secret: `${SECRET}\nother:ID:KEY` }, expectedErr: 'option "ak_secret" for type ossfs is not valid (the value is sensitive and not shown); valid: printable ASCII without spaces' },
      { desc: '[Error] a ":" in ak_id, which would split the passwd line', opts: { type: 'ossfs', bucket: 'media', url: URL, ak_id: 'ID:x', ak_secret: SECRET }, expectedErr: 'option "ak_id" for type ossfs is not valid (the value is sensitive and not shown)' },
      { desc: '[Error] half an inline key', opts: { type: 'ossfs', bucket: 'media', url: URL, ak_secret: SECRET }, expectedErr: 'options "ak_id" and "ak_secret" go together' },
      { desc: '[Error] inline keys on s3fs', opts: { type: 's3fs', bucket: 'media', ak_secret: SECRET }, expectedErr: 'unknown option "ak_secret" for type s3fs' },
      { desc: '[Error] a typo', opts: { type: 's3fs', bucket: 'media', bukcet: 'x' }, expectedErr: 'unknown option "bukcet" for type s3fs; valid: bucket, prefix, url, credentials, ro, uid, gid, umask, allow_other' },
    ])('$desc, never echoing a secret', async ({ opts, expectedErr }) => {
      harness = make();
      const failure = await harness.service.create('x1', opts).catch((error: unknown) => error as Error);
      expect(failure).toBeInstanceOf(VolplexError);
      expect((failure as Error).message).toContain(expectedErr);
      expect((failure as Error).message).not.toContain(SECRET);
    });

    it('refuses a secret file whose secret would add a line to the passwd file, without showing it', async () => {
      harness = make();
      const file = join(secrets, 'two-lines');
      writeFileSync(file, `${SECRET}\nother-bucket:ID:KEY\n`, { mode: 0o600 });
      harness.close();
      harness = make({ multi: { accessKeyId: 'ID', accessKeySecretFile: file } });
      const failure = await harness.service.create('x1', { type: 's3fs', bucket: 'backups', credentials: 'multi' }).then(() => new Error('created'), (error: unknown) => error as Error);
      expect(failure.message).toBe(`create x1: credentials profile "multi": the secret in file ${file} is not valid (not shown); valid: printable ASCII without spaces`);
      expect(failure.message).not.toContain(SECRET);
    });

    it('names an unreadable secret file without its contents', async () => {
      harness = make({ gone: { accessKeyId: 'ID', accessKeySecretFile: '/nonexistent/volplex-secret' } });
      await expect(harness.service.create('x1', { type: 's3fs', bucket: 'backups', credentials: 'gone' })).rejects.toThrow(
        'credentials profile "gone": cannot read accessKeySecretFile /nonexistent/volplex-secret: ENOENT',
      );
    });

    it('leaves no passwd file, count or mount when the client fails', async () => {
      harness = make();
      await harness.service.create('bk', { type: 's3fs', bucket: 'backups' });
      const target = harness.service.get('bk').mountpoint;
      runner.expect(argvFor('s3fs', 'backups', target, [URL, 'allow_other', 'use_path_request_style']), new VolplexError('System', '`s3fs ...` exited with status 1: s3fs: bad'));
      await expect(harness.service.mount('bk', 'A')).rejects.toThrow('mount bk: s3fs mount of bucket backups failed: s3fs exited with status 1: s3fs: bad');
      expect(existsSync(join(harness.config.stateDir, 'run', `${basename(target)}.passwd`))).toBe(false);
      expect(harness.store.usage('bk').references).toBe(0);
    });
  });
});

describe(explainFailure.name, () => {
  const facts = { type: 's3fs', bucket: 'bk', url: URL, keyAdvice: 'check credential profile lab (its accessKeyId and secret)' };
  const ossfs = { ...facts, type: 'ossfs' };
  const io = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });

  it.each([
    ['refused keys', '[CRT] s3fs.cpp:s3fs_check_service(3590): invalid credentials(host=http://x) - result of checking service.', `access denied to bucket bk at ${URL}: check credential profile lab (its accessKeyId and secret)`],
    ['a missing bucket', '[CRT] s3fs.cpp:s3fs_check_service(3593): bucket or key not found(host=http://x) - result of checking service.', `bucket bk (or its prefix) was not found at ${URL}`],
    ['an endpoint down', '[CRT] s3fs.cpp:s3fs_check_service(3597): unable to connect(host=http://x) - result of checking service.', `endpoint ${URL} is not reachable`],
    ['anything else', '2026 [ERR] curl.cpp:f(1): odd', 's3fs mount of bucket bk failed: curl.cpp:f(1): odd'],
    ['an empty log', '', 's3fs mount of bucket bk failed: EIO: i/o error'],
  ])('explains %s', (_desc, log, expected) => {
    expect(explainFailure(log, io, facts).message).toBe(expected);
  });

  // ossfs 1.91 checks before it daemonizes and exits 1 with one of these lines in its log.
  it.each([
    ['a wrong key ID', 'ossfs: Failed to check bucket and directory for mount point : Invalid Credentials(host=http://x, message=The OSS Access Key Id you provided does not exist in our records.)', 'InvalidParameter', `access denied to bucket bk at ${URL} (the server said "The OSS Access Key Id you provided does not exist in our records."): check credential profile lab (its accessKeyId and secret)`],
    ['a wrong secret', 'ossfs: Failed to check bucket and directory for mount point : Invalid Credentials(host=http://x, message=The request signature we calculated does not match the signature you provided. Check your key and signing method.)', 'InvalidParameter', `access denied to bucket bk at ${URL} (the server said "The request signature we calculated does not match the signature you provided. Check your key and signing method."): check credential profile lab (its accessKeyId and secret)`],
    ['a missing bucket', 'ossfs: Failed to check bucket : Bucket not found(host=http://x, message=The specified bucket does not exist)', 'InvalidParameter', `bucket bk was not found at ${URL}`],
    ['an endpoint down', '2026 [ERR] curl.cpp:RequestPerform(2592): ### giving up\nossfs: Failed to check bucket and directory for mount point : Unable to connect(host=http://x, message=)', 'Unavailable', `endpoint ${URL} is not reachable`],
    ['a server error', 'ossfs: Failed to check bucket and directory for mount point : Unable to connect(host=http://x, message=We encountered an internal error.)', 'Unavailable', `endpoint ${URL} failed the check of bucket bk (the server said "We encountered an internal error.")`],
    ['a bad request', 'ossfs: Failed to check bucket and directory for mount point : Bad Request(host=http://x, message=Unsupported Authorization Type)', 'InvalidParameter', `${URL} rejected the check of bucket bk as a bad request (the server said "Unsupported Authorization Type"): is it this client's kind of endpoint?`],
    ['any other exit', '2026 [ERR] curl.cpp:f(1): odd\nossfs: bucket name and path("x") is wrong, it must be "bucket[:/path]".', 'System', 'ossfs mount of bucket bk failed: bucket name and path("x") is wrong, it must be "bucket[:/path]".'],
  ])('explains ossfs\'s exit on %s', (_desc, log, kind, expected) => {
    const explained = explainFailure(log, new Error('`ossfs …` exited with status 1: [NOTICE] …'), ossfs);
    expect(explained.message).toBe(expected);
    expect(explained.kind).toBe(kind);
  });
});
