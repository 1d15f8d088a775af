/** Where one volume is, for asking who holds it. */
export interface VolumeLocation {
  readonly name: string;
  /** The backend mount's directory under the mount root (`<mountRoot>/<type>-<hash>`). */
  readonly backendTarget: string;
  /** The volume's Mountpoint relative to the backend mount; '' is the mount itself. */
  readonly subdir: string;
}

/** One container mount point that has the volume bound. */
export interface Holder {
  /** The container's name (Docker API) or the first 12 digits of its ID (kernel scan). */
  readonly container: string;
  /** Where the container sees the volume. */
  readonly destination: string;
}

export type HolderSource = 'docker' | 'kernel';

export type HolderReport =
  | {
      readonly known: true;
      readonly source: HolderSource;
      /** The holders of each volume asked about; undefined where this source cannot tell. */
      readonly holders: ReadonlyMap<string, readonly Holder[] | undefined>;
      /** What answered, for the log and doctor ("Docker API at /var/run/docker.sock"). */
      readonly detail: string;
    }
  | { readonly known: false; readonly reason: string };

/**
 * Who really holds a volume: the running containers that have its Mountpoint bound. Used to
 * drop references a crashed dockerd left behind, and never to invent one.
 */
export interface HolderFinder {
  /**
   * The holders of each volume, from the first source that can tell, or `known: false` with
   * the reason when none can (then nothing may be dropped). Never throws; bounded in time.
   */
  find(volumes: readonly VolumeLocation[]): Promise<HolderReport>;
}
