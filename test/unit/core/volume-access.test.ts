import { describe, expect, it } from '@jest/globals';

import { sharingStatus } from '../../../src/core/sharing-status.js';
import { accessFromOption, assertOnOwnHost } from '../../../src/core/volume-access.js';
import type { Store, VolumeRecord } from '../../../src/store/store.js';

const local: VolumeRecord = { name: 'data', type: 'local', options: {}, createdAt: '2026-01-01T00:00:00.000Z', host: 'node-1' };
const onHost = (hostId: string | undefined): Store => ({ hostId }) as Store;

describe('access modes and host-bound volumes', () => {
  it.each([
    { desc: 'no access option', value: undefined, expected: {} },
    { desc: 'multi', value: 'multi', expected: {} },
    { desc: 'single-writer', value: 'single-writer', expected: { access: 'single-writer' } },
  ])('takes $desc', ({ value, expected }) => {
    expect(accessFromOption(value)).toEqual(expected);
  });

  it('[Error] refuses another access mode, naming the valid ones', () => {
    expect(() => accessFromOption('rw-once')).toThrow('option "access" must be multi or single-writer (got "rw-once")');
  });

  it('lets only the creating host use a type=local volume of a shared store', () => {
    expect(() => { assertOnOwnHost(onHost('node-1'), local); }).not.toThrow();
    expect(() => { assertOnOwnHost(onHost(undefined), local); }).not.toThrow();
    expect(() => { assertOnOwnHost(onHost('node-2'), { ...local, type: 'glusterfs' }); }).not.toThrow();
    expect(() => { assertOnOwnHost(onHost('node-2'), local); }).toThrow('volume is a type=local volume of host "node-1" (its directory is there): mount and remove it on that host; this host is "node-2"');
  });

  it('shows the sharing in Status: access, creator, hosts, owner, lease, an unreachable store', () => {
    expect(sharingStatus({ ...local, type: 'glusterfs', access: 'single-writer' }, { mountedOn: ['node-1'], owner: { host: 'node-1', expiresInSeconds: 12 }, unreachableSince: '2026-01-01T00:00:05.000Z' })).toEqual({
      access: 'single-writer',
      createdOn: 'node-1',
      mountedOn: ['node-1'],
      owner: 'node-1',
      ownerLeaseExpiresInSeconds: 12,
      store: "store unreachable since 2026-01-01T00:00:05.000Z: answers come from this host's cache",
    });
    expect(sharingStatus(local, { mountedOn: [] })).toEqual({ access: 'multi', createdOn: 'node-1', mountedOn: [] });
  });
});
