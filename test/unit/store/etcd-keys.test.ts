import { describe, expect, it } from '@jest/globals';

import { ClusterView } from '../../../src/store/cluster-view.js';
import { decodeRecord, encodeRecord, EtcdKeys, prefixEnd, sameRecord } from '../../../src/store/etcd-keys.js';
import type { VolumeRecord } from '../../../src/store/store.js';

const record: VolumeRecord = { name: 'data', type: 'glusterfs', options: { volume: 'gv0', subdir: 'a' }, createdAt: '2026-01-01T00:00:00.000Z', access: 'single-writer', host: 'node-1' };

describe(EtcdKeys.name, () => {
  const keys = new EtcdKeys('/volplex');

  it.each<{ desc: string; key: string; expected: ReturnType<EtcdKeys['parse']> }>([
    { desc: 'a volume record', key: '/volplex/volumes/data', expected: { kind: 'volume', name: 'data' } },
    { desc: 'a mount record', key: '/volplex/mounts/data/node-1', expected: { kind: 'mount', name: 'data', host: 'node-1' } },
    { desc: 'an owner key', key: '/volplex/owners/data', expected: { kind: 'owner', name: 'data' } },
    { desc: '[Error] another prefix', key: '/other/volumes/data', expected: undefined },
    { desc: '[Error] a prefix that only starts the same', key: '/volplexx/volumes/data', expected: undefined },
    { desc: '[Error] a mount record without a host', key: '/volplex/mounts/data/', expected: undefined },
    { desc: '[Error] a volume key with more segments', key: '/volplex/volumes/data/x', expected: undefined },
    { desc: '[Error] an unknown kind', key: '/volplex/locks/data', expected: undefined },
  ])('parses $desc', ({ key, expected }) => {
    expect(keys.parse(key)).toEqual(expected);
  });

  it('builds the keys it parses back', () => {
    expect(keys.parse(keys.volume('v'))).toEqual({ kind: 'volume', name: 'v' });
    expect(keys.parse(keys.mount('v', 'h'))).toEqual({ kind: 'mount', name: 'v', host: 'h' });
    expect(keys.parse(keys.owner('v'))).toEqual({ kind: 'owner', name: 'v' });
    expect(keys.mountsOf('v')).toBe('/volplex/mounts/v/');
  });

  it('ends a prefix range just past every key starting with it (and not at a longer volume name)', () => {
    const end = prefixEnd('/volplex/mounts/ab/').toString();
    expect(end).toBe('/volplex/mounts/ab0');
    expect('/volplex/mounts/ab/node-1' < end).toBe(true);
    expect('/volplex/mounts/abc/node-1' < end).toBe(false);
  });
});

describe('volume records in etcd', () => {
  it('round-trips a record, its name taken from the key', () => {
    expect(decodeRecord('data', encodeRecord(record))).toEqual(record);
    expect(encodeRecord(record)).not.toContain('"name"');
  });

  it.each([
    { desc: 'not JSON', value: '{' },
    { desc: 'no type', value: '{"options":{},"createdAt":"x"}' },
    { desc: 'an option that is not a string', value: '{"type":"local","options":{"ro":true},"createdAt":"x"}' },
    { desc: 'an unknown access mode', value: '{"type":"local","options":{},"createdAt":"x","access":"exclusive"}' },
  ])('[Error] ignores a value with $desc', ({ value }) => {
    expect(decodeRecord('data', value)).toBeUndefined();
  });

  it('calls records the same volume whatever the option order, creator or time, but not with another access mode', () => {
    const reordered: VolumeRecord = { name: 'data', type: 'glusterfs', options: { subdir: 'a', volume: 'gv0' }, createdAt: '2027-01-01T00:00:00.000Z', access: 'single-writer' };
    expect(sameRecord(record, reordered)).toBe(true);
    expect(sameRecord(record, { ...reordered, access: undefined })).toBe(false);
    expect(sameRecord(record, { ...reordered, options: { volume: 'gv0' } })).toBe(false);
  });
});

describe(ClusterView.name, () => {
  it('tells which hosts mount a volume and who owns it, and forgets what is deleted', () => {
    const view = new ClusterView();
    view.setMount('data', 'node-2', { value: '1', lease: '7' });
    view.setMount('data', 'node-1', { value: '2', lease: '8' });
    view.setOwner('data', { value: 'node-1', lease: '8' });
    expect(view.hostsOf('data')).toEqual(['node-1', 'node-2']);
    expect(view.owner('data')).toEqual({ host: 'node-1', lease: '8' });
    expect(view.heldBy('node-1')).toEqual(['data']);
    view.setMount('data', 'node-1', undefined);
    view.setOwner('data', undefined);
    expect(view.hostsOf('data')).toEqual(['node-2']);
    expect(view.owner('data')).toBeUndefined();
    expect(view.heldBy('node-1')).toEqual([]);
    expect(view.allMounts()).toEqual([['data', 'node-2']]);
  });
});
