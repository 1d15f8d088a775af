import type { RunOptions } from './command-runner.js';
import type { Ownership, PathKind } from './mount-probe.js';
import type { MountEntry } from './mountinfo.js';

/** mounted: listed by the kernel and answering; stale: listed but its server or FUSE process is gone. */
export type MountState = 'mounted' | 'stale' | 'absent';

/** Which file a path leads to: two paths with the same identity are the same directory. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export interface InspectOptions {
  readonly mountPoint?: string;
  readonly deadlineMs?: number;
}

export interface MountCheck {
  readonly state: MountState;
  /** Why a stale mount is taken for dead ("no answer within 5 s", "Transport endpoint is not connected"). */
  readonly reason?: string;
}

/**
 * Kernel mounts, and every look at a path that may lie on a network or FUSE mount.
 * Implementations run commands only through the CommandRunner, and never make a call in
 * the daemon's process that could block on a dead filesystem.
 */
export interface Mounter {
  /**
   * `mount [-t fstype] [-o options] source target`. Values in `sensitive` are masked in
   * every error. Rejects with a VolplexError naming the command and its output.
   */
  mount(source: string, target: string, fstype: string, options: readonly string[], sensitive?: readonly string[]): Promise<void>;
  /**
   * Runs a FUSE client that mounts target itself (`s3fs bucket target -o …`), through the
   * CommandRunner with the given options, then reads the mount table for the result.
   */
  mountWithClient(file: string, args: readonly string[], target: string, options?: RunOptions): Promise<void>;
  /** Detaches target. `lazy` detaches even a busy or dead mount at once (umount -f -l). Succeeds if target is not mounted. */
  unmount(target: string, lazy: boolean): Promise<void>;
  /**
   * After a failed mount, or to replace a dead one: detaches whatever is at target and
   * ends the FUSE client processes whose command line names target (a client that waits
   * on a dead server would otherwise mount there later, or live forever).
   */
  abandon(target: string): Promise<void>;
  /**
   * Whether target is a mount point (from the mount table) and, for a network or FUSE
   * mount, whether it still answers (a killable child, bounded by the probe timeout).
   */
  probe(target: string): Promise<MountCheck>;
  /** Whether the mount table lists target, from a read made for this call (or our own mount or umount since). */
  isListed(target: string): Promise<boolean>;
  /**
   * The identity of what path shows now: for a bind mount target, the directory bound there.
   * Only for local paths (a bind of a local directory): never a network or FUSE mount.
   */
  identify(path: string): Promise<FileIdentity>;
  /** The kernel's mounts strictly below root, from one fresh read of the table. */
  listBelow(root: string): Promise<MountEntry[]>;
  /**
   * What path is; rejects Unavailable when the filesystem holding it does not answer in
   * time. `mountPoint` names the mount holding path when the caller knows it (a FUSE
   * mount just made by its client); `deadlineMs` replaces the probe timeout.
   */
  inspect(path: string, options?: InspectOptions): Promise<PathKind>;
  /** `mkdir -p` with the given owner and mode (default 0755, the daemon's owner). */
  makeDirectory(path: string, ownership?: Ownership): Promise<void>;
  /**
   * Opens the directory at path without following a last symlink and says what the kernel
   * opened: its name (another one if a component was swapped meanwhile) and identity.
   * Rejects with code ENOTDIR when it is not a directory.
   */
  openDirectory(path: string): Promise<FileIdentity & { readonly path: string }>;
  /** The path with every symlink followed, or undefined when it does not exist (other errors reject). */
  realpath(path: string): Promise<string | undefined>;
  /** Probe children killed at their deadline that have not died (stuck in the kernel). */
  readonly stuckProbes: number;
}
