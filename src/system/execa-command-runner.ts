import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { VolplexError } from '../core/errors.js';
import { NO_METRICS, type CommandEnding, type MetricsRecorder } from '../metrics/recorder.js';
import { BinaryPaths } from './binary-paths.js';
import type { CheckOutcome, CommandResult, CommandRunner, RunningCheck, RunOptions } from './command-runner.js';
import { maskSecrets } from './mask.js';

const MAX_REPORTED_OUTPUT = 2000;
const KILL_GRACE_MS = 2000;
/** Output kept of one command; mount helpers print a few lines. */
const MAX_OUTPUT = 1024 * 1024;
const MAX_CHECK_OUTPUT = 64 * 1024;
const DEFAULT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
// Only what mount helpers need: never the daemon's environment, which may hold secrets.
const commandEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? DEFAULT_PATH, LC_ALL: 'C' });

type Execa = typeof import('execa').execa;
type Subprocess = ReturnType<Execa>;

/** Where the daemon's runner keeps command output: a directory of its own in the state dir. */
export function commandOutputDir(stateDir: string): string {
  return join(stateDir, 'tmp');
}

/**
 * Makes the output directory (0700) empty: the files of commands a killed daemon was running
 * (kill -9 skips every `finally`) go when the next one starts.
 */
export function prepareOutputDir(outputDir: string): void {
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true, mode: 0o700 });
  chmodSync(outputDir, 0o700);
}

/**
 * Runs commands with execa, each binary by the absolute path found once. Output comes
 * through pipes, but for commands that start a daemon (a FUSE client, mount.glusterfs):
 * theirs goes to private files, as the daemon would inherit a pipe, hold it open long after
 * mount returned, and could die of SIGPIPE writing to it once we closed our end. Each command
 * gets its own process group so a timeout kills its helpers too; the daemons they start call
 * setsid and outlive us, as mounts must.
 */
export class ExecaCommandRunner implements CommandRunner {
  readonly #timeoutMs: number;
  readonly #outputDir: string;
  readonly #binaries = new BinaryPaths(process.env.PATH ?? DEFAULT_PATH);
  readonly #metrics: MetricsRecorder;
  #execa: Promise<Execa> | undefined;

  /**
   * `outputDir` belongs to this runner alone: it is emptied here, at start-up (prepareOutputDir).
   * Every command's duration and ending go to `metrics`, under the program's file name.
   */
  public constructor(timeoutSeconds: number, outputDir: string, metrics: MetricsRecorder = NO_METRICS) {
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#outputDir = outputDir;
    this.#metrics = metrics;
    prepareOutputDir(outputDir);
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
    const binary = this.#binaries.resolve(file);
    if (binary === undefined) {
      ending.value = 'missing';
      const hint = options.providedBy === undefined ? '' : ` (${options.providedBy})`;
      throw new VolplexError('Unavailable', `${file} is not installed${hint}`);
    }
    const secrets = options.secrets ?? [];
    const command = maskSecrets([file, ...args].join(' '), secrets);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const output = options.startsDaemon === true ? new OutputFiles(this.#outputDir) : undefined;
    try {
      const execa = await this.#loadExeca();
      const child = execa(binary, [...args], {
        reject: false, stdin: 'ignore', detached: true, cleanup: false, env: commandEnv(), extendEnv: false,
        ...(output === undefined ? { maxBuffer: MAX_OUTPUT, encoding: 'utf8', stripFinalNewline: false } : { stdout: asFd(output.out), stderr: asFd(output.err) }),
      });
      const ended = await waitBounded(child, timeoutMs);
      if (ended === 'abandoned') {
        ending.value = 'timeout';
        throw new VolplexError('Unavailable', `\`${command}\` did not finish within ${timeoutMs / 1000} s and could not be killed (stuck in the kernel)`);
      }
      const { result, timedOut } = ended;
      const stdout = maskSecrets(output?.read('out') ?? String(result.stdout ?? ''), secrets);
      const stderr = maskSecrets(output?.read('err') ?? String(result.stderr ?? ''), secrets);
      if (result.code === 'ENOENT') {
        ending.value = 'missing';
        throw new VolplexError('Unavailable', `${file} is not installed`);
      }
      if (timedOut) {
        ending.value = 'timeout';
        throw new VolplexError('Unavailable', `\`${command}\` did not finish within ${timeoutMs / 1000} s and was killed${tail(stderr)}`);
      }
      if (result.exitCode !== 0) {
        const status = result.exitCode === undefined ? `was killed by ${result.signal ?? 'a signal'}` : `exited with status ${result.exitCode}`;
        throw new VolplexError('System', `\`${command}\` ${status}${tail(stderr || stdout)}`);
      }
      return { stdout, stderr };
    } finally {
      output?.remove();
    }
  }

  public check(file: string, args: readonly string[], deadlineMs: number): RunningCheck {
    const begun = performance.now();
    const binary = this.#binaries.resolve(file);
    if (binary === undefined) {
      this.#metrics.command(basename(file), 'missing', 0);
      const missing = Promise.reject(new VolplexError('Unavailable', `${file} is not installed`));
      return { outcome: missing, gone: missing.catch(() => undefined) };
    }
    // Boxed: a subprocess is thenable, and a promise of it would wait for its exit.
    const started = this.#loadExeca().then((execa) => ({
      child: execa(binary, [...args], { reject: false, stdin: 'ignore', env: commandEnv(), extendEnv: false, maxBuffer: MAX_CHECK_OUTPUT, encoding: 'utf8' }),
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

  // Loaded on first use: execa is a large module graph, and the socket must answer fast at start.
  #loadExeca(): Promise<Execa> {
    this.#execa ??= import('execa').then((module) => module.execa);
    return this.#execa;
  }
}

type Ended = 'abandoned' | { readonly result: Awaited<Subprocess>; readonly timedOut: boolean };

/**
 * The child's result, killing its process group at the deadline; a process stuck in the
 * kernel (umount of a dead NFS server) cannot die, so it is abandoned a grace later.
 */
async function waitBounded(child: Subprocess, timeoutMs: number): Promise<Ended> {
  const clock = { timedOut: false };
  let abandon = (): void => undefined;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    abandon = () => { resolve('abandoned'); };
  });
  const timer = setTimeout(() => {
    clock.timedOut = true;
    killGroup(child.pid);
    setTimeout(abandon, KILL_GRACE_MS).unref();
  }, timeoutMs);
  const result = await Promise.race([child, abandoned]).finally(() => { clearTimeout(timer); });
  return result === 'abandoned' ? result : { result, timedOut: clock.timedOut };
}

/** Two private files for a command's output, opened exclusively under unguessable names. */
class OutputFiles {
  public readonly out: number;
  public readonly err: number;
  readonly #paths: { readonly out: string; readonly err: string };

  public constructor(dir: string) {
    this.#paths = { out: join(dir, `cmd-${randomUUID()}.out`), err: join(dir, `cmd-${randomUUID()}.err`) };
    this.out = openSync(this.#paths.out, 'wx+', 0o600);
    this.err = openSync(this.#paths.err, 'wx+', 0o600);
  }

  public read(which: 'out' | 'err'): string {
    return readFileSync(this.#paths[which], 'utf8').slice(-MAX_OUTPUT);
  }

  public remove(): void {
    closeSync(this.out);
    closeSync(this.err);
    rmSync(this.#paths.out, { force: true });
    rmSync(this.#paths.err, { force: true });
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
