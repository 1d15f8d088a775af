import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import type { VolplexConfig } from '../src/config/config.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { VolplexError } from '../src/core/errors.js';
import { ABSOLUTE_PATH, booleanOption, isTrue } from '../src/core/option-checks.js';
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
      grammar: ABSOLUTE_PATH,
      normalize: (value) => normalize(value).replace(/(.)\/$/, '$1'),
    },
    booleanOption('create', 'make the device directory if it is missing', false),
    booleanOption('ro', 'mount read-only', false),
  ];

  readonly #config: VolplexConfig;
  readonly #mounter: Mounter;

  public constructor(@inject(TOKENS.config) config: VolplexConfig, @inject(TOKENS.mounter) mounter: Mounter) {
    this.#config = config;
    this.#mounter = mounter;
  }

  public async prepare(volume: Volume): Promise<void> {
    const device = volume.options.device;
    if (device === undefined) {
      await mkdir(this.#managedDirectory(volume.name), { recursive: true, mode: 0o755 });
      return;
    }
    await this.#resolveDevice(device, isTrue(volume.options.create));
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
    const source = device === undefined ? this.#managedDirectory(volume.name) : await this.#resolveDevice(device, false);
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
    return join(this.#config.stateDir, 'volumes', name);
  }

  /** The device's real path, checked against the allowed roots after every symlink is followed. */
  async #resolveDevice(device: string, create: boolean): Promise<string> {
    let real = await realpath(device).catch(() => undefined);
    if (real === undefined) {
      if (!create) {
        throw new VolplexError('InvalidParameter', `device ${device} does not exist; create it first or pass -o create=true`);
      }
      await this.#assertAllowed(join(await realExistingAncestor(device), device.slice(dirname(device).length)), device);
      await mkdir(device, { recursive: true, mode: 0o755 });
      real = await realpath(device);
    }
    await this.#assertAllowed(real, device);
    if (!(await stat(real)).isDirectory()) {
      throw new VolplexError('InvalidParameter', `device ${device} is not a directory`);
    }
    return real;
  }

  async #assertAllowed(real: string, device: string): Promise<void> {
    const own = [this.#config.stateDir, this.#config.mountRoot];
    if (own.some((root) => isAtOrBelow(real, root) || isAtOrBelow(root, real))) {
      throw new VolplexError('InvalidParameter', `device ${device} overlaps volplex's own directories (${own.join(', ')})`);
    }
    const roots = await Promise.all(this.#config.backends.local.allowedRoots.map((root) => realpath(root).catch(() => root)));
    if (!roots.some((root) => isAtOrBelow(real, root))) {
      const resolved = real === device ? '' : ` (resolves to ${real})`;
      throw new VolplexError('InvalidParameter', `device ${device}${resolved} is outside the allowed roots: ${this.#config.backends.local.allowedRoots.join(', ')} (backends.local.allowedRoots)`);
    }
  }
}

function isAtOrBelow(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** The real path of the nearest existing ancestor, then the rest of `path` as written. */
async function realExistingAncestor(path: string): Promise<string> {
  const parent = dirname(path);
  const real = await realpath(parent).catch(() => undefined);
  if (real !== undefined || parent === path) {
    return real ?? parent;
  }
  return join(await realExistingAncestor(parent), basename(parent));
}
