import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { TOKENS } from '../../../src/app/tokens.js';
import type { InlineSecretsPolicy } from '../../../src/config/config.js';
import type { LiveConfig } from '../../../src/config/live-config.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

const SECRET = 'inline-SECRET-51c2';
const SEED_FORM = { type: 'ossfs', bucket: 'media', url: 'http://127.0.0.1:4569', ak_id: 'LTAIEXAMPLE', ak_secret: SECRET };

describe('security.inlineSecrets', () => {
  let harness: Harness<FakeMounter>;
  const make = (policy: InlineSecretsPolicy): Harness<FakeMounter> => createHarness({ config: { security: { inlineSecrets: policy } } });

  afterEach(() => { harness.close(); });

  it('refuse: rejects the seed form (-o ak_id= -o ak_secret=) naming the profile way, and keeps no record', async () => {
    harness = make('refuse');
    const failure = await harness.service.create('seed', SEED_FORM).catch((error: unknown) => error as Error);
    expect(failure?.message).toContain('create seed: options ak_id, ak_secret are refused (security.inlineSecrets: refuse)');
    expect(failure?.message).toContain('define a credentials profile in the volplex configuration');
    expect(failure?.message).toContain('-o credentials=NAME');
    expect(failure?.message).not.toContain(SECRET);
    expect(harness.store.getVolume('seed')).toBeUndefined();
  });

  it('warn: accepts it, and Status says dockerd stores it in plain text and a profile avoids it', async () => {
    harness = make('warn');
    await harness.service.create('seed', SEED_FORM);
    const { status } = harness.service.get('seed');
    expect(status.warning).toContain('dockerd stores ak_id, ak_secret in plain text');
    expect(status.warning).toContain('a credentials profile avoids it');
    expect(JSON.stringify(status)).not.toContain(SECRET);
  });

  it('Remove leaves the secret in no file of the state dir; a volume without one is removed alike', async () => {
    harness = make('warn');
    await harness.service.create('seed', SEED_FORM);
    await harness.service.create('plain', { type: 'local' });
    await harness.service.remove('seed');
    await harness.service.remove('plain');
    const stateDir = harness.config.stateDir;
    const holding = readdirSync(stateDir).filter((file) => file.startsWith('volplex.db') && readFileSync(join(stateDir, file)).includes(Buffer.from(SECRET)));
    expect(holding).toEqual([]);
    expect(harness.service.list().map((volume) => volume.name)).toEqual([]);
  });

  it('allow: accepts it without a warning', async () => {
    harness = make('allow');
    await harness.service.create('seed', SEED_FORM);
    expect(harness.service.get('seed').status.warning).toBeUndefined();
  });

  it('puts no warning on a volume that names a profile', async () => {
    harness = createHarness({ config: { credentials: { oss: { accessKeyId: 'ID', accessKeySecret: SECRET } } } });
    await harness.service.create('profiled', { type: 'ossfs', bucket: 'media', url: 'http://127.0.0.1:4569', credentials: 'oss' });
    expect(harness.service.get('profiled').status.warning).toBeUndefined();
  });

  it('follows a reload: the next Create sees the new policy; a volume made before stays and keeps its warning', async () => {
    harness = make('warn');
    await harness.service.create('before', SEED_FORM);
    const live = harness.container.get<LiveConfig>(TOKENS.config);
    live.replace({ ...live.current, security: { inlineSecrets: 'refuse' } });
    await expect(harness.service.create('after', SEED_FORM)).rejects.toThrow('are refused (security.inlineSecrets: refuse)');
    expect(harness.service.get('before').status.warning).toContain('plain text');
  });
});
