import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type Database from 'better-sqlite3';

/** How often the worker copies the WAL home. */
const PERIOD_MS = 1000;
/** A store that lives shorter than this (a CLI command, a test) keeps SQLite's own checkpoints. */
const START_AFTER_MS = 1000;

/**
 * Takes the store's checkpoints off the event loop: a second, after the store opened, a worker
 * thread with its own connection starts checkpointing every PERIOD_MS, and the store's own
 * connection stops (wal_autocheckpoint = 0), so no commit of a request ever waits for an fsync.
 */
export class WalCheckpointer {
  readonly #db: Database.Database;
  readonly #file: string;
  readonly #script: string;
  readonly #start: NodeJS.Timeout;
  #worker: Worker | undefined;

  public constructor(db: Database.Database, file: string, script = fileURLToPath(new URL('./wal-checkpoint-worker.js', import.meta.url))) {
    this.#db = db;
    this.#file = file;
    this.#script = script;
    this.#start = setTimeout(() => { this.#startWorker(); }, START_AFTER_MS);
    this.#start.unref();
  }

  /** Stops the worker after one last checkpoint of its own; the store closes its connection next. */
  public close(): void {
    clearTimeout(this.#start);
    this.#worker?.postMessage('stop');
    this.#worker = undefined;
  }

  #startWorker(): void {
    const worker = new Worker(this.#script, { workerData: { file: this.#file, periodMs: PERIOD_MS } });
    worker.unref();
    worker.on('error', () => {
      // The worker could not open the file or died: SQLite's own checkpoints take over again.
      if (this.#db.open) {
        this.#db.pragma('wal_autocheckpoint = 1000');
      }
      this.#worker = undefined;
    });
    this.#worker = worker;
    this.#db.pragma('wal_autocheckpoint = 0');
  }
}
