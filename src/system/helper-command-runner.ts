import { fileURLToPath } from 'node:url';

import { VolplexError } from '../core/errors.js';
import { NO_METRICS, type MetricsRecorder } from '../metrics/recorder.js';
import type { HelperCommandMetric, HelperReply, HelperRequest } from './command-helper-protocol.js';
import type { CheckOutcome, CommandResult, CommandRunner, RunningCheck, RunOptions } from './command-runner.js';
import { prepareOutputDir } from './execa-command-runner.js';

/** Beyond a command's own bound (its timeout, the kill grace): the helper itself is not answering. */
const HELPER_SLACK_MS = 5000;
const KILL_GRACE_MS = 2000;
/** The helper's heap: execa and a few commands' output. */
const HELPER_HEAP_MB = 64;

interface Pending {
  readonly settle: (reply: HelperReply) => void;
  /** The helper went: answers what is still awaited. */
  readonly abandon: (reason: string) => void;
}

type HelperProcess = ReturnType<typeof import('execa').execaNode>;

/**
 * Runs commands in the command helper (command-helper.ts), a small child of the daemon started
 * once and again if it dies. Same contract as the runner it drives; a helper that stops
 * answering fails what waits on it, as Unavailable, within the command's own bound plus slack.
 */
export class HelperCommandRunner implements CommandRunner {
  readonly #timeoutSeconds: number;
  readonly #outputDir: string;
  readonly #script: string;
  readonly #pending = new Map<number, Pending>();
  readonly #metrics: MetricsRecorder;
  // Boxed: a subprocess is thenable, and a promise of it would wait for its exit.
  #helper: Promise<{ readonly child: HelperProcess }> | undefined;
  #nextId = 0;

  /**
   * `outputDir` is emptied at once, when the daemon starts, and again by each helper that starts.
   * How every command ended goes to `metrics`, when there are metrics.
   */
  public constructor(timeoutSeconds: number, outputDir: string, metrics: MetricsRecorder = NO_METRICS, script = fileURLToPath(new URL('./command-helper.js', import.meta.url))) {
    this.#timeoutSeconds = timeoutSeconds;
    this.#outputDir = outputDir;
    this.#metrics = metrics;
    this.#script = script;
    prepareOutputDir(outputDir);
  }

  /** Starts the helper now, in the background, so that the first command does not wait for it. */
  public warmUp(): void {
    this.#start().catch(() => undefined);
  }

  /** The helper's process ID, once it runs. */
  public async pid(): Promise<number | undefined> {
    return (await this.#start()).child.pid;
  }

  public run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    const boundMs = (options.timeoutMs ?? this.#timeoutSeconds * 1000) + KILL_GRACE_MS + HELPER_SLACK_MS;
    return new Promise<CommandResult>((resolve, reject) => {
      const id = this.#send({ id: 0, kind: 'run', file, args, options }, boundMs, {
        settle: (reply) => {
          if (reply.kind === 'done') {
            resolve(reply.result);
          } else if (reply.kind === 'failed') {
            reject(new VolplexError(reply.error.kind, reply.error.message));
          }
          this.#pending.delete(id);
        },
        abandon: (reason) => { reject(new VolplexError('Unavailable', `\`${file}\` could not be run: ${reason}`)); },
      });
    });
  }

  public check(file: string, args: readonly string[], deadlineMs: number): RunningCheck {
    let settleOutcome: (outcome: CheckOutcome) => void = () => undefined;
    let failOutcome: (error: VolplexError) => void = () => undefined;
    let settleGone: () => void = () => undefined;
    const outcome = new Promise<CheckOutcome>((resolve, reject) => {
      settleOutcome = resolve;
      failOutcome = reject;
    });
    const gone = new Promise<void>((resolve) => { settleGone = resolve; });
    const id = this.#send({ id: 0, kind: 'check', file, args, deadlineMs }, deadlineMs + HELPER_SLACK_MS, {
      // The helper says gone after the outcome; a check is forgotten once gone.
      settle: (reply) => {
        if (reply.kind === 'outcome') {
          settleOutcome(reply.outcome);
        } else if (reply.kind === 'failed') {
          failOutcome(new VolplexError(reply.error.kind, reply.error.message));
        } else if (reply.kind === 'gone') {
          settleGone();
          this.#pending.delete(id);
        }
      },
      // Its child was killed at the deadline, or went with the helper: nothing is left to wait for.
      abandon: (reason) => {
        failOutcome(new VolplexError('Unavailable', `\`${file}\` could not be run: ${reason}`));
        settleGone();
      },
    });
    return { outcome, gone };
  }

  /** Sends a request and waits for its replies; `boundMs` later, it is abandoned. Returns its ID. */
  #send(request: HelperRequest, boundMs: number, pending: Pending): number {
    const id = ++this.#nextId;
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      pending.abandon(`the command helper did not answer within ${Math.round(boundMs / 1000)} s`);
    }, boundMs);
    timer.unref();
    this.#pending.set(id, {
      // The helper answered: it is alive. A check's child stuck in the kernel may never be gone, and is not abandoned.
      settle: (reply) => {
        clearTimeout(timer);
        pending.settle(reply);
      },
      abandon: (reason) => {
        clearTimeout(timer);
        pending.abandon(reason);
      },
    });
    this.#start().then(
      ({ child }) => { child.send({ ...request, id }); },
      (error: unknown) => { this.#abandonAll(`the command helper could not start: ${error instanceof Error ? error.message : String(error)}`); },
    );
    return id;
  }

  #start(): Promise<{ readonly child: HelperProcess }> {
    this.#helper ??= import('execa').then(({ execaNode }) => {
      const child = execaNode(this.#script, [String(this.#timeoutSeconds), this.#outputDir, ...(this.#metrics === NO_METRICS ? [] : ['metrics'])], {
        ipc: true, serialization: 'json', buffer: false, reject: false, cleanup: false, stdin: 'ignore', stdout: 'ignore', stderr: 'inherit',
        nodeOptions: [`--max-old-space-size=${HELPER_HEAP_MB}`],
      });
      child.on('message', (reply: HelperReply | HelperCommandMetric) => {
        if (reply.kind === 'metric') {
          this.#metrics.command(reply.command, reply.ending, reply.seconds);
        } else {
          this.#pending.get(reply.id)?.settle(reply);
        }
      });
      void child.then((result) => {
        this.#helper = undefined;
        this.#abandonAll(`the command helper exited (${result.signal ?? `status ${String(result.exitCode)}`})`);
      });
      return { child };
    });
    return this.#helper;
  }

  #abandonAll(reason: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    pending.forEach((entry) => { entry.abandon(reason); });
  }
}
