import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Container } from 'inversify';

import { createContainer, type Overrides } from '../../src/app/container.js';
import { TOKENS } from '../../src/app/tokens.js';
import type { VolplexConfig } from '../../src/config/config.js';
import { HolderReconciler } from '../../src/core/holder-reconciler.js';
import { Reconciler } from '../../src/core/reconciler.js';
import { VolumeService } from '../../src/core/volume-service.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { Store } from '../../src/store/store.js';
import type { CommandRunner } from '../../src/system/command-runner.js';
import { commandOutputDir, ExecaCommandRunner } from '../../src/system/execa-command-runner.js';
import { LinuxMounter } from '../../src/system/linux-mounter.js';
import type { Mounter } from '../../src/system/mounter.js';
import { MOUNTINFO_PATH, parseMountinfo } from '../../src/system/mountinfo.js';
import { FakeHolderFinder } from '../fakes/fake-holder-finder.js';
import { FakeMounter } from '../fakes/fake-mounter.js';

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `volplex-${prefix}-`));
}

/** Deletes a test directory, refusing while anything is mounted inside (rm would follow into it). */
export function removeTempDir(root: string): void {
  const mounted = parseMountinfo(readFileSync(MOUNTINFO_PATH, 'utf8')).filter((entry) => entry.mountPoint.startsWith(`${root}/`));
  if (mounted.length > 0) {
    throw new Error(`still mounted below ${root}: ${mounted.map((entry) => entry.mountPoint).join(', ')}`);
  }
  rmSync(root, { recursive: true, force: true });
}

/** Top-level settings replace the defaults; each `backends.<type>` section replaces its default. */
export type ConfigOverrides = Partial<Omit<VolplexConfig, 'backends'>> & { readonly backends?: Partial<VolplexConfig['backends']> };

/** A configuration whose every path lies in `root`; devices may live in `<root>/devices`. */
export function testConfig(root: string, { backends, ...overrides }: ConfigOverrides = {}): VolplexConfig {
  const defaults: VolplexConfig = {
    socket: join(root, 'volplex.sock'),
    stateDir: join(root, 'state'),
    mountRoot: join(root, 'state', 'mounts'),
    scope: 'local',
    hostId: 'test-host',
    store: { kind: 'sqlite', etcd: { endpoints: [], prefix: '/volplex', leaseTtl: 15, tls: { ca: '', cert: '', key: '' } } },
    deployment: 'host',
    defaultType: 'local',
    commandTimeout: 10,
    health: { interval: 15, probeTimeout: 5 },
    log: { level: 'silent' },
    backends: {
      local: { allowedRoots: [join(root, 'devices')] },
      glusterfs: { servers: [], mountOptions: [] },
      s3fs: { binary: 's3fs', url: '', pathStyle: false, credentials: '' },
      ossfs: { binary: 'ossfs', url: '', credentials: '' },
      nfs: { server: '', version: '4.1', mountOptions: [] },
    },
    // No host Docker API in tests unless one asks for it (the kernel scan still sees the host).
    docker: { socket: '', checkInterval: 60, staleGrace: 60, newLifetimeAtStart: false },
    metrics: { listen: '' },
    credentials: {},
    security: { inlineSecrets: 'warn' },
  };
  return { ...defaults, ...overrides, backends: { ...defaults.backends, ...backends } };
}

export interface Harness<M extends Mounter> {
  readonly root: string;
  readonly config: VolplexConfig;
  readonly container: Container;
  readonly service: VolumeService;
  readonly store: Store;
  readonly mounter: M;
  /** Who holds the volumes, as the test says (by default nothing can tell). */
  readonly holderFinder: FakeHolderFinder;
  readonly holders: HolderReconciler;
  reconcile(): ReturnType<Reconciler['run']>;
  /** The same state dir, a new daemon: as after a restart (with other settings, if given). */
  restart(config?: ConfigOverrides): Harness<M>;
  close(): void;
}

/** The real service, store and drivers over the given mounter (a FakeMounter unless said). */
export function createHarness<M extends Mounter = FakeMounter>(
  options: { root?: string; mounter?: M; runner?: CommandRunner; config?: ConfigOverrides; holderFinder?: FakeHolderFinder; log?: Logger; metrics?: Overrides['metrics'] } = {},
): Harness<M> {
  const root = options.root ?? makeTempDir('unit');
  const config = testConfig(root, options.config);
  const mounter = options.mounter ?? (new FakeMounter(options.runner) as unknown as M);
  const holderFinder = options.holderFinder ?? new FakeHolderFinder();
  const container = createContainer(config, options.log ?? createLogger('silent'), { mounter, holderFinder, ...(options.runner === undefined ? {} : { runner: options.runner }), ...(options.metrics === undefined ? {} : { metrics: options.metrics }) });
  const store = container.get<Store>(TOKENS.store);
  const holders = container.get(HolderReconciler);
  return {
    root,
    config,
    container,
    service: container.get(VolumeService),
    store,
    mounter,
    holderFinder,
    holders,
    reconcile: () => container.get(Reconciler).run(),
    restart: (changed?: ConfigOverrides) => {
      holders.stop();
      store.close();
      return createHarness({ ...options, root, mounter, holderFinder, config: changed ?? options.config });
    },
    close: () => {
      holders.stop();
      store.close();
      removeTempDir(root);
    },
  };
}

/** The real service over real mounts: LinuxMounter and ExecaCommandRunner, command output in the state dir as the daemon keeps it. */
export function createRealHarness(options: { config?: ConfigOverrides } = {}): Harness<LinuxMounter> {
  const root = makeTempDir('real');
  const config = testConfig(root, options.config);
  const runner = new ExecaCommandRunner(config.commandTimeout, commandOutputDir(config.stateDir));
  return createHarness({ root, mounter: new LinuxMounter(runner), runner, ...(options.config === undefined ? {} : { config: options.config }) });
}
