import type { CommandResult, CommandRunner, RunningCheck, RunOptions } from '../../src/system/command-runner.js';

/**
 * Records every command at the runner seam. Bind mounts and umounts (local paths, cheap,
 * safe under a test root) really run through `real`; every other command (FUSE clients,
 * network mounts, showmount) is answered as a success without running (a FUSE client's
 * target is bound onto itself, as the client would have mounted it), so a fuzz run can
 * mount any backend without its server and still see each argv volplex would run.
 */
export class RecordingRunner implements CommandRunner {
  public readonly calls: (readonly string[])[] = [];
  readonly #real: CommandRunner;

  public constructor(real: CommandRunner) {
    this.#real = real;
  }

  public async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    this.calls.push([file, ...args]);
    if (file === 'umount' || (file === 'mount' && !args.includes('-t'))) {
      return this.#real.run(file, args, options);
    }
    const target = args.at(-1);
    if (file !== 'mount' && file !== 'showmount' && target?.startsWith('/') === true) {
      // A FUSE client mounts its last argument itself: a bind of that directory onto itself
      // stands for the mount it would have made, so the mount table lists it as for real.
      await this.#real.run('mount', ['--bind', '--', target, target]);
    }
    return { stdout: '', stderr: '' };
  }

  /** Checks (stat, mkdir inside a mount) run for real: on the test root they touch plain directories. */
  public check(file: string, args: readonly string[], deadlineMs: number): RunningCheck {
    this.calls.push([file, ...args]);
    return this.#real.check(file, args, deadlineMs);
  }
}
