import type { ErrorKind } from '../core/errors.js';
import type { CommandEnding } from '../metrics/recorder.js';
import type { CheckOutcome, CommandResult, RunOptions } from './command-runner.js';

/** What the daemon asks of its command helper. */
export type HelperRequest =
  | { readonly id: number; readonly kind: 'run'; readonly file: string; readonly args: readonly string[]; readonly options: RunOptions }
  | { readonly id: number; readonly kind: 'check'; readonly file: string; readonly args: readonly string[]; readonly deadlineMs: number };

/** A VolplexError as it crosses the process boundary. */
export interface HelperError {
  readonly kind: ErrorKind;
  readonly message: string;
}

/** How one command ended, for the daemon's metrics: sent only when the helper was started with metrics. */
export interface HelperCommandMetric {
  readonly kind: 'metric';
  readonly command: string;
  readonly ending: CommandEnding;
  readonly seconds: number;
}

/** What the helper answers: one `done` or `failed` per run; one `outcome` (or `failed`), then one `gone`, per check. */
export type HelperReply =
  | { readonly id: number; readonly kind: 'done'; readonly result: CommandResult }
  | { readonly id: number; readonly kind: 'failed'; readonly error: HelperError }
  | { readonly id: number; readonly kind: 'outcome'; readonly outcome: CheckOutcome }
  | { readonly id: number; readonly kind: 'gone' };
