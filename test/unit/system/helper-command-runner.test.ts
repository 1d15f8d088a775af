import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { HelperCommandRunner } from '../../../src/system/helper-command-runner.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Its parent's PID and its resident memory (kB), from /proc. */
function processFacts(pid: number): { ppid: number; rssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { ppid: field('PPid'), rssKb: field('VmRSS') };
}

// The daemon's runner: every command goes through its helper process, a child of ours.
describe(HelperCommandRunner.name, () => {
  const root = makeTempDir('helper-runner');
  const runner = new HelperCommandRunner(2, join(root, 'tmp'));

  afterAll(async () => {
    const pid = await runner.pid();
    if (pid !== undefined) {
      process.kill(pid, 'SIGKILL');
    }
    removeTempDir(root);
  });

  it('runs commands in one small child process of the daemon, not in the daemon', async () => {
    const { stdout } = await runner.run('sh', ['-c', 'echo $PPID']);
    const helper = await runner.pid();
    expect(helper).toBeDefined();
    expect(Number(stdout.trim())).toBe(helper);
    expect(processFacts(helper ?? 0).ppid).toBe(process.pid);
    await runner.run('true', []);
    expect(await runner.pid()).toBe(helper);
  });

  it('answers with the command\'s output, and fails with the kind and the masked message of the runner it drives', async () => {
    await expect(runner.run('echo', ['a;b'])).resolves.toEqual({ stdout: 'a;b\n', stderr: '' });
    const failure = runner.run('sh', ['-c', 'echo "bad TOPSECRET" >&2; exit 3'], { secrets: ['TOPSECRET'] });
    await expect(failure).rejects.toThrow('exited with status 3: bad <masked>');
    expect(await failure.catch((error: unknown) => VolplexError.is(error, 'System'))).toBe(true);
    const missing = runner.run('volplex-no-such-binary', [], { providedBy: 'nothing' });
    await expect(missing).rejects.toThrow('volplex-no-such-binary is not installed (nothing)');
    expect(await missing.catch((error: unknown) => VolplexError.is(error, 'Unavailable'))).toBe(true);
  });

  it('answers a check that hits its deadline at the deadline, and says when its child is gone', async () => {
    const started = Date.now();
    const running = runner.check('sleep', ['30'], 300);
    expect(await running.outcome).toEqual({ status: 'deadline' });
    expect(Date.now() - started).toBeLessThan(2000);
    await running.gone;
    const done = runner.check('sh', ['-c', 'echo out; echo err >&2; exit 4'], 5000);
    expect(await done.outcome).toEqual({ status: 'exited', exitCode: 4, stdout: 'out', stderr: 'err' });
  });

  it('fails what waits on a helper that died, and starts a new one for the next command', async () => {
    const first = await runner.pid();
    const waiting = runner.run('sleep', ['1']);
    const checking = runner.check('sleep', ['1'], 5000);
    await sleep(200);
    process.kill(first ?? 0, 'SIGKILL');
    await expect(waiting).rejects.toThrow('`sleep` could not be run: the command helper exited (SIGKILL)');
    await expect(checking.outcome).rejects.toThrow('the command helper exited');
    await checking.gone;
    await expect(runner.run('echo', ['again'])).resolves.toEqual({ stdout: 'again\n', stderr: '' });
    expect(await runner.pid()).not.toBe(first);
  });

  it('fails a command whose helper stopped answering, within the command\'s bound and some slack', async () => {
    const stopped = new HelperCommandRunner(1, join(root, 'tmp-stopped'));
    const pid = (await stopped.pid()) ?? 0;
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      await expect(stopped.run('true', [], { timeoutMs: 100 })).rejects.toThrow('`true` could not be run: the command helper did not answer within 7 s');
      expect(Date.now() - started).toBeLessThan(12_000);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  }, 20_000);

  it('keeps the helper small: its resident memory is a fraction of a daemon\'s', async () => {
    const pid = (await runner.pid()) ?? 0;
    expect(processFacts(pid).rssKb).toBeLessThan(80 * 1024);
  });
});
