import { VolplexError } from '../core/errors.js';
import { NO_METRICS, type MetricsRecorder } from '../metrics/recorder.js';
import type { HelperCommandMetric, HelperError, HelperReply, HelperRequest } from './command-helper-protocol.js';
import { ExecaCommandRunner } from './execa-command-runner.js';

/**
 * The command helper: a small process of the daemon's own that runs every external command
 * for it (`node command-helper.js TIMEOUT_SECONDS OUTPUT_DIR [metrics]`, with an IPC channel). Forking
 * from this small heap costs a fraction of forking from the daemon's, and the daemon's event
 * loop never waits for a fork or an exec. It starts one command per turn of its event loop,
 * quick ones (local binds) first: a burst of commands for a dead server never makes a healthy
 * volume's mount wait for more than one fork. It ends when the daemon goes.
 */
const [timeoutSeconds = '60', outputDir = '', withMetrics = ''] = process.argv.slice(2);
// How each command ended goes to the daemon, which keeps the metrics.
const forwardCommands: MetricsRecorder = {
  ...NO_METRICS,
  command: (command, ending, seconds) => {
    const metric: HelperCommandMetric = { kind: 'metric', command, ending, seconds };
    process.send?.(metric);
  },
};
const runner = new ExecaCommandRunner(Number(timeoutSeconds), outputDir, withMetrics === 'metrics' ? forwardCommands : NO_METRICS);
const quick: HelperRequest[] = [];
const others: HelperRequest[] = [];
let draining = false;

const reply = (message: HelperReply): void => {
  process.send?.(message);
};

const asHelperError = (error: unknown): HelperError =>
  VolplexError.is(error) ? { kind: error.kind, message: error.message } : { kind: 'System', message: error instanceof Error ? error.message : String(error) };

function start(request: HelperRequest): void {
  const { id } = request;
  if (request.kind === 'run') {
    runner.run(request.file, request.args, request.options).then(
      (result) => { reply({ id, kind: 'done', result }); },
      (error: unknown) => { reply({ id, kind: 'failed', error: asHelperError(error) }); },
    );
    return;
  }
  const running = runner.check(request.file, request.args, request.deadlineMs);
  running.outcome.then(
    (outcome) => { reply({ id, kind: 'outcome', outcome }); },
    (error: unknown) => { reply({ id, kind: 'failed', error: asHelperError(error) }); },
  );
  // Gone after the outcome, always: the daemon forgets a check once it is gone.
  void running.outcome.catch(() => undefined).then(() => running.gone).then(() => { reply({ id, kind: 'gone' }); });
}

/** One command per turn: messages that arrived meanwhile are read before the next one starts. */
function drain(): void {
  const next = quick.shift() ?? others.shift();
  if (next === undefined) {
    draining = false;
    return;
  }
  start(next);
  setImmediate(drain);
}

process.on('message', (request: HelperRequest) => {
  (request.kind === 'run' && request.options.quick === true ? quick : others).push(request);
  if (!draining) {
    draining = true;
    setImmediate(drain);
  }
});
// The daemon went (exit, kill -9): commands already started run on; mounts stay.
process.on('disconnect', () => process.exit(0));
