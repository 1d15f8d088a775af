import { describe, expect, it } from '@jest/globals';

import { MountTable } from '../../../src/system/mount-table.js';

const line = (id: number, mountPoint: string, fsType = 'ext4'): string => `${id} 1 8:${id} / ${mountPoint} rw,relatime shared:1 - ${fsType} /dev/x${id} rw`;

/** A mount table whose text the test changes, counting the reads, on a clock the test moves. */
function scripted(initial: string[]): { table: MountTable; lines: string[]; reads: () => number; advance: (ms: number) => void; release: () => void; hold: () => void } {
  const state = { lines: initial, reads: 0, now: 0, gate: undefined as Promise<void> | undefined, open: (): void => undefined };
  const read = async (): Promise<string> => {
    state.reads += 1;
    const text = `${state.lines.join('\n')}\n`;
    await state.gate;
    return text;
  };
  return {
    table: new MountTable(read, 1000, () => state.now),
    get lines() {
      return state.lines;
    },
    set lines(value: string[]) {
      state.lines = value;
    },
    reads: () => state.reads,
    advance: (ms) => { state.now += ms; },
    hold: () => { state.gate = new Promise((resolve) => { state.open = resolve; }); },
    release: () => { state.open(); state.gate = undefined; },
  };
}

describe(MountTable.name, () => {
  describe('.lookup', () => {
    it('decodes the kernel\'s octal escapes in mount points', async () => {
      const { table } = scripted(['36 1 8:1 / /mnt/with\\040space rw - ext4 /dev/x rw']);
      await expect(table.lookup('/mnt/with space')).resolves.toEqual(expect.objectContaining({ mountPoint: '/mnt/with space', fsType: 'ext4' }));
    });

    it('shares one read between lookups in flight', async () => {
      const fake = scripted([line(1, '/'), line(2, '/m/a'), line(3, '/m/b')]);
      fake.hold();
      const lookups = Promise.all(['/m/a', '/m/b', '/m/c', '/m/a'].map((path) => fake.table.lookup(path)));
      fake.release();
      const found = await lookups;
      expect(found.map((entry) => entry?.mountPoint)).toEqual(['/m/a', '/m/b', undefined, '/m/a']);
      expect(fake.reads()).toBe(1);
    });

    it('shares one read between old lookups even while our own mounts are noted meanwhile (a busy moment reads once)', async () => {
      const fake = scripted([line(1, '/'), line(2, '/m/a'), line(3, '/m/b')]);
      fake.hold();
      const lookups: Promise<unknown>[] = [];
      for (const [index, path] of ['/m/a', '/m/b', '/m/c'].entries()) {
        lookups.push(fake.table.lookup(path), fake.table.filesystemOf(`${path}/x`));
        fake.table.noteMounted({ mountPoint: `/m/new-${index}`, device: '0:0', root: '/', fsType: 'none', source: '/src', options: '' });
      }
      fake.release();
      await Promise.all(lookups);
      expect(fake.reads()).toBe(1);
      // An exact lookup still reads anew: it must see what changed after it was asked.
      await fake.table.lookupExact('/m/a');
      expect(fake.reads()).toBe(2);
    });

    it('answers from the last read while it is young, and reads again once it is old', async () => {
      const fake = scripted([line(1, '/'), line(2, '/m/a')]);
      await fake.table.lookup('/m/a');
      fake.lines = [line(1, '/')];
      fake.advance(500);
      await expect(fake.table.lookup('/m/a')).resolves.toBeDefined();
      expect(fake.reads()).toBe(1);
      fake.advance(600);
      await expect(fake.table.lookup('/m/a')).resolves.toBeUndefined();
      expect(fake.reads()).toBe(2);
    });

    it('answers our own mounts and umounts without reading the table', async () => {
      const fake = scripted([line(1, '/')]);
      await fake.table.lookup('/');
      fake.advance(5000);
      fake.table.noteMounted({ mountPoint: '/m/new', root: '/', fsType: 'ext4', device: '8:1', source: '/srv/x', options: 'bind' });
      fake.table.noteUnmounted('/');
      await expect(fake.table.lookup('/m/new')).resolves.toEqual(expect.objectContaining({ source: '/srv/x' }));
      await expect(fake.table.lookup('/')).resolves.toBeUndefined();
      expect(fake.reads()).toBe(1);
    });

    it('keeps a note made while an older read was in flight', async () => {
      const fake = scripted([line(1, '/')]);
      fake.hold();
      const read = fake.table.refresh();
      fake.table.noteMounted({ mountPoint: '/m/new', root: '/', fsType: 'ext4', device: '8:1', source: '/srv/x', options: 'bind' });
      fake.release();
      await read;
      await expect(fake.table.lookup('/m/new')).resolves.toBeDefined();
    });
  });

  describe('.lookupExact', () => {
    it('sees an umount made outside the daemon', async () => {
      const fake = scripted([line(1, '/'), line(2, '/m/a')]);
      await expect(fake.table.lookup('/m/a')).resolves.toBeDefined();
      fake.lines = [line(1, '/')];
      await expect(fake.table.lookupExact('/m/a')).resolves.toBeUndefined();
      expect(fake.reads()).toBe(2);
    });
  });

  describe('.below', () => {
    it('lists what is strictly below a root from one fresh read', async () => {
      const fake = scripted([line(1, '/'), line(2, '/m'), line(3, '/m/a'), line(4, '/m/a/b'), line(5, '/ma')]);
      expect((await fake.table.below('/m')).map((entry) => entry.mountPoint)).toEqual(['/m/a', '/m/a/b']);
      expect(fake.reads()).toBe(1);
    });
  });

  describe('.filesystemOf', () => {
    it('finds the mount holding a path as written', async () => {
      const fake = scripted([line(1, '/'), line(2, '/mnt/nfs', 'nfs4')]);
      await expect(fake.table.filesystemOf('/mnt/nfs/team/a')).resolves.toEqual(expect.objectContaining({ mountPoint: '/mnt/nfs', fsType: 'nfs4' }));
      await expect(fake.table.filesystemOf('/mnt/nfsx')).resolves.toEqual(expect.objectContaining({ mountPoint: '/' }));
      expect(fake.reads()).toBe(1);
    });
  });
});
