import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from '@jest/globals';

import { PrometheusMetrics } from '../../../src/metrics/prometheus-metrics.js';
import { ExecaCommandRunner } from '../../../src/system/execa-command-runner.js';
import type { FakeMounter } from '../../fakes/fake-mounter.js';
import { parseExposition, sampleValue } from '../../support/exposition.js';
import { createHarness, makeTempDir, removeTempDir, type Harness } from '../../support/harness.js';

describe(PrometheusMetrics.name, () => {
  let harness: Harness<FakeMounter> | undefined;
  let metrics: PrometheusMetrics;
  const scrape = async (name: string, labels: Record<string, string> = {}): Promise<number | undefined> => sampleValue(parseExposition(await metrics.exposition()), name, labels);

  const make = async (): Promise<Harness<FakeMounter>> => {
    metrics = new PrometheusMetrics();
    const made = createHarness({ metrics, config: { docker: { socket: '', checkInterval: 0, staleGrace: 0, newLifetimeAtStart: false } } });
    const device = join(made.root, 'devices', 'shared');
    mkdirSync(device, { recursive: true });
    await made.service.create('data', { device });
    return made;
  };

  afterEach(() => {
    harness?.close();
    harness = undefined;
  });

  it('counts a heal when a dead backend mount is replaced at Mount', async () => {
    harness = await make();
    const mountpoint = await harness.service.mount('data', 'A');
    expect(await scrape('volplex_heals_total', { type: 'local' })).toBeUndefined();
    harness.mounter.markStale(mountpoint);
    await harness.service.mount('data', 'B');
    expect(await scrape('volplex_heals_total', { type: 'local' })).toBe(1);
  });

  it('counts the references a holder check drops as reconcile action "dropped"', async () => {
    harness = await make();
    await harness.service.mount('data', 'A');
    await harness.service.mount('data', 'B');
    harness.service.activate();
    harness.holderFinder.hold('data', 0);
    await harness.holders.checkAll('periodic');
    expect(await scrape('volplex_reconcile_actions_total', { action: 'dropped' })).toBe(2);
  });

  it('counts the start-up reconcile: backend mounts adopted, references of vanished mounts dropped', async () => {
    harness = await make();
    const mountpoint = await harness.service.mount('data', 'A');
    await harness.service.create('other', {});
    const other = await harness.service.mount('other', 'B');
    await harness.service.mount('other', 'C');
    // Gone behind volplex's back (a reboot, a manual umount): its two references go at the next start.
    await harness.mounter.unmount(other, false);
    harness = harness.restart();
    await harness.reconcile();
    expect(harness.mounter.isMounted(mountpoint)).toBe(true);
    expect(await scrape('volplex_reconcile_actions_total', { action: 'adopted' })).toBe(1);
    expect(await scrape('volplex_reconcile_actions_total', { action: 'dropped' })).toBe(2);
    await harness.service.unmount('data', 'A');
  });

  it('counts a command killed at its deadline as a timeout of that program', async () => {
    metrics = new PrometheusMetrics();
    const outputDir = makeTempDir('runner');
    try {
      const runner = new ExecaCommandRunner(1, outputDir, metrics);
      await expect(runner.run('sleep', ['5'])).rejects.toThrow('did not finish within 1 s and was killed');
      await expect(runner.run('true', [])).resolves.toEqual({ stdout: '', stderr: '' });
      await expect(runner.run('volplex-no-such-program', [])).rejects.toThrow('is not installed');
      const probe = await runner.check('sleep', ['5'], 200).outcome;
      expect(probe.status).toBe('deadline');
      expect(await scrape('volplex_command_timeouts_total', { command: 'sleep' })).toBe(2);
      expect(await scrape('volplex_command_duration_seconds_count', { command: 'sleep', result: 'timeout' })).toBe(2);
      expect(await scrape('volplex_command_duration_seconds_count', { command: 'true', result: 'ok' })).toBe(1);
      expect(await scrape('volplex_command_duration_seconds_count', { command: 'volplex-no-such-program', result: 'missing' })).toBe(1);
    } finally {
      removeTempDir(outputDir);
    }
  });
});
