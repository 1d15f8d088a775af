import fc from 'fast-check';

import type { Store } from '../../src/store/store.js';

/** One change a daemon may ask of its store, over a few names, IDs and backends so they collide. */
export type StoreOperation =
  | { readonly op: 'insert'; readonly name: string; readonly type: string; readonly options: Record<string, string> }
  | { readonly op: 'delete'; readonly name: string }
  | { readonly op: 'add'; readonly name: string; readonly id: string; readonly key: string }
  | { readonly op: 'release'; readonly name: string; readonly id: string }
  | { readonly op: 'drop'; readonly name: string; readonly id: string; readonly lifetime: number; readonly count: number }
  | { readonly op: 'lifetime' }
  | { readonly op: 'dropBackend'; readonly key: string };

const name = fc.constantFrom('a', 'b', 'c');
const id = fc.constantFrom('X', 'Y', 'Z');
const key = fc.constantFrom('local:k1', 'local:k2', 's3fs:k3');

export const storeOperation: fc.Arbitrary<StoreOperation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), name, type: fc.constantFrom('local', 's3fs'), options: fc.dictionary(fc.constantFrom('device', 'bucket', 'ro'), fc.string({ maxLength: 8 }), { maxKeys: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), name }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('add' as const), name, id, key }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), name, id }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop' as const), name, id, lifetime: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lifetime' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropBackend' as const), key }) },
);

/** Sequences long enough for volumes to be made, mounted, released and dropped in one run. */
export const storeOperations: fc.Arbitrary<StoreOperation[]> = fc.array(storeOperation, { minLength: 5, maxLength: 60 });

/** Applies one operation; what it answered, or the error it threw, as plain data. */
export async function applyOperation(store: Store, operation: StoreOperation): Promise<unknown> {
  try {
    switch (operation.op) {
      case 'insert': {
        const existing = await store.insertVolume({ name: operation.name, type: operation.type, options: operation.options, createdAt: '2026-01-01T00:00:00.000Z' });
        return existing === undefined ? 'ok' : { exists: existing.type };
      }
      case 'delete':
        await store.deleteVolume(operation.name, async () => undefined);
        return 'ok';
      case 'add':
        // As the refcounter does: only volumes that exist get references.
        if (store.getVolume(operation.name) === undefined) {
          return 'no such volume';
        }
        await store.addReference(operation.name, operation.id, operation.key);
        return 'ok';
      case 'release':
        return await store.releaseReference(operation.name, operation.id);
      case 'drop':
        return await store.dropReference(operation.name, operation.id, operation.lifetime, operation.count);
      case 'lifetime':
        return store.beginDockerLifetime();
      case 'dropBackend':
        return (await store.dropBackend(operation.key)).sort();
    }
  } catch {
    return { threw: true };
  }
}

/** Applies the operations one after the other; their answers in order. */
export async function applyOperations(store: Store, operations: readonly StoreOperation[]): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const operation of operations) {
    answers.push(await applyOperation(store, operation));
  }
  return answers;
}

/** Everything a store answers, as plain data (the times references changed left out). */
export function observeStore(store: Store): unknown {
  const names = store.listVolumes().map((record) => record.name);
  return {
    volumes: store.listVolumes().map((record) => ({ ...record, options: { ...record.options } })),
    usage: Object.fromEntries(names.map((volume) => [volume, store.usage(volume)])),
    references: Object.fromEntries(names.map((volume) => [volume, store.references(volume).map(({ id: ref, lifetime, count }) => ({ id: ref, lifetime, count }))])),
    held: [...store.heldBackends()].sort(([a], [b]) => a.localeCompare(b)),
    users: Object.fromEntries(['local:k1', 'local:k2', 's3fs:k3'].map((backend) => [backend, store.backendUsers(backend)])),
    lifetime: store.dockerLifetime(),
  };
}
