import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { VolplexError } from '../core/errors.js';
import type { CheckOutcome, CommandRunner } from './command-runner.js';

/** Children killed at their deadline that have not died yet, per mount, before new checks are refused. */
const MAX_STUCK_PER_MOUNT = 2;

export type ProbeResult = { readonly answered: true } | { readonly answered: false; readonly reason: string };

export type PathKind = 'directory' | 'other' | 'missing';

export interface Ownership {
  readonly uid?: number;
  readonly gid?: number;
  /** Permission bits, 0o0000–0o7777. */
  readonly mode?: number;
}

/**
 * "Does this mount answer?" and every look inside a network or FUSE mount, each in a child
 * process killed at its deadline and never awaited past it. Checks of one mount share one
 * child while it runs; a mount whose killed children cannot die gets no more of them.
 */
export class MountProbe {
  readonly #runner: CommandRunner;
  readonly #deadlineMs: number;
  readonly #inFlight = new Map<string, Promise<ProbeResult>>();
  readonly #stuck = new Map<string, number>();

  public constructor(runner: CommandRunner, deadlineMs: number) {
    this.#runner = runner;
    this.#deadlineMs = deadlineMs;
  }

  /** Children killed at their deadline and still alive (stuck in the kernel), over all mounts. */
  public get stuckChildren(): number {
    let total = 0;
    this.#stuck.forEach((count) => (total += count));
    return total;
  }

  /**
   * Asks the filesystem at target to look up a name nobody has: no cache can answer that,
   * so the server (or FUSE process) must. "No such file" is an answer.
   */
  public answers(target: string): Promise<ProbeResult> {
    const joined = this.#inFlight.get(target);
    if (joined !== undefined) {
      return joined;
    }
    const probe = this.#check(target, 'stat', ['--format=%F', '--', join(target, `.volplex-probe-${randomUUID()}`)], this.#deadlineMs).then((outcome): ProbeResult => {
      if (outcome.status === 'deadline') {
        return { answered: false, reason: outcome.reason };
      }
      return outcome.exitCode === 0 || isMissing(outcome.stderr) ? { answered: true } : { answered: false, reason: lastLine(outcome.stderr) };
    });
    const tracked = probe.finally(() => this.#inFlight.delete(target));
    this.#inFlight.set(target, tracked);
    return tracked;
  }

  /** What path (inside the mount at target) is. Rejects Unavailable when the mount does not answer. */
  public async inspect(target: string, path: string, deadlineMs = this.#deadlineMs): Promise<PathKind> {
    const outcome = await this.#check(target, 'stat', ['--format=%F', '--', path], deadlineMs);
    if (outcome.status === 'deadline') {
      throw new VolplexError('Unavailable', `the backend mount did not answer: ${outcome.reason}`);
    }
    if (outcome.exitCode === 0) {
      return outcome.stdout.trim() === 'directory' ? 'directory' : 'other';
    }
    if (isMissing(outcome.stderr)) {
      return 'missing';
    }
    if (/Not a directory/.test(outcome.stderr)) {
      return 'other';
    }
    throw new VolplexError('Unavailable', `the backend mount is not usable: ${lastLine(outcome.stderr)}`);
  }

  /** mkdir -p path (inside the mount at target), then its owner and mode if given. */
  public async makeDirectory(target: string, path: string, ownership: Ownership = {}, deadlineMs = this.#deadlineMs): Promise<void> {
    const mode = (ownership.mode ?? 0o755).toString(8).padStart(4, '0');
    await this.#mustSucceed(target, 'mkdir', ['-p', `--mode=${mode}`, '--', path], deadlineMs);
    if (ownership.uid !== undefined || ownership.gid !== undefined) {
      await this.#mustSucceed(target, 'chown', ['--', `${ownership.uid ?? ''}:${ownership.gid ?? ''}`, path], deadlineMs);
    }
  }

  /** Device and inode of path (inside the mount at target), as lstat(2) gives them, and whether it is a directory. */
  public async identify(target: string, path: string, deadlineMs = this.#deadlineMs): Promise<{ dev: number; ino: number; directory: boolean }> {
    const outcome = await this.#check(target, 'stat', ['--format=%d %i %F', '--', path], deadlineMs);
    if (outcome.status === 'deadline') {
      throw new VolplexError('Unavailable', `the filesystem holding ${path} did not answer: ${outcome.reason}`);
    }
    const [dev, ino, ...kind] = outcome.stdout.trim().split(' ');
    if (outcome.exitCode !== 0 || dev === undefined || ino === undefined || !/^\d+$/.test(dev) || !/^\d+$/.test(ino)) {
      throw new VolplexError('System', `cannot identify ${path}: ${lastLine(outcome.stderr)}`);
    }
    return { dev: Number(dev), ino: Number(ino), directory: kind.join(' ') === 'directory' };
  }

  /** The real path of path (inside the mount at target), or undefined when it does not exist. */
  public async realpath(target: string, path: string, deadlineMs = this.#deadlineMs): Promise<string | undefined> {
    const outcome = await this.#check(target, 'realpath', ['-e', '--', path], deadlineMs);
    if (outcome.status === 'deadline') {
      throw new VolplexError('Unavailable', `the filesystem holding ${path} did not answer: ${outcome.reason}`);
    }
    return outcome.exitCode === 0 ? outcome.stdout.replace(/\n$/, '') : undefined;
  }

  /**
   * The processes (but us) that have target as one of their arguments: a FUSE client names
   * its mount point. Their command lines are read by the child: reading another process's
   * command line waits for its memory map, which a process stuck on a dead mount can hold.
   * Undefined when the child could not tell within the deadline.
   */
  public async processesNaming(target: string, deadlineMs = this.#deadlineMs): Promise<number[] | undefined> {
    const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid);
    // NUL-separated arguments as lines, each matched whole and as a fixed string; unreadable files skipped.
    const args = ['--files-with-matches', '--fixed-strings', '--line-regexp', '--null-data', '--no-messages', '--', target, ...pids.map((pid) => `/proc/${pid}/cmdline`)];
    const outcome = await this.#check(target, 'grep', args, deadlineMs);
    if (outcome.status === 'deadline') {
      return undefined;
    }
    return outcome.stdout.split('\n').map((line) => /^\/proc\/(\d+)\/cmdline$/.exec(line)?.[1]).filter((pid) => pid !== undefined).map(Number);
  }

  async #mustSucceed(target: string, file: string, args: readonly string[], deadlineMs: number): Promise<void> {
    const outcome = await this.#check(target, file, args, deadlineMs);
    if (outcome.status === 'deadline') {
      throw new VolplexError('Unavailable', `the backend mount did not answer: ${outcome.reason}`);
    }
    if (outcome.exitCode !== 0) {
      throw new VolplexError('System', `${file} failed on the backend mount: ${lastLine(outcome.stderr)}`);
    }
  }

  async #check(target: string, file: string, args: readonly string[], deadlineMs: number): Promise<Exclude<CheckOutcome, { status: 'deadline' }> | { status: 'deadline'; reason: string }> {
    const stuck = this.#stuck.get(target) ?? 0;
    if (stuck >= MAX_STUCK_PER_MOUNT) {
      return { status: 'deadline', reason: `${stuck} earlier checks of this mount are still blocked in the kernel` };
    }
    const running = this.#runner.check(file, args, deadlineMs);
    const outcome = await running.outcome;
    if (outcome.status !== 'deadline') {
      return outcome;
    }
    this.#stuck.set(target, (this.#stuck.get(target) ?? 0) + 1);
    void running.gone.finally(() => {
      const left = (this.#stuck.get(target) ?? 1) - 1;
      if (left === 0) {
        this.#stuck.delete(target);
      } else {
        this.#stuck.set(target, left);
      }
    });
    return { status: 'deadline', reason: `no answer within ${deadlineMs / 1000} s` };
  }
}

function isMissing(stderr: string): boolean {
  return /No such file or directory/.test(stderr);
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').pop() ?? '';
  // "stat: cannot statx '/m/t/x': Transport endpoint is not connected" → the errno text.
  return line.replace(/^[^:]+: .*?: (?=[^:]+$)/, '') || 'no output';
}
