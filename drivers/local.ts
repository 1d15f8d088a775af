import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import type { LiveConfig } from '../src/config/live-config.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { VolplexError } from '../src/core/errors.js';
import { assertDeviceOnHost } from '../src/core/host-bind-check.js';
import { booleanOption, isAbsolutePath, isTrue } from '../src/core/option-checks.js';
import type { OptionTable } from '../src/core/option-table.js';
import type { Mounter } from '../src/system/mounter.js';

/** Bind mounts of host directories (`device`), or of a directory volplex manages and deletes with the volume. */
@injectable()
export class LocalDriver implements VolumeDriver {
  public readonly type = 'local';
  public readonly aliases = ['bind'];
  public readonly options: OptionTable = [
    {
      name: 'device',
      description: 'absolute host directory to bind, inside backends.local.allowedRoots; omit it for a managed directory deleted with the volume',
      check: isAbsolutePath,
      normalize: (value) => normalize(value).replace(/(.)\/$/, '$1'),
    },
    booleanOption('create', 'make the device directory if it is missing', false),
    booleanOption('ro', 'mount read-only', false),
  ];

  readonly #config: LiveConfig;
  readonly #mounter: Mounter;

  public constructor(@inject(TOKENS.config) config: LiveConfig, @inject(TOKENS.mounter) mounter: Mounter) {
    this.#config = config;
    this.#mounter = mounter;
  }

  public async prepare(volume: Volume): Promise<void> {
    const device = volume.options.device;
    if (device === undefined) {
      await mkdir(this.#managedDirectory(volume.name), { recursive: true, mode: 0o755 });
      return;
    }
    await this.#resolveDevice(device, isTrue(volume.options.create), true);
  }

  public plan(volume: Volume): MountPlan {
    const device = volume.options.device;
    const source = device ?? this.#managedDirectory(volume.name);
    const readOnly = isTrue(volume.options.ro);
    return {
      key: `${source}:${readOnly ? 'ro' : 'rw'}`,
      subdir: '',
      createSubdir: false,
      details: { device: source, managed: String(device === undefined), readOnly: String(readOnly) },
    };
  }

  public async mount(volume: Volume, target: string): Promise<void> {
    const device = volume.options.device;
    const source = device === undefined ? this.#managedDirectory(volume.name) : await this.#resolveDevice(device, false, false);
    await this.#mounter.mount(source, target, '', isTrue(volume.options.ro) ? ['bind', 'ro'] : ['bind']);
  }

  public async cleanup(): Promise<void> {
    // A bind mount leaves nothing beside it.
  }

  public async remove(volume: Volume): Promise<void> {
    if (volume.options.device === undefined) {
      await rm(this.#managedDirectory(volume.name), { recursive: true, force: true });
    }
  }

  #managedDirectory(name: string): string {
    return join(this.#config.current.stateDir, 'volumes', name);
  }

  /**
   * The device's real path, checked against the allowed roots after every symlink is
   * followed; at Create also that it is on a mount from the host (in a container or
   * plugin), before anything is made. The Mounter looks at it: a device may lie on a
   * network mount of the host.
   */
  async #resolveDevice(device: string, create: boolean, atCreate: boolean): Promise<string> {
    let real = await this.#mounter.realpath(device);
    if (real === undefined) {
      if (!create) {
        throw new VolplexError('InvalidParameter', `device ${device} does not exist; create it first or pass -o create=true`);
      }
      await this.#assertAllowed(join(await this.#realExistingAncestor(device), device.slice(dirname(device).length)), device, atCreate);
      await this.#mounter.makeDirectory(device);
      real = await this.#mounter.realpath(device);
      if (real === undefined) {
        throw new VolplexError('System', `device ${device} vanished right after it was created`);
      }
    }
    await this.#assertAllowed(real, device, atCreate);
    if ((await this.#mounter.inspect(real)) !== 'directory') {
      throw new VolplexError('InvalidParameter', `device ${device} is not a directory`);
    }
    return real;
  }

  /** The real path of the nearest existing ancestor, then the rest of `path` as written. */
  async #realExistingAncestor(path: string): Promise<string> {
    const parent = dirname(path);
    const real = await this.#mounter.realpath(parent);
    if (real !== undefined || parent === path) {
      return real ?? parent;
    }
    return join(await this.#realExistingAncestor(parent), basename(parent));
  }

  async #assertAllowed(real: string, device: string, atCreate: boolean): Promise<void> {
    const config = this.#config.current;
    const own = [config.stateDir, config.mountRoot];
    if (own.some((root) => isAtOrBelow(real, root) || isAtOrBelow(root, real))) {
      throw new VolplexError('InvalidParameter', `device ${device} overlaps volplex's own directories (${own.join(', ')})`);
    }
    const allowed = config.backends.local.allowedRoots;
    const roots = await Promise.all(allowed.map(async (root) => (await this.#mounter.realpath(root)) ?? root));
    if (!roots.some((root) => isAtOrBelow(real, root))) {
      const resolved = real === device ? '' : ` (resolves to ${real})`;
      throw new VolplexError('InvalidParameter', `device ${device}${resolved} is outside the allowed roots: ${allowed.join(', ')} (backends.local.allowedRoots)`);
    }
    if (atCreate) {
      await assertDeviceOnHost(config.deployment, device, real);
    }
  }
}

function isAtOrBelow(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}
