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

export interface ReleaseResult {
  /** False when the ID held no reference: nothing changed. */
  readonly released: boolean;
  readonly volumeReferences: number;
  /** Volumes still holding the backend mount after this release. */
  readonly backendUsers: number;
  readonly backendKey: string | null;
}

/**
 * Durable volume records and mount references. Every method is one transaction,
 * committed before it returns.
 */
export interface Store {
  getVolume(name: string): VolumeRecord | undefined;
  listVolumes(): VolumeRecord[];
  /** Throws if the name exists. */
  insertVolume(record: VolumeRecord): void;
  /** Throws Conflict while references remain. Afterwards the volume's options are in no file of the store. */
  deleteVolume(name: string): void;
  usage(name: string): VolumeUsage;
  /** Counts one more reference from mount ID `id`; the volume now holds backend `backendKey`. */
  addReference(name: string, id: string, backendKey: string): void;
  releaseReference(name: string, id: string): ReleaseResult;
  /** Number of volumes holding the backend mount. */
  backendUsers(backendKey: string): number;
  /** Backend keys held by at least one volume, with those volumes. */
  heldBackends(): Map<string, string[]>;
  /** Forgets every reference to a backend mount that no longer exists; returns the volumes affected. */
  dropBackend(backendKey: string): string[];
  close(): void;
}
