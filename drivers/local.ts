import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import { quote } from '../src/base/quote.js';
import type { VolplexConfig } from '../src/config/config.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { errnoCode, VolplexError } from '../src/core/errors.js';
import { ABSOLUTE_PATH, booleanOption, isTrue } from '../src/core/option-checks.js';
import type { OptionTable } from '../src/core/option-table.js';
import { userPathError } from '../src/core/path-errors.js';
import type { FileIdentity, Mounter } from '../src/system/mounter.js';

/** A directory that passed the checks: its real path and the identity of the very inode checked. */
interface CheckedDirectory extends FileIdentity {
  readonly path: string;
}

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

  /**
   * Binds the checked directory, then proves the mount shows that very directory: a symlink
   * swapped into the path between the check and `mount --bind` would bind something else.
   */
  public async mount(volume: Volume, target: string): Promise<void> {
    const device = volume.options.device;
    const checked = device === undefined ? await this.#checkManaged(volume.name) : await this.#resolveDevice(device, false);
    await this.#mounter.mount(checked.path, target, '', isTrue(volume.options.ro) ? ['bind', 'ro'] : ['bind']);
    const bound = await this.#mounter.identify(target).catch(() => undefined);
    if (bound?.dev !== checked.dev || bound.ino !== checked.ino) {
      await this.#mounter.unmount(target, true);
      throw new VolplexError('Conflict', `device ${quote(device ?? checked.path)} changed while it was being mounted (was a symlink swapped into its path?); nothing was mounted`);
    }
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

  async #checkManaged(name: string): Promise<CheckedDirectory> {
    const path = this.#managedDirectory(name);
    const found = await lstat(path).catch((error: unknown) => { throw VolplexError.wrap(error, `managed directory ${path}`); });
    if (!found.isDirectory()) {
      throw new VolplexError('System', `managed directory ${path} is not a directory`);
    }
    return { path, dev: found.dev, ino: found.ino };
  }

  /** The device's real path, checked against the allowed roots after every symlink is followed. */
  async #resolveDevice(device: string, create: boolean): Promise<CheckedDirectory> {
    let real = await realpathOrMissing(device);
    if (real === undefined) {
      if (!create) {
        throw new VolplexError('InvalidParameter', `device ${quote(device)} does not exist; create it first or pass -o create=true`);
      }
      await this.#assertAllowed(join(await realExistingAncestor(device), device.slice(dirname(device).length)), device);
      await mkdir(device, { recursive: true, mode: 0o755 }).catch((error: unknown) => { throw userPathError(error, 'device', device); });
      real = await realpath(device).catch((error: unknown) => { throw userPathError(error, 'device', device); });
    }
    await this.#assertAllowed(real, device);
    return openChecked(real, device);
  }

  async #assertAllowed(real: string, device: string): Promise<void> {
    const own = [this.#config.stateDir, this.#config.mountRoot];
    if (own.some((root) => isAtOrBelow(real, root) || isAtOrBelow(root, real))) {
      throw new VolplexError('InvalidParameter', `device ${quote(device)} overlaps volplex's own directories (${own.join(', ')})`);
    }
    const roots = await Promise.all(this.#config.backends.local.allowedRoots.map((root) => realpath(root).catch(() => root)));
    if (!roots.some((root) => isAtOrBelow(real, root))) {
      const resolved = real === device ? '' : ` (resolves to ${quote(real)})`;
      throw new VolplexError('InvalidParameter', `device ${quote(device)}${resolved} is outside the allowed roots: ${this.#config.backends.local.allowedRoots.join(', ')} (backends.local.allowedRoots)`);
    }
  }
}

async function realpathOrMissing(device: string): Promise<string | undefined> {
  try {
    return await realpath(device);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      return undefined;
    }
    throw userPathError(error, 'device', device);
  }
}

/**
 * Opens the checked path (never following a last symlink) and asks the kernel what was opened:
 * a path swapped since realpath shows up as another name. The identity is of that inode.
 */
async function openChecked(real: string, device: string): Promise<CheckedDirectory> {
  const handle = await open(real, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOTDIR') {
      throw new VolplexError('InvalidParameter', `device ${quote(device)} is not a directory`);
    }
    throw userPathError(error, 'device', device);
  });
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`);
    if (opened !== real) {
      throw new VolplexError('Conflict', `device ${quote(device)} changed while it was being checked (it resolved to ${quote(real)}, then to ${quote(opened)}); try again`);
    }
    const { dev, ino } = await handle.stat();
    return { path: real, dev, ino };
  } finally {
    await handle.close();
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
