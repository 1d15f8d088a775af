import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { VolplexError } from '../core/errors.js';
import { NO_METRICS, type CommandEnding, type MetricsRecorder } from '../metrics/recorder.js';
import type { CheckOutcome, CommandResult, CommandRunner, RunningCheck, RunOptions } from './command-runner.js';
import { maskSecrets } from './mask.js';

const MAX_REPORTED_OUTPUT = 2000;
const KILL_GRACE_MS = 2000;
const MAX_CHECK_OUTPUT = 64 * 1024;
// Only what mount helpers need: never the daemon's environment, which may hold secrets.
const commandEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' });

/** Where the daemon's runner keeps command output: a directory of its own in the state dir. */
export function commandOutputDir(stateDir: string): string {
  return join(stateDir, 'tmp');
}

/**
 * Runs commands with execa. Output goes to private files rather than pipes: FUSE
 * clients daemonize and would otherwise hold a pipe open long after mount returned.
 * Each command gets its own process group so a timeout kills its helpers too; the
 * daemons they start call setsid and outlive us, as mounts must.
 */
export class ExecaCommandRunner implements CommandRunner {
  readonly #timeoutMs: number;
  readonly #outputDir: string;
  readonly #metrics: MetricsRecorder;

  /**
   * `outputDir` (0700) belongs to this runner alone: it is emptied here, at start-up, so the
   * output files of commands a killed daemon was running (kill -9 skips every `finally`) go.
   * Every command's duration and ending go to `metrics`, under the program's file name.
   */
  public constructor(timeoutSeconds: number, outputDir: string, metrics: MetricsRecorder = NO_METRICS) {
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#outputDir = outputDir;
    this.#metrics = metrics;
    rmSync(outputDir, { recursive: true, force: true });
    mkdirSync(outputDir, { recursive: true, mode: 0o700 });
    chmodSync(outputDir, 0o700);
  }

  public async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const started = performance.now();
    const ending: { value: CommandEnding } = { value: 'failed' };
    try {
      const result = await this.#run(file, args, options, ending);
      ending.value = 'ok';
      return result;
    } finally {
      this.#metrics.command(basename(file), ending.value, (performance.now() - started) / 1000);
    }
  }

  async #run(file: string, args: readonly string[], options: RunOptions, ending: { value: CommandEnding }): Promise<CommandResult> {
    const secrets = options.secrets ?? [];
    const command = maskSecrets([file, ...args].join(' '), secrets);
    // Unguessable names opened exclusively: nobody can plant a file or link there first.
    const outPath = join(this.#outputDir, `cmd-${randomUUID()}.out`);
    const errPath = join(this.#outputDir, `cmd-${randomUUID()}.err`);
    const out = openSync(outPath, 'wx+', 0o600);
    const err = openSync(errPath, 'wx+', 0o600);
    const clock = { timedOut: false };
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    try {
      // Loaded on first use: execa is a large module graph, and the socket must answer fast at start.
      const { execa } = await import('execa');
      const child = execa(file, [...args], {
        reject: false, stdin: 'ignore', stdout: asFd(out), stderr: asFd(err), detached: true, cleanup: false,
        env: commandEnv(),
        extendEnv: false,
      });
      let abandon = (): void => undefined;
      const abandoned = new Promise<'abandoned'>((resolve) => {
        abandon = () => { resolve('abandoned'); };
      });
      const timer = setTimeout(() => {
        clock.timedOut = true;
        killGroup(child.pid);
        // A process stuck in the kernel (umount of a dead NFS server) cannot die: stop waiting for it.
        setTimeout(abandon, KILL_GRACE_MS).unref();
      }, timeoutMs);
      const result = await Promise.race([child, abandoned]).finally(() => { clearTimeout(timer); });
      if (result === 'abandoned') {
        ending.value = 'timeout';
        throw new VolplexError('Unavailable', `\`${command}\` did not finish within ${timeoutMs / 1000} s and could not be killed (stuck in the kernel)`);
      }
      const stdout = maskSecrets(readFileSync(outPath, 'utf8'), secrets);
      const stderr = maskSecrets(readFileSync(errPath, 'utf8'), secrets);
      if (result.code === 'ENOENT') {
        ending.value = 'missing';
        const hint = options.providedBy === undefined ? '' : ` (${options.providedBy})`;
        throw new VolplexError('Unavailable', `${file} is not installed${hint}`);
      }
      if (clock.timedOut) {
        ending.value = 'timeout';
        throw new VolplexError('Unavailable', `\`${command}\` did not finish within ${timeoutMs / 1000} s and was killed${tail(stderr)}`);
      }
      if (result.exitCode !== 0) {
        const status = result.exitCode === undefined ? `was killed by ${result.signal ?? 'a signal'}` : `exited with status ${result.exitCode}`;
        throw new VolplexError('System', `\`${command}\` ${status}${tail(stderr || stdout)}`);
      }
      return { stdout, stderr };
    } finally {
      closeSync(out);
      closeSync(err);
      rmSync(outPath, { force: true });
      rmSync(errPath, { force: true });
    }
  }

  public check(file: string, args: readonly string[], deadlineMs: number): RunningCheck {
    const begun = performance.now();
    // Boxed: a subprocess is thenable, and a promise of it would wait for its exit.
    const started = import('execa').then(({ execa }) => ({
      child: execa(file, [...args], { reject: false, stdin: 'ignore', env: commandEnv(), extendEnv: false, maxBuffer: MAX_CHECK_OUTPUT, encoding: 'utf8' }),
    }));
    const exited = started.then(({ child }) => child);
    const outcome = new Promise<CheckOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        void started.then(({ child }) => child.kill('SIGKILL'));
        resolve({ status: 'deadline' });
      }, deadlineMs);
      exited.then((result) => {
        clearTimeout(timer);
        if (result.code === 'ENOENT') {
          reject(new VolplexError('Unavailable', `${file} is not installed`));
          return;
        }
        resolve({ status: 'exited', exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr });
      }, reject);
    });
    const measured = outcome.then(
      (ended) => {
        this.#metrics.command(basename(file), ended.status === 'deadline' ? 'timeout' : ended.exitCode === 0 ? 'ok' : 'failed', (performance.now() - begun) / 1000);
        return ended;
      },
      (error: unknown) => {
        this.#metrics.command(basename(file), VolplexError.is(error, 'Unavailable') ? 'missing' : 'failed', (performance.now() - begun) / 1000);
        throw error;
      },
    );
    return { outcome: measured, gone: exited.then(() => undefined) };
  }
}

// execa's types accept file descriptors only as number literals; any open fd works at run time.
function asFd(fd: number): 3 {
  return fd as 3;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

function tail(output: string): string {
  const text = output.trim();
  return text === '' ? '' : `: ${text.slice(-MAX_REPORTED_OUTPUT)}`;
}
