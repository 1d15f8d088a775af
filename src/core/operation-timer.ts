import { performance } from 'node:perf_hooks';

import type { MetricsRecorder, OperationName } from '../metrics/recorder.js';
import { VolplexError } from './errors.js';

/** Times one volume operation for the metrics: its result is 'ok' or the error kind; the backend type is noted once known. */
export class OperationTimer {
  /** '' until the operation knows which backend type it is about. */
  public type = '';
  readonly #metrics: MetricsRecorder;
  readonly #operation: OperationName;
  readonly #started = performance.now();

  public constructor(metrics: MetricsRecorder, operation: OperationName) {
    this.#metrics = metrics;
    this.#operation = operation;
  }

  public async run<T>(task: () => Promise<T>): Promise<T> {
    try {
      const value = await task();
      this.#end('ok');
      return value;
    } catch (error) {
      this.#end(resultOf(error));
      throw error;
    }
  }

  public runSync<T>(task: () => T): T {
    try {
      const value = task();
      this.#end('ok');
      return value;
    } catch (error) {
      this.#end(resultOf(error));
      throw error;
    }
  }

  #end(result: string): void {
    this.#metrics.operation(this.#operation, this.type, result, (performance.now() - this.#started) / 1000);
  }
}

function resultOf(error: unknown): string {
  return VolplexError.is(error) ? error.kind : 'System';
}
