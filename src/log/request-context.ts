import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';

/** The protocol request being served: its short id, in every log line it causes and at the end of its Err. */
interface RequestScope {
  readonly id: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

const ID_BYTES = 3;
/** Random bytes for this many ids at a time: one call into the kernel's generator per batch, not per request. */
const BATCH = 1024;
const pool = Buffer.alloc(ID_BYTES * BATCH);
let used = pool.length;

/** Six hex digits ("7f3a2c"): short enough to read out of a docker error, with the log's timestamps unique enough to find the lines. */
export function newRequestId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += ID_BYTES;
  return pool.toString('hex', used - ID_BYTES, used);
}

/** Runs `task` (and everything it starts) as the work of request `id`. */
export function inRequest<T>(id: string, task: () => T): T {
  return scope.run({ id }, task);
}

/** The id of the request whose work is running, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.id;
}

/**
 * Runs `task` as no request's work: timers a request arms for later background work (the holder
 * checks after Activate) must not carry that request's id into lines that are not its own.
 */
export function outsideRequests<T>(task: () => T): T {
  return scope.exit(task);
}
