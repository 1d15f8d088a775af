import type { Ownership } from '../system/mount-probe.js';
import type { OptionTable, VolumeOptions } from './option-table.js';

/** A volume as drivers see it: options already checked against the table, defaults applied. */
export interface Volume {
  readonly name: string;
  readonly type: string;
  readonly options: VolumeOptions;
}

/** What a volume needs mounted; derived from its options alone, without I/O. */
export interface MountPlan {
  /** Names the backend mount. Volumes whose plans share a key share one real mount. */
  readonly key: string;
  /** The volume's Mountpoint relative to the backend mount; '' is the mount itself. */
  readonly subdir: string;
  /** Make a missing subdir on first mount instead of failing. */
  readonly createSubdir: boolean;
  /** Owner and mode of the subdir when volplex makes it (an existing one is left as it is). */
  readonly ownership?: Ownership;
  /** Facts for `docker volume inspect` Status. Never a secret. */
  readonly details: Readonly<Record<string, string>>;
}

/**
 * One storage backend. Drivers are stateless: counting, locking and persistence
 * belong to the core. Errors are VolplexErrors whose messages hold no secret.
 */
export interface VolumeDriver {
  readonly type: string;
  readonly aliases: readonly string[];
  readonly options: OptionTable;
  /** At Create, after the option table passed: checks what needs I/O and prepares owned data. */
  prepare(volume: Volume): Promise<void>;
  plan(volume: Volume): MountPlan;
  /** Mounts the plan's backend at target, an existing empty directory; leaves nothing mounted on failure. */
  mount(volume: Volume, target: string): Promise<void>;
  /** After the backend mount named by key is gone: removes what mount() left beside it. */
  cleanup(key: string): Promise<void>;
  /** At Remove: deletes data the volume owns; never user data named by an option. */
  remove(volume: Volume): Promise<void>;
}
