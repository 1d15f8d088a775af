import type { CommandResult, CommandRunner, RunningCheck, RunOptions } from '../../src/system/command-runner.js';

/**
 * Records every command at the runner seam. Bind mounts and umounts (local paths, cheap,
 * safe under a test root) really run through `real`; every other command (FUSE clients,
 * network mounts, showmount) is answered as a success without running, so a fuzz run can
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
    return { stdout: '', stderr: '' };
  }

  /** Checks (stat, mkdir inside a mount) run for real: on the test root they touch plain directories. */
  public check(file: string, args: readonly string[], deadlineMs: number): RunningCheck {
    this.calls.push([file, ...args]);
    return this.#real.check(file, args, deadlineMs);
  }
}
