import { readFile } from 'node:fs/promises';
import { normalize } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import { quote } from '../src/base/quote.js';
import type { LiveConfig } from '../src/config/live-config.js';
import { GLUSTERFS_MOUNT_OPTIONS } from '../src/config/schema.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { VolplexError } from '../src/core/errors.js';
import { assertMountOptionList, mergeMountOptions } from '../src/core/mount-options.js';
import { booleanOption, HOST_LIST, isTrue, splitHosts, SUBDIR, word } from '../src/core/option-checks.js';
import { requiredOption, type OptionSpec, type OptionTable } from '../src/core/option-table.js';
import { assertSubdirOwnership, ownershipOf, ownershipOptions } from '../src/core/ownership.js';
import { removeRuntimeFiles, runtimeFile } from '../src/core/runtime-files.js';
import type { Mounter } from '../src/system/mounter.js';

// gluster's own rule: letters, digits, "_" and "-", not starting with "-"; "." is kept for older volumes.
const GLUSTER_VOLUME = word(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a gluster volume name: up to 64 of [A-Za-z0-9_.-], starting with a letter or digit', 64);

const mountOptionSpecs: OptionSpec[] = Object.entries(GLUSTERFS_MOUNT_OPTIONS).map(([name, grammar]) => ({ name, description: `mount.glusterfs ${name}`, grammar, joined: true }));

/** GlusterFS volumes through the FUSE client; docker volumes on one gluster volume share one mount. */
@injectable()
export class GlusterfsDriver implements VolumeDriver {
  public readonly type = 'glusterfs';
  public readonly aliases = ['gluster'];
  public readonly options: OptionTable = [
    { name: 'volume', description: 'the gluster volume name', required: true, grammar: GLUSTER_VOLUME },
    { name: 'servers', description: 'gluster servers separated by ":" or ","; the first serves the volfile (default: backends.glusterfs.servers)', grammar: HOST_LIST },
    { name: 'subdir', description: 'directory inside the gluster volume that is this docker volume', grammar: SUBDIR, normalize: (value) => normalize(value).replace(/^\.\/?|\/$/g, '') },
    booleanOption('createSubdir', 'make subdir on first mount if it is missing', false),
    booleanOption('ro', 'mount read-only', false),
    ...mountOptionSpecs,
    ...ownershipOptions('the subdir volplex creates (createSubdir)'),
  ];

  readonly #config: LiveConfig;
  readonly #mounter: Mounter;

  public constructor(@inject(TOKENS.config) config: LiveConfig, @inject(TOKENS.mounter) mounter: Mounter) {
    this.#config = config;
    this.#mounter = mounter;
  }

  public async prepare(volume: Volume): Promise<void> {
    this.#servers(volume);
    assertSubdirOwnership(this.type, volume.options);
  }

  public plan(volume: Volume): MountPlan {
    const servers = this.#servers(volume);
    const glusterVolume = requiredOption(volume.options, 'volume');
    const readOnly = isTrue(volume.options.ro);
    return {
      key: `${servers.join(',')}/${glusterVolume}:${readOnly ? 'ro' : 'rw'}:${this.#mountOptions(volume).join(',')}`,
      subdir: volume.options.subdir ?? '',
      createSubdir: isTrue(volume.options.createSubdir),
      ownership: ownershipOf(volume.options),
      details: { servers: servers.join(','), glusterVolume, subdir: volume.options.subdir ?? '', readOnly: String(readOnly) },
    };
  }

  public async mount(volume: Volume, target: string): Promise<void> {
    const [primary, ...backups] = this.#servers(volume);
    const glusterVolume = requiredOption(volume.options, 'volume');
    const logFile = await runtimeFile(this.#config.current.stateDir, target, 'glusterfs.log');
    const options = assertMountOptionList([
      ...(isTrue(volume.options.ro) ? ['ro'] : []),
      ...this.#mountOptions(volume),
      ...(backups.length > 0 ? [`backup-volfile-servers=${backups.join(':')}`] : []),
      `log-file=${logFile}`,
    ]);
    try {
      await this.#mounter.mount(`${primary}:/${glusterVolume}`, target, 'glusterfs', options);
    } catch (error) {
      throw explainFailure(error, await readFile(logFile, 'utf8').catch(() => ''), [primary, ...backups], glusterVolume);
    }
  }

  public async cleanup(target: string): Promise<void> {
    await removeRuntimeFiles(this.#config.current.stateDir, target);
  }

  public async remove(): Promise<void> {
    // Data on the gluster volume belongs to the user.
  }

  /** The volume's servers, else the configured ones; never empty. */
  #servers(volume: Volume): [string, ...string[]] {
    const [first, ...rest] = volume.options.servers === undefined ? this.#config.current.backends.glusterfs.servers : splitHosts(volume.options.servers);
    if (first === undefined) {
      throw new VolplexError('InvalidParameter', 'option "servers" is required for type glusterfs: no default is configured in backends.glusterfs.servers');
    }
    return [first, ...rest];
  }

  /** The configured defaults overridden by the volume's own, as sorted key=value. */
  #mountOptions(volume: Volume): string[] {
    return mergeMountOptions(this.#config.current.backends.glusterfs.mountOptions, volume.options, Object.keys(GLUSTERFS_MOUNT_OPTIONS));
  }
}

/** Turns mount.glusterfs's one-line failure into the reason its client log gives. */
export function explainFailure(error: unknown, log: string, servers: readonly string[], glusterVolume: string): VolplexError {
  const message = error instanceof Error ? error.message : String(error);
  const tried = servers.join(', ');
  if (message.includes("unknown filesystem type 'glusterfs'")) {
    return new VolplexError('Unavailable', 'mount.glusterfs is not installed (install the Debian package glusterfs-client)');
  }
  if (/failed to fetch volume file/.test(log)) {
    return new VolplexError('InvalidParameter', `gluster volume ${quote(glusterVolume)} does not exist on ${tried} (or is not started)`);
  }
  const unresolved = /DNS resolution failed on host (\S+)/.exec(log);
  if (unresolved !== null) {
    return new VolplexError('Unavailable', `cannot resolve gluster server ${unresolved[1] ?? ''}`);
  }
  if (message.includes('did not finish within')) {
    return new VolplexError('Unavailable', `no answer from gluster servers ${tried} in time; the mount was abandoned (${message})`);
  }
  if (/Exhausted all volfile servers|Connection refused/.test(log)) {
    return new VolplexError('Unavailable', `no gluster server answered (tried ${tried}): is glusterd running and reachable?`);
  }
  const lastError = log.split('\n').filter((line) => / E \[/.test(line)).pop()?.replace(/^\[[^\]]*\] E /, '');
  return new VolplexError('System', lastError === undefined ? message : `${message}; client log: ${lastError.trim()}`);
}
