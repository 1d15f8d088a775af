import type { VolumeOptions } from '../core/option-table.js';

/** Who may mount a volume at once: any number of hosts, or one host at a time (fenced by the shared store). */
export const ACCESS_MODES = ['multi', 'single-writer'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** A volume as created: the options exactly as the user gave them (minus `type` and `access`). */
export interface DeleteOptions {
  /** The record holds an inline secret (-o ak_secret=…): no copy of it may stay in any file. Default true. */
  readonly holdsSecrets?: boolean;
}

export interface VolumeRecord {
  readonly name: string;
  readonly type: string;
  readonly options: VolumeOptions;
  /** RFC 3339. */
  readonly createdAt: string;
  /** Absent: multi. */
  readonly access?: 'single-writer';
  /** The host that created it, when a store is shared by many hosts (its hostId). */
  readonly host?: string;
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

/** What the hosts sharing a store do with one volume, as this host last heard it. */
export interface VolumeSharing {
  /** Hosts that hold a mount of it, this one included, by name. */
  readonly mountedOn: readonly string[];
  /** A single-writer volume's holder, and how long its lease has left (while known). */
  readonly owner?: { readonly host: string; readonly expiresInSeconds?: number };
  /** RFC 3339: the shared store has not answered since then; reads come from this host's cache. */
  readonly unreachableSince?: string;
  /** This host's hold that the shared store does not show (a lease that expired while mounted here). */
  readonly conflict?: string;
}

/**
 * Durable volume records and mount references. Reads answer from memory, at once. Writes
 * return once durable: references in this host's own database (they survive kill -9), and
 * with a store shared by many hosts the records, and which hosts use a volume, there too.
 * Errors are VolplexErrors: Conflict, NotFound, and Unavailable when a shared store cannot
 * be reached.
 */
export interface Store {
  /** The host this store speaks for among many (config hostId); undefined for a store of one host. */
  readonly hostId: string | undefined;
  /** Changes whenever a volume is added or removed or the backend it holds changes: all List shows. */
  listVersion(): number;
  /** The same object until the record changes: callers may cache what they derive from it. */
  getVolume(name: string): VolumeRecord | undefined;
  listVolumes(): readonly VolumeRecord[];
  /** Adds the record if no volume has its name; else changes nothing and returns the one there (made by another host, maybe not yet seen here). */
  insertVolume(record: VolumeRecord): Promise<VolumeRecord | undefined>;
  /**
   * Removes the volume and, by `removeOwnedData`, what it owns on this host: never one without
   * the other being allowed. Throws Conflict while references remain, on any host. Afterwards
   * the volume's secret options (`holdsSecrets`, the default) are in no file of this host's store.
   */
  deleteVolume(name: string, removeOwnedData: () => Promise<void>, options?: DeleteOptions): Promise<void>;
  usage(name: string): VolumeUsage;
  /**
   * Before a volume's first reference on this host: takes what the volume's access mode asks
   * for. A single-writer volume held by another host is a Conflict naming it; a volume removed
   * on another host is NotFound; Unavailable when the holder cannot be checked.
   */
  claim(name: string): Promise<void>;
  /** After a Mount that failed before its first reference was counted: gives back what claim took. */
  unclaim(name: string): Promise<void>;
  /** Counts one more reference from mount ID `id` in the current dockerd lifetime; the volume now holds backend `backendKey`. */
  addReference(name: string, id: string, backendKey: string): Promise<void>;
  /** Drops one reference of mount ID `id`, from its latest lifetime first. Never fails for a shared store out of reach: it learns later. */
  releaseReference(name: string, id: string): Promise<ReleaseResult>;
  /** The volume's counts, one row per mount ID and lifetime. */
  references(name: string): MountReference[];
  /** Forgets up to `count` references of mount ID `id` counted in `lifetime` (no live container holds them). */
  dropReference(name: string, id: string, lifetime: number, count: number): Promise<ReleaseResult>;
  /** The current dockerd lifetime: the number of Plugin.Activate calls seen, 0 before the first. */
  dockerLifetime(): number;
  /** Plugin.Activate: dockerd (re)started. Returns the new lifetime. This host's own fact: written before it returns. */
  beginDockerLifetime(): number;
  /** Number of volumes holding the backend mount. */
  backendUsers(backendKey: string): number;
  /** Backend keys held by at least one volume, with those volumes. */
  heldBackends(): Map<string, string[]>;
  /** Volumes per type and references in all: one read, for the metrics. */
  counts(): StoreCounts;
  /** Forgets every reference to a backend mount that no longer exists; returns the volumes affected. */
  dropBackend(backendKey: string): Promise<string[]>;
  /** What the hosts sharing the store do with the volume, for Status; undefined for a store of one host. */
  sharing(name: string): VolumeSharing | undefined;
  close(): void;
}
