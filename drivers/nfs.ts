import { normalize } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import type { LiveConfig } from '../src/config/live-config.js';
import { NFS_MOUNT_FLAGS, NFS_MOUNT_OPTIONS } from '../src/config/schema.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { VolplexError } from '../src/core/errors.js';
import { assertMountOptionList, mergeMountOptions } from '../src/core/mount-options.js';
import { ABSOLUTE_PATH, booleanOption, HOST, isTrue, oneOf, SUBDIR } from '../src/core/option-checks.js';
import { requiredOption, type OptionSpec, type OptionTable } from '../src/core/option-table.js';
import { assertSubdirOwnership, ownershipOf, ownershipOptions } from '../src/core/ownership.js';
import type { CommandRunner } from '../src/system/command-runner.js';
import type { Mounter } from '../src/system/mounter.js';
import { describeReachability, findProgram, kernelSupports, listNfsExports, tcpReachability } from '../src/system/preflight.js';

const NFS_PORT = 2049;
const REACH_TIMEOUT_MS = 3000;

const valueOptions: OptionSpec[] = Object.entries(NFS_MOUNT_OPTIONS).map(([name, grammar]) => ({ name, description: `NFS mount option ${name}`, grammar, joined: true }));
const flagOptions: OptionSpec[] = NFS_MOUNT_FLAGS.map((name) => ({ ...booleanOption(name, `NFS mount flag ${name}`, false), default: undefined }));

/** NFS v3/v4.x through the kernel client; docker volumes on one export share one mount. */
@injectable()
export class NfsDriver implements VolumeDriver {
  public readonly type = 'nfs';
  public readonly aliases = ['nfs4'];
  public readonly options: OptionTable = [
    { name: 'server', description: 'NFS server (default: backends.nfs.server)', grammar: HOST },
    { name: 'share', description: 'the exported path on the server', required: true, grammar: ABSOLUTE_PATH, normalize: (value) => normalize(value).replace(/(.)\/$/, '$1') },
    { name: 'subdir', description: 'directory inside the share that is this docker volume', grammar: SUBDIR, normalize: (value) => normalize(value).replace(/^\.\/?|\/$/g, '') },
    booleanOption('createSubdir', 'make subdir on first mount if it is missing', false),
    { name: 'version', description: 'NFS version (default: backends.nfs.version)', grammar: oneOf('3', '4', '4.0', '4.1', '4.2') },
    booleanOption('ro', 'mount read-only', false),
    ...valueOptions,
    ...flagOptions,
    ...ownershipOptions('the subdir volplex creates (createSubdir)'),
  ];

  readonly #config: LiveConfig;
  readonly #mounter: Mounter;
  readonly #runner: CommandRunner;

  public constructor(@inject(TOKENS.config) config: LiveConfig, @inject(TOKENS.mounter) mounter: Mounter, @inject(TOKENS.runner) runner: CommandRunner) {
    this.#config = config;
    this.#mounter = mounter;
    this.#runner = runner;
  }

  public async prepare(volume: Volume): Promise<void> {
    this.#server(volume);
    this.#mountOptions(volume);
    assertSubdirOwnership(this.type, volume.options);
  }

  public plan(volume: Volume): MountPlan {
    const server = this.#server(volume);
    const share = requiredOption(volume.options, 'share');
    const readOnly = isTrue(volume.options.ro);
    return {
      key: `${server}:${share}|${this.#mountOptions(volume).join(',')}`,
      subdir: volume.options.subdir ?? '',
      createSubdir: isTrue(volume.options.createSubdir),
      ownership: ownershipOf(volume.options),
      details: { server, share, version: this.#version(volume), subdir: volume.options.subdir ?? '', readOnly: String(readOnly) },
    };
  }

  public async mount(volume: Volume, target: string): Promise<void> {
    const server = this.#server(volume);
    const share = requiredOption(volume.options, 'share');
    await this.#preflight(volume, server);
    try {
      await this.#mounter.mount(`${server}:${share}`, target, 'nfs', this.#mountOptions(volume));
    } catch (error) {
      throw explainFailure(error instanceof Error ? error.message : String(error), { server, share, version: this.#version(volume), kernelHasNfs: await kernelSupports('nfs'), exports: await listNfsExports(this.#runner, server) });
    }
  }

  public async cleanup(): Promise<void> {
    // A kernel mount leaves nothing beside it.
  }

  public async remove(): Promise<void> {
    // Data on the server belongs to the user.
  }

  /** What can be known before asking the kernel: the helper is installed and the server answers. */
  async #preflight(volume: Volume, server: string): Promise<void> {
    if ((await findProgram('mount.nfs')) === undefined) {
      throw new VolplexError('Unavailable', 'mount.nfs is not installed (install the Debian package nfs-common)');
    }
    const port = Number(volume.options.port ?? NFS_PORT);
    const reach = await tcpReachability(server, port, REACH_TIMEOUT_MS);
    if (reach !== 'open') {
      throw new VolplexError('Unavailable', describeReachability(reach, 'NFS server', server, port, REACH_TIMEOUT_MS));
    }
  }

  #server(volume: Volume): string {
    const server = volume.options.server ?? this.#config.current.backends.nfs.server;
    if (server === '') {
      throw new VolplexError('InvalidParameter', 'option "server" is required for type nfs: no default is configured in backends.nfs.server');
    }
    return server;
  }

  #version(volume: Volume): string {
    return volume.options.version ?? this.#config.current.backends.nfs.version;
  }

  /** vers=, the configured defaults overridden by the volume's own options, and ro; sorted after vers. */
  #mountOptions(volume: Volume): string[] {
    const options = mergeMountOptions(this.#config.current.backends.nfs.mountOptions, volume.options, Object.keys(NFS_MOUNT_OPTIONS), NFS_MOUNT_FLAGS);
    if (options.includes('hard') && options.includes('soft')) {
      throw new VolplexError('InvalidParameter', 'options "hard" and "soft" exclude each other for type nfs');
    }
    return assertMountOptionList([`vers=${this.#version(volume)}`, ...options, ...(isTrue(volume.options.ro) ? ['ro'] : [])]);
  }
}

interface NfsFacts {
  readonly server: string;
  readonly share: string;
  readonly version: string;
  readonly kernelHasNfs: boolean;
  readonly exports: readonly string[] | undefined;
}

/** Maps mount.nfs's failure output to what the user should know and do. */
export function explainFailure(output: string, facts: NfsFacts): VolplexError {
  const exported = facts.exports === undefined ? '' : `; the server exports: ${facts.exports.length === 0 ? '(nothing)' : facts.exports.join(', ')}`;
  if (/No such device|unknown filesystem type/.test(output)) {
    return new VolplexError(
      'Unavailable',
      facts.kernelHasNfs
        ? `the kernel refused the NFS mount (${output.includes('No such device') ? 'No such device' : 'unknown filesystem type'})`
        : 'this kernel has no NFS client (/proc/filesystems lists no nfs): load it with `modprobe nfs`, or run volplex on a host whose kernel has NFS',
    );
  }
  if (/access denied by server/.test(output)) {
    return new VolplexError('InvalidParameter', `NFS server ${facts.server} denied access to ${facts.share} (check the export's allowed clients)${exported}`);
  }
  if (/No such file or directory/.test(output)) {
    return new VolplexError('InvalidParameter', `NFS server ${facts.server} does not export ${facts.share}${exported}`);
  }
  if (/Protocol not supported|requested NFS version or transport protocol is not supported/.test(output)) {
    return new VolplexError('InvalidParameter', `NFS server ${facts.server} does not serve NFS version ${facts.version} (set -o version=)`);
  }
  if (/Connection refused/.test(output)) {
    return new VolplexError('Unavailable', `NFS server ${facts.server} refused the connection`);
  }
  if (/timed out|did not finish within/.test(output)) {
    return new VolplexError('Unavailable', `NFS server ${facts.server} did not answer in time; the mount was abandoned`);
  }
  if (/Failed to resolve server|Name or service not known/.test(output)) {
    return new VolplexError('Unavailable', `cannot resolve NFS server ${facts.server}`);
  }
  return new VolplexError('System', output);
}
