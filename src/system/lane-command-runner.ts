import type { CommandResult, CommandRunner, RunningCheck, RunOptions } from './command-runner.js';

/**
 * Two lanes for the daemon's commands. Quick ones (a local bind mount, its umount) run in the
 * daemon itself: nothing a dead server causes can queue them, not even the forks of a storm of
 * retries in the command helper, and they cost what the same command costs anywhere. Every
 * other command, and every check of a mount, runs in the command helper, so that what may wait
 * on a server never forks or execs in the daemon's event loop.
 */
export class LaneCommandRunner implements CommandRunner {
  readonly #direct: CommandRunner;
  readonly #helper: CommandRunner;

  public constructor(direct: CommandRunner, helper: CommandRunner) {
    this.#direct = direct;
    this.#helper = helper;
  }

  public run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return (options.quick === true && options.startsDaemon !== true ? this.#direct : this.#helper).run(file, args, options);
  }

  public check(file: string, args: readonly string[], deadlineMs: number): RunningCheck {
    return this.#helper.check(file, args, deadlineMs);
  }

  public warmUp(): void {
    this.#helper.warmUp?.();
  }
}
