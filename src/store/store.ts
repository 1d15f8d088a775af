import type { VolumeOptions } from '../core/option-table.js';

/** A volume as created: the options exactly as the user gave them (minus `type`). */
export interface VolumeRecord {
  readonly name: string;
  readonly type: string;
  readonly options: VolumeOptions;
  /** RFC 3339. */
  readonly createdAt: string;
}

/** How a volume is in use: the sum of its mount-ID references, and the backend mount they hold. */
export interface VolumeUsage {
  readonly references: number;
  readonly mountIds: number;
  readonly backendKey: string | null;
}

/** Mount ID `id` counted `count` times during one dockerd lifetime. */
export interface MountReference {
  readonly id: string;
  /** The dockerd lifetime the Mounts were counted in: the number of Plugin.Activate calls seen before them. */
  readonly lifetime: number;
  readonly count: number;
  /** When the last of them was counted, in ms since 1970. */
  readonly changedAt: number;
}

export interface ReleaseResult {
  /** False when the ID held no reference: nothing changed. */
  readonly released: boolean;
  readonly volumeReferences: number;
  /** Volumes still holding the backend mount after this release. */
  readonly backendUsers: number;
  readonly backendKey: string | null;
}

/** Totals for the metrics' gauges. */
export interface StoreCounts {
  readonly volumesByType: ReadonlyMap<string, number>;
  /** References over all volumes. */
  readonly references: number;
}

/**
 * Durable volume records and mount references. Every method is one transaction,
 * committed before it returns.
 */
export interface Store {
  /** Changes whenever a volume is added or removed or the backend it holds changes: all List shows. */
  listVersion(): number;
  /** The same object until the record changes: callers may cache what they derive from it. */
  getVolume(name: string): VolumeRecord | undefined;
  listVolumes(): readonly VolumeRecord[];
  /** Throws if the name exists. */
  insertVolume(record: VolumeRecord): void;
  /** Throws Conflict while references remain. Afterwards the volume's options are in no file of the store. */
  deleteVolume(name: string): void;
  usage(name: string): VolumeUsage;
  /** Counts one more reference from mount ID `id` in the current dockerd lifetime; the volume now holds backend `backendKey`. */
  addReference(name: string, id: string, backendKey: string): void;
  /** Drops one reference of mount ID `id`, from its latest lifetime first. */
  releaseReference(name: string, id: string): ReleaseResult;
  /** The volume's counts, one row per mount ID and lifetime. */
  references(name: string): MountReference[];
  /** Forgets up to `count` references of mount ID `id` counted in `lifetime` (no live container holds them). */
  dropReference(name: string, id: string, lifetime: number, count: number): ReleaseResult;
  /** The current dockerd lifetime: the number of Plugin.Activate calls seen, 0 before the first. */
  dockerLifetime(): number;
  /** Plugin.Activate: dockerd (re)started. Returns the new lifetime. */
  beginDockerLifetime(): number;
  /** Number of volumes holding the backend mount. */
  backendUsers(backendKey: string): number;
  /** Backend keys held by at least one volume, with those volumes. */
  heldBackends(): Map<string, string[]>;
  /** Volumes per type and references in all: one read, for the metrics. */
  counts(): StoreCounts;
  /** Forgets every reference to a backend mount that no longer exists; returns the volumes affected. */
  dropBackend(backendKey: string): string[];
  close(): void;
}
