import { lstat, mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';

import { inject, injectable } from 'inversify';

import { TOKENS } from '../src/app/tokens.js';
import { quote } from '../src/base/quote.js';
import type { LiveConfig } from '../src/config/live-config.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { errnoCode, VolplexError } from '../src/core/errors.js';
import { assertDeviceOnHost } from '../src/core/host-bind-check.js';
import { ABSOLUTE_PATH, booleanOption, isTrue } from '../src/core/option-checks.js';
import type { OptionTable } from '../src/core/option-table.js';
import { givenOwnership, ownershipOf, ownershipOptions } from '../src/core/ownership.js';
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
    ...ownershipOptions('the managed directory (no device), set when it is made'),
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
      // Owner and mode are the volume's, set once here; the volumes directory above stays volplex's.
      await mkdir(dirname(this.#managedDirectory(volume.name)), { recursive: true, mode: 0o755 });
      await this.#mounter.makeDirectory(this.#managedDirectory(volume.name), ownershipOf(volume.options));
      return;
    }
    const given = givenOwnership(volume.options);
    if (given !== '') {
      throw new VolplexError('InvalidParameter', `option(s) ${given} for type local apply only to a managed volume (without device): volplex sets them on the directory it makes; change the owner of device ${quote(device)} on the host instead`);
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

  /**
   * Binds the checked directory, then proves the mount shows that very directory: a symlink
   * swapped into the path between the check and `mount --bind` would bind something else.
   */
  public async mount(volume: Volume, target: string): Promise<void> {
    const device = volume.options.device;
    const checked = device === undefined ? await this.#checkManaged(volume.name) : await this.#resolveDevice(device, false, false);
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
    return join(this.#config.current.stateDir, 'volumes', name);
  }

  /** The managed directory lies in the state dir, on a local filesystem. */
  async #checkManaged(name: string): Promise<CheckedDirectory> {
    const path = this.#managedDirectory(name);
    const found = await lstat(path).catch((error: unknown) => { throw VolplexError.wrap(error, `managed directory ${path}`); });
    if (!found.isDirectory()) {
      throw new VolplexError('System', `managed directory ${path} is not a directory`);
    }
    return { path, dev: found.dev, ino: found.ino };
  }

  /**
   * The device's real path, checked against the allowed roots after every symlink is
   * followed; at Create also that it is on a mount from the host (in a container or
   * plugin), before anything is made. The Mounter looks at it: a device may lie on a
   * network mount of the host.
   */
  async #resolveDevice(device: string, create: boolean, atCreate: boolean): Promise<CheckedDirectory> {
    let real = await this.#mounter.realpath(device).catch((error: unknown) => { throw userPathError(error, 'device', device); });
    if (real === undefined) {
      if (!create) {
        throw new VolplexError('InvalidParameter', `device ${quote(device)} does not exist; create it first or pass -o create=true`);
      }
      await this.#assertAllowed(join(await this.#realExistingAncestor(device), device.slice(dirname(device).length)), device, atCreate);
      await this.#mounter.makeDirectory(device).catch((error: unknown) => { throw userPathError(error, 'device', device); });
      real = await this.#mounter.realpath(device).catch((error: unknown) => { throw userPathError(error, 'device', device); });
      if (real === undefined) {
        throw new VolplexError('Conflict', `device ${quote(device)} vanished right after it was created; try again`);
      }
    }
    await this.#assertAllowed(real, device, atCreate);
    return this.#openChecked(real, device);
  }

  /**
   * Opens the checked path (never following a last symlink) and asks the kernel what was
   * opened: a path swapped since realpath shows up as another name. The identity is of that inode.
   */
  async #openChecked(real: string, device: string): Promise<CheckedDirectory> {
    const opened = await this.#mounter.openDirectory(real).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOTDIR') {
        throw new VolplexError('InvalidParameter', `device ${quote(device)} is not a directory`);
      }
      throw userPathError(error, 'device', device);
    });
    if (opened.path !== real) {
      throw new VolplexError('Conflict', `device ${quote(device)} changed while it was being checked (it resolved to ${quote(real)}, then to ${quote(opened.path)}); try again`);
    }
    return { path: real, dev: opened.dev, ino: opened.ino };
  }

  /** The real path of the nearest existing ancestor, then the rest of `path` as written. */
  async #realExistingAncestor(path: string): Promise<string> {
    const parent = dirname(path);
    const real = await this.#mounter.realpath(parent).catch(() => undefined);
    if (real !== undefined || parent === path) {
      return real ?? parent;
    }
    return join(await this.#realExistingAncestor(parent), basename(parent));
  }

  async #assertAllowed(real: string, device: string, atCreate: boolean): Promise<void> {
    const config = this.#config.current;
    const own = [config.stateDir, config.mountRoot];
    if (own.some((root) => isAtOrBelow(real, root) || isAtOrBelow(root, real))) {
      throw new VolplexError('InvalidParameter', `device ${quote(device)} overlaps volplex's own directories (${own.join(', ')})`);
    }
    const allowed = config.backends.local.allowedRoots;
    const roots = await Promise.all(allowed.map(async (root) => (await this.#mounter.realpath(root).catch(() => undefined)) ?? root));
    if (!roots.some((root) => isAtOrBelow(real, root))) {
      const resolved = real === device ? '' : ` (resolves to ${quote(real)})`;
      throw new VolplexError('InvalidParameter', `device ${quote(device)}${resolved} is outside the allowed roots: ${allowed.join(', ')} (backends.local.allowedRoots)`);
    }
    if (atCreate) {
      await assertDeviceOnHost(config.deployment, device, real);
    }
  }
}

function isAtOrBelow(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}
