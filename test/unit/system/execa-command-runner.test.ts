import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { ExecaCommandRunner } from '../../../src/system/execa-command-runner.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

// The real seam against real programs: the one place execa is used.
describe(ExecaCommandRunner.name, () => {
  const root = makeTempDir('runner');
  const outputDir = join(root, 'state', 'tmp');
  const runner = new ExecaCommandRunner(2, outputDir);

  afterAll(() => { removeTempDir(root); });

  it('keeps the output of a command that starts a daemon in its own 0700 directory while it runs, and nothing after', async () => {
    const { stdout } = await runner.run('ls', ['-A', outputDir], { startsDaemon: true });
    expect(stdout.split('\n').filter((name) => name !== '').map((name) => name.replace(/^cmd-[0-9a-f-]{36}/, 'cmd-UUID')).sort()).toEqual(['cmd-UUID.err', 'cmd-UUID.out']);
    expect(statSync(outputDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(outputDir)).toEqual([]);
  });

  it('takes the output of any other command through pipes: no file at all', async () => {
    await expect(runner.run('ls', ['-A', outputDir])).resolves.toEqual({ stdout: '', stderr: '' });
  });

  it('runs a binary by the absolute path it found in PATH', async () => {
    const { stdout } = await runner.run('sh', ['-c', 'tr "\\0" " " < /proc/$$/cmdline']);
    expect(stdout).toMatch(/^\/\S*\/sh -c /);
  });

  it('empties its directory when it is made: files a killed daemon left go at start-up', () => {
    const dir = join(root, 'left-behind');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'cmd-1.out'), 'secret output');
    new ExecaCommandRunner(2, dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('returns the output of a successful command, run without a shell', async () => {
    await expect(runner.run('echo', ['a;b', '$HOME'])).resolves.toEqual({ stdout: 'a;b $HOME\n', stderr: '' });
  });

  it('names the command, its status and stderr, with secrets masked', async () => {
    const failure = runner.run('sh', ['-c', 'echo "bad key TOPSECRET" >&2; exit 3', 'TOPSECRET'], { secrets: ['TOPSECRET'] });
    await expect(failure).rejects.toThrow('`sh -c echo "bad key <masked>" >&2; exit 3 <masked>` exited with status 3: bad key <masked>');
    await expect(failure).rejects.not.toThrow('TOPSECRET');
  });

  it('says which package provides a missing binary', async () => {
    const failure = runner.run('mount.volplex-missing', [], { providedBy: 'Debian package glusterfs-client' });
    await expect(failure).rejects.toThrow('mount.volplex-missing is not installed (Debian package glusterfs-client)');
    expect(await failure.catch((error: unknown) => VolplexError.is(error, 'Unavailable'))).toBe(true);
  });

  it('kills the whole process group when the time runs out', async () => {
    // Unusual durations find the two sleeps in /proc afterwards.
    const marker = String(7000 + (process.pid % 1000));
    const started = Date.now();
    await expect(runner.run('sh', ['-c', `sleep ${marker} & sleep ${marker}; true`])).rejects.toThrow('did not finish within 2 s and was killed');
    expect(Date.now() - started).toBeLessThan(10_000);
    const survivors = (): string[] => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
      } catch {
        return false;
      }
    });
    // A process SIGKILLed on a busy machine shows in /proc for a moment while the kernel tears it down.
    for (let waited = 0; survivors().length > 0 && waited < 3000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(survivors()).toEqual([]);
  });

  it('does not wait for a daemon that keeps the output open', async () => {
    const started = Date.now();
    await runner.run('sh', ['-c', 'sleep 3 & echo started'], { startsDaemon: true });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
