import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { VolumeService } from '../../../src/core/volume-service.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

describe(VolumeService.name, () => {
  let harness: Harness<FakeMounter>;
  let device: string;

  beforeEach(() => {
    harness = createHarness();
    device = join(harness.root, 'devices', 'app');
    mkdirSync(device, { recursive: true });
  });

  afterEach(() => {
    harness.close();
  });

  describe('.create', () => {
    it('is idempotent for the same options, in any spelling', async () => {
      await harness.service.create('data', { type: 'local', device, ro: 'false' });
      await harness.service.create('data', { device: `${device}/`, ro: 'no' });
      await harness.service.create('data', { type: 'bind', device });
      expect(harness.store.listVolumes()).toHaveLength(1);
    });

    it('refuses the same name with other options', async () => {
      await harness.service.create('data', { device });
      await expect(harness.service.create('data', { device, ro: 'true' })).rejects.toThrow(
        'create data: a volume with this name already exists with other options (type local); remove it first or choose another name',
      );
    });

    it.each<{ desc: string; name: string; opts: Record<string, string>; expectedErr: string }>([
      { desc: '[Error] unsafe name', name: '../etc', opts: {}, expectedErr: 'create ../etc: invalid volume name "../etc"' },
      { desc: '[Error] unknown type', name: 'v1', opts: { type: 'ceph' }, expectedErr: 'create v1: unknown type "ceph"; valid types: glusterfs (or gluster), local (or bind)' },
      { desc: '[Error] unknown option', name: 'v1', opts: { devcie: '/srv' }, expectedErr: 'create v1: unknown option "devcie" for type local; valid: device, create, ro' },
      { desc: '[Error] missing device', name: 'v1', opts: { device: '/tmp/volplex-does-not-exist/x' }, expectedErr: 'does not exist; create it first or pass -o create=true' },
    ])('$desc', async ({ name, opts, expectedErr }) => {
      await expect(harness.service.create(name, opts)).rejects.toThrow(expectedErr);
      expect(harness.store.listVolumes()).toEqual([]);
    });

    it('keeps -o access=single-writer in the record, takes access=multi for the default, and refuses any other mode', async () => {
      await harness.service.create('solo', { device, access: 'single-writer' });
      await harness.service.create('many', { device, access: 'multi' });
      await harness.service.create('many', { device });
      expect(harness.store.getVolume('solo')?.access).toBe('single-writer');
      expect(harness.store.getVolume('many')).not.toHaveProperty('access');
      expect(harness.store.getVolume('solo')?.options).toEqual({ device });
      await expect(harness.service.create('solo', { device })).rejects.toThrow('create solo: a volume with this name already exists with other options (type local)');
      await expect(harness.service.create('odd', { device, access: 'exclusive' })).rejects.toThrow('create odd: option "access" must be multi or single-writer (got "exclusive")');
    });

    it('takes the default type from the configuration', async () => {
      await harness.service.create('scratch', {});
      expect(harness.store.getVolume('scratch')).toEqual(expect.objectContaining({ type: 'local', options: {} }));
    });
  });

  describe('.get', () => {
    it('answers from the store with an RFC 3339 CreatedAt and a Status', async () => {
      await harness.service.create('data', { device });
      const view = harness.service.get('data');
      expect(view.name).toBe('data');
      expect(view.createdAt).toMatch(RFC3339);
      expect(view.mountpoint.startsWith(`${harness.config.mountRoot}/local-`)).toBe(true);
      expect(view.status).toEqual({ type: 'local', mounted: false, references: 0, mountIds: 0, device, managed: 'false', readOnly: 'false', backendSharedBy: 0 });
    });

    it('says not found for names that are not ours, without touching mounts', () => {
      expect(() => harness.service.get('nope')).toThrow('volume "nope" not found');
      expect(() => harness.service.get('a/../../b')).toThrow('not found');
      expect(harness.mounter.actions).toEqual([]);
    });
  });

  describe('.path', () => {
    it('is empty until mounted', async () => {
      await harness.service.create('data', { device });
      expect(harness.service.path('data')).toBe('');
      const mountpoint = await harness.service.mount('data', 'A');
      expect(harness.service.path('data')).toBe(mountpoint);
    });
  });
});
