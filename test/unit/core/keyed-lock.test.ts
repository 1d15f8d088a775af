import { describe, expect, it } from '@jest/globals';

import { KeyedLock } from '../../../src/core/keyed-lock.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe(KeyedLock.name, () => {
  it('runs tasks on the same key one at a time, in order', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const gate = deferred();
    const first = lock.run('v', async () => {
      events.push('first:start');
      await gate.promise;
      events.push('first:end');
    });
    const second = lock.run('v', async () => {
      events.push('second');
    });
    await Promise.resolve();
    expect(events).toEqual(['first:start']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(events).toEqual(['first:start', 'first:end', 'second']);
  });

  it('never makes another key wait', async () => {
    const lock = new KeyedLock();
    const gate = deferred();
    const blocked = lock.run('a', () => gate.promise);
    await expect(lock.run('b', async () => 'done')).resolves.toBe('done');
    gate.resolve();
    await blocked;
  });

  it('forgets keys once idle, even after a failure', async () => {
    const lock = new KeyedLock();
    await lock.run('a', async () => undefined);
    await expect(lock.run('b', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lock.size).toBe(0);
  });
});
