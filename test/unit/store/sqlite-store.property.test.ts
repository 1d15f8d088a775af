import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';
import { applyOperations, observeStore, storeOperations } from '../../support/store-operations.js';

describe(`${SqliteStore.name} reads from memory`, () => {
  let dir: string;
  beforeAll(() => { dir = makeTempDir('store-property'); });
  afterAll(() => { removeTempDir(dir); });

  it('answers exactly what the database holds after any sequence of changes (a reopened store agrees)', async () => {
    let run = 0;
    let releasedToZero = 0;
    await fc.assert(
      fc.asyncProperty(storeOperations, async (operations) => {
        const stateDir = join(dir, `run-${run++}`);
        const store = new SqliteStore(stateDir);
        const answers = await applyOperations(store, operations);
        releasedToZero += answers.filter((answer) => (answer as { released?: boolean; volumeReferences?: number }).released === true && (answer as { volumeReferences: number }).volumeReferences === 0).length;
        const seen = observeStore(store);
        store.close();
        const reopened = new SqliteStore(stateDir);
        try {
          expect(observeStore(reopened)).toEqual(seen);
          expect(answers).toHaveLength(operations.length);
        } finally {
          reopened.close();
        }
      }),
      { numRuns: 150, seed: 16 },
    );
    // The runs reached the interesting states: last references released, backends let go.
    expect(releasedToZero).toBeGreaterThanOrEqual(5);
  });
});
