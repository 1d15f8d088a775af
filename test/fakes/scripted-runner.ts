import type { CommandResult, CommandRunner, RunningCheck, RunOptions } from '../../src/system/command-runner.js';

/**
 * A result, a failure (a check sees it as exit status 1 with the message on stderr), a
 * function run while the command "runs" (to look at files it was given), or, for a check,
 * a child that never answers.
 */
export type Outcome = CommandResult | Error | (() => CommandResult) | 'deadline';

/** An exact argument, or a pattern for one the code under test makes up (a random probe name). */
export type ExpectedArg = string | RegExp;

interface Step {
  readonly argv: readonly ExpectedArg[];
  readonly outcome: Outcome;
}

export interface RunCall {
  readonly argv: readonly string[];
  readonly options: RunOptions;
}

/** Answers an exact, ordered script of commands; any other argv fails the test loudly. */
export class ScriptedRunner implements CommandRunner {
  public readonly calls: RunCall[] = [];
  readonly #script: Step[] = [];

  public expect(argv: readonly ExpectedArg[], outcome: Outcome = { stdout: '', stderr: '' }): this {
    this.#script.push({ argv, outcome });
    return this;
  }

  public get pending(): number {
    return this.#script.length;
  }

  public async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const outcome = this.#next([file, ...args], options);
    if (outcome instanceof Error) {
      throw outcome;
    }
    if (outcome === 'deadline') {
      throw new Error(`scripted runner: ${file} was scripted as a check that never answers, but was run`);
    }
    return typeof outcome === 'function' ? outcome() : outcome;
  }

  public check(file: string, args: readonly string[], _deadlineMs?: number): RunningCheck {
    const outcome = this.#next([file, ...args], {});
    const result = (): Awaited<RunningCheck['outcome']> => {
      if (outcome === 'deadline') {
        return { status: 'deadline' };
      }
      if (outcome instanceof Error) {
        return { status: 'exited', exitCode: 1, stdout: '', stderr: outcome.message };
      }
      return { status: 'exited', exitCode: 0, ...(typeof outcome === 'function' ? outcome() : outcome) };
    };
    return { outcome: Promise.resolve(result()), gone: outcome === 'deadline' ? new Promise(() => undefined) : Promise.resolve() };
  }

  #next(argv: readonly string[], options: RunOptions): Outcome {
    this.calls.push({ argv, options });
    const step = this.#script.shift();
    if (step === undefined || !matches(step.argv, argv)) {
      throw new Error(`scripted runner: unexpected command ${JSON.stringify(argv)}; expected ${step === undefined ? 'none' : step.argv.map(String).join(' ')}`);
    }
    return step.outcome;
  }
}

function matches(expected: readonly ExpectedArg[], argv: readonly string[]): boolean {
  return expected.length === argv.length && expected.every((arg, index) => (typeof arg === 'string' ? arg === argv[index] : arg.test(argv[index] ?? '')));
}
