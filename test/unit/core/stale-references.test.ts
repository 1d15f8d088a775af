import { describe, expect, it } from '@jest/globals';

import { staleReferences, type HolderFacts } from '../../../src/core/stale-references.js';
import type { MountReference } from '../../../src/store/store.js';

const NOW = 1_000_000;
const OLD = NOW - 600_000;
const row = (id: string, lifetime: number, count = 1, changedAt = OLD): MountReference => ({ id, lifetime, count, changedAt });
const facts = (overrides: Partial<HolderFacts>): HolderFacts => ({ holders: 0, lifetime: 2, trigger: 'periodic', changedBefore: NOW - 60_000, ...overrides });
/** "id@lifetime×count" for each drop, in order. */
const drops = (rows: readonly MountReference[], given: Partial<HolderFacts>): string[] => staleReferences(rows, facts(given)).map((drop) => `${drop.id}@${drop.lifetime}×${drop.count}`);

describe(staleReferences.name, () => {
  const cases: Array<{ desc: string; rows: MountReference[]; facts: Partial<HolderFacts>; dropped: string[] }> = [
    { desc: 'a container dockerd lost in a crash: its reference from the old lifetime goes', rows: [row('A', 1)], facts: { holders: 0 }, dropped: ['A@1×1'] },
    { desc: '[never] a running container (live-restore) keeps its reference from the old lifetime', rows: [row('A', 1)], facts: { holders: 1 }, dropped: [] },
    { desc: 'live-restore, one of two containers died: exactly one old reference goes', rows: [row('A', 1), row('B', 1)], facts: { holders: 1 }, dropped: ['A@1×1'] },
    { desc: '[never] a reference counted in this lifetime stays even with no holder (dockerd will Unmount it)', rows: [row('A', 2)], facts: { holders: 0 }, dropped: [] },
    { desc: '[never] a docker cp double in this lifetime stays (two counts, one holder)', rows: [row('A', 2, 2)], facts: { holders: 1 }, dropped: [] },
    { desc: 'old references are kept up to the number of holders, whatever this lifetime counts', rows: [row('A', 1), row('B', 1), row('C', 2)], facts: { holders: 2 }, dropped: [] },
    { desc: 'an old row counted twice loses only the excess', rows: [row('A', 1, 3)], facts: { holders: 1 }, dropped: ['A@1×2'] },
    { desc: '[never] an old reference changed within the grace stays (its container may be starting)', rows: [row('A', 1, 1, NOW - 1000)], facts: { holders: 0 }, dropped: [] },
    { desc: 'at Remove with no holder every reference goes, this lifetime\'s too', rows: [row('A', 1), row('B', 2)], facts: { holders: 0, trigger: 'remove' }, dropped: ['A@1×1', 'B@2×1'] },
    { desc: '[never] at Remove a reference of this lifetime changed within the grace stays: the Remove is refused, as the protocol says', rows: [row('A', 1), row('B', 2, 1, NOW)], facts: { holders: 0, trigger: 'remove' }, dropped: ['A@1×1'] },
    { desc: 'at Remove with no holder a reference from before the restart goes, however recent (dockerd lost its container)', rows: [row('A', 1, 1, NOW)], facts: { holders: 0, trigger: 'remove' }, dropped: ['A@1×1'] },
    { desc: '[never] at Remove a held volume keeps its held references', rows: [row('A', 1), row('B', 2)], facts: { holders: 1, trigger: 'remove' }, dropped: [] },
    { desc: 'at Remove with a holder, old references beyond the holders go', rows: [row('A', 1), row('B', 1)], facts: { holders: 1, trigger: 'remove' }, dropped: ['A@1×1'] },
    {
      desc: 'the ID dockerd mounts again goes first, even within the grace: its old mount is gone',
      rows: [row('A', 1), row('B', 1, 1, NOW - 1000)],
      facts: { holders: 1, trigger: 'mount', mountId: 'B' },
      dropped: ['B@1×1'],
    },
    {
      desc: 'two containers lost, one mounted again: both old references go (the count is what will run)',
      rows: [row('A', 1), row('B', 1)],
      facts: { holders: 0, trigger: 'mount', mountId: 'A' },
      dropped: ['A@1×1', 'B@1×1'],
    },
    {
      desc: '[never] docker cp into a container that survived with live-restore keeps its old reference (counts as two)',
      rows: [row('A', 1)],
      facts: { holders: 1, trigger: 'mount', mountId: 'A' },
      dropped: [],
    },
    {
      desc: 'an ID mounted again in this lifetime loses its old row before other IDs do',
      rows: [row('A', 1), row('B', 1), row('B', 2)],
      facts: { holders: 1 },
      dropped: ['B@1×1'],
    },
    { desc: 'older lifetimes go before newer ones', rows: [row('A', 1, 1, OLD + 5), row('B', 0, 1, OLD + 9)], facts: { holders: 1 }, dropped: ['B@0×1'] },
  ];

  it.each(cases)('$desc', ({ rows, facts: given, dropped }) => {
    expect(drops(rows, given)).toEqual(dropped);
  });

  it('never leaves fewer old references than holders, nor fewer references than holders overall', () => {
    for (let holders = 0; holders <= 4; holders += 1) {
      for (let old = 0; old <= 4; old += 1) {
        const rows = [...Array.from({ length: old }, (_, index) => row(`old${index}`, 1)), row('now', 2)];
        const dropped = staleReferences(rows, facts({ holders })).reduce((sum, drop) => sum + drop.count, 0);
        expect(old - dropped).toBe(Math.min(old, holders));
        expect(old + 1 - dropped).toBeGreaterThanOrEqual(Math.min(holders, old + 1));
      }
    }
  });

  it('says why, naming the holders and the old references', () => {
    const [drop] = staleReferences([row('A', 1), row('B', 1)], facts({ holders: 1 }));
    expect(drop?.reason).toBe('counted before dockerd restarted; 1 running container mount point(s) hold the volume, 2 reference(s) are from before the restart');
  });
});
