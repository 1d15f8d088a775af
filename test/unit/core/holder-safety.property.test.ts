import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { createHarness, type Harness } from '../../support/harness.js';

/** One container of the model: its mount ID (dockerd reuses it across restarts), whether it runs, whether dockerd will Unmount it. */
interface Container {
  readonly id: string;
  running: boolean;
  /** dockerd tracks the mount and will send Unmount at stop (false for what it lost in a crash). */
  tracked: boolean;
  copies: number;
}

type Step =
  | { readonly kind: 'start'; readonly container: number }
  | { readonly kind: 'stop'; readonly container: number; readonly unmountSent: boolean }
  | { readonly kind: 'copy'; readonly container: number }
  | { readonly kind: 'copied'; readonly container: number }
  | { readonly kind: 'crash'; readonly liveRestore: boolean; readonly killed: readonly boolean[] }
  | { readonly kind: 'check' }
  | { readonly kind: 'blind'; readonly blind: boolean };

const CONTAINERS = 3;
const container = fc.integer({ min: 0, max: CONTAINERS - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), container }),
  fc.record({ kind: fc.constant('stop' as const), container, unmountSent: fc.boolean() }),
  fc.record({ kind: fc.constant('copy' as const), container }),
  fc.record({ kind: fc.constant('copied' as const), container }),
  fc.record({ kind: fc.constant('crash' as const), liveRestore: fc.boolean(), killed: fc.array(fc.boolean(), { minLength: CONTAINERS, maxLength: CONTAINERS }) }),
  fc.record({ kind: fc.constant('check' as const) }),
  fc.record({ kind: fc.constant('blind' as const), blind: fc.boolean() }),
);

/**
 * Random histories of containers on one volume, docker cp, dockerd crashes with and without
 * live-restore, holder checks and a holder source that sometimes cannot tell: whatever
 * happens, the backend stays mounted while a container runs or a copy is in flight, and the
 * references never fall below what those will still Unmount.
 */
describe('holder checks never drop what a running container holds', () => {
  it('holds over random histories, and the volume can be removed at the end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 30, size: 'max' }), async (steps) => {
        const harness: Harness<FakeMounter> = createHarness({ config: { docker: { socket: '', checkInterval: 60, staleGrace: 0, newLifetimeAtStart: false } } });
        try {
          await run(harness, steps);
        } finally {
          harness.close();
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

async function run(harness: Harness<FakeMounter>, steps: readonly Step[]): Promise<void> {
  const device = join(harness.root, 'devices', 'd');
  mkdirSync(device, { recursive: true });
  await harness.service.create('v', { device });
  harness.service.activate();
  const containers: Container[] = Array.from({ length: CONTAINERS }, (_, index) => ({ id: `${'0'.repeat(63)}${index}`, running: false, tracked: false, copies: 0 }));
  let blind = false;
  const holdersNow = (): void => {
    if (blind) {
      harness.holderFinder.goBlind();
    } else {
      harness.holderFinder.hold('v', containers.filter((each) => each.running).length);
    }
  };
  for (const current of steps) {
    holdersNow();
    await apply(harness, containers, current);
    if (current.kind === 'blind') {
      blind = current.blind;
    }
    const users = containers.filter((each) => each.running).length + containers.reduce((sum, each) => sum + each.copies, 0);
    const stillUnmounting = containers.reduce((sum, each) => sum + (each.tracked ? (each.running ? 1 : 0) + each.copies : 0), 0);
    const references = harness.store.usage('v').references;
    expect(references).toBeGreaterThanOrEqual(stillUnmounting);
    expect(users > 0 ? references > 0 : true).toBe(true);
    expect(harness.mounter.mountCount).toBe(references > 0 ? 1 : 0);
  }
  // The end: every container stops and goes, then docker volume rm.
  for (const each of containers) {
    each.copies = 0;
    if (each.running) {
      each.running = false;
      if (each.tracked) {
        await harness.service.unmount('v', each.id);
      }
    }
  }
  harness.holderFinder.hold('v', 0);
  await harness.service.remove('v');
  expect(harness.mounter.mountCount).toBe(0);
}

async function apply(harness: Harness<FakeMounter>, containers: Container[], current: Step): Promise<void> {
  const target = current.kind === 'start' || current.kind === 'stop' || current.kind === 'copy' || current.kind === 'copied' ? containers[current.container] : undefined;
  switch (current.kind) {
    case 'start':
      if (target !== undefined && !target.running) {
        await harness.service.mount('v', target.id);
        Object.assign(target, { running: true, tracked: true });
      }
      return;
    case 'stop':
      if (target !== undefined && target.running && target.copies === 0) {
        target.running = false;
        // After a live-restore restart dockerd does not always send it (seen after a docker cp).
        if (target.tracked && current.unmountSent) {
          await harness.service.unmount('v', target.id);
        }
        target.tracked = false;
      }
      return;
    case 'copy':
      if (target?.running === true) {
        await harness.service.mount('v', target.id);
        target.copies += 1;
      }
      return;
    case 'copied':
      if (target !== undefined && target.copies > 0) {
        target.copies -= 1;
        await harness.service.unmount('v', target.id);
      }
      return;
    case 'crash':
      containers.forEach((each, index) => {
        // Copies in flight die with dockerd; without live-restore so do the containers.
        each.copies = 0;
        each.running = each.running && current.liveRestore && current.killed[index] !== true;
      });
      harness.service.activate();
      harness.holderFinder.hold('v', containers.filter((each) => each.running).length);
      return;
    case 'check':
      await harness.holders.checkAll('periodic');
      return;
    case 'blind':
      return;
  }
}
