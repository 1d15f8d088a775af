import { Mutex } from 'async-mutex';

interface Entry {
  readonly mutex: Mutex;
  users: number;
}

/** One async mutex per key: callers on the same key run one at a time, other keys never wait. */
export class KeyedLock {
  readonly #entries = new Map<string, Entry>();

  public async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { mutex: new Mutex(), users: 0 };
      this.#entries.set(key, entry);
    }
    entry.users += 1;
    try {
      return await entry.mutex.runExclusive(task);
    } finally {
      entry.users -= 1;
      if (entry.users === 0) {
        this.#entries.delete(key);
      }
    }
  }

  /** How many keys are held or awaited; zero when idle (no leak per volume name). */
  public get size(): number {
    return this.#entries.size;
  }
}
