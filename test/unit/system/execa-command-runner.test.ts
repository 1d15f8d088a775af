import { readdirSync, readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { ExecaCommandRunner } from '../../../src/system/execa-command-runner.js';

// The real seam against real programs: the one place execa is used.
describe(ExecaCommandRunner.name, () => {
  const runner = new ExecaCommandRunner(2);

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
    const survivors = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
      } catch {
        return false;
      }
    });
    expect(survivors).toEqual([]);
  });

  it('does not wait for a daemon that keeps the output open', async () => {
    const started = Date.now();
    await runner.run('sh', ['-c', 'sleep 3 & echo started']);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
