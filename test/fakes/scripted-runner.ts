import { isDeepStrictEqual } from 'node:util';

import type { CommandResult, CommandRunner, RunOptions } from '../../src/system/command-runner.js';

/** A result, a failure, or a function run while the command "runs" (to look at files it was given). */
export type Outcome = CommandResult | Error | (() => CommandResult);

interface Step {
  readonly argv: readonly string[];
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

  public expect(argv: readonly string[], outcome: Outcome = { stdout: '', stderr: '' }): this {
    this.#script.push({ argv, outcome });
    return this;
  }

  public get pending(): number {
    return this.#script.length;
  }

  public async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const argv = [file, ...args];
    this.calls.push({ argv, options });
    const step = this.#script.shift();
    if (step === undefined || !isDeepStrictEqual(step.argv, argv)) {
      throw new Error(`scripted runner: unexpected command ${JSON.stringify(argv)}; expected ${JSON.stringify(step?.argv ?? null)}`);
    }
    if (step.outcome instanceof Error) {
      throw step.outcome;
    }
    return typeof step.outcome === 'function' ? step.outcome() : step.outcome;
  }
}
