import type { MountEntry } from './mountinfo.js';

/** mounted: listed by the kernel and answering; stale: listed but its server or FUSE process is gone. */
export type MountState = 'mounted' | 'stale' | 'absent';

/** Which file a path leads to: two paths with the same identity are the same directory. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** Kernel mounts. Implementations run commands only through the CommandRunner. */
export interface Mounter {
  /**
   * `mount [-t fstype] [-o options] source target`. Values in `sensitive` are masked in
   * every error. Rejects with a VolplexError naming the command and its output.
   */
  mount(source: string, target: string, fstype: string, options: readonly string[], sensitive?: readonly string[]): Promise<void>;
  /** Detaches target. `lazy` detaches even a busy or dead mount at once (umount -f -l). Succeeds if target is not mounted. */
  unmount(target: string, lazy: boolean): Promise<void>;
  /**
   * After a failed mount: detaches whatever it left at target and ends the FUSE client
   * processes whose command line names target (a client that daemonized and still waits
   * on a dead server would otherwise mount there later, or live forever).
   */
  abandon(target: string): Promise<void>;
  /** Whether target is a mount point and whether it still answers. Never hangs past the command timeout. */
  probe(target: string): Promise<MountState>;
  /**
   * The identity of what path shows now: for a bind mount target, the directory bound there.
   * Only for local paths (a bind of a local directory): never a network or FUSE mount.
   */
  identify(path: string): Promise<FileIdentity>;
  /** The kernel's mounts strictly below root. */
  listBelow(root: string): Promise<MountEntry[]>;
}
