import { parentPort, workerData } from 'node:worker_threads';

import Database from 'better-sqlite3';

/**
 * The store's checkpoints, in a thread of their own (`workerData`: the database file and the
 * period in ms): copying the WAL home ends in an fsync, which takes 10-20 ms on a quiet disk and
 * far more on a busy one, and must never stall the event loop that answers dockerd.
 */
const { file, periodMs } = workerData as { readonly file: string; readonly periodMs: number };
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// A PASSIVE checkpoint waits for nobody and does nothing when the WAL holds nothing new.
const timer = setInterval(() => { db.pragma('wal_checkpoint(PASSIVE)'); }, periodMs);
parentPort?.on('message', () => {
  clearInterval(timer);
  db.pragma('wal_checkpoint(PASSIVE)');
  db.close();
  parentPort?.close();
});
