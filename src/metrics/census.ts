/** One held backend mount as the gauges show it: `key` is its directory name under the mount root (`glusterfs-<hash>`), never its options. */
export interface BackendCensus {
  readonly type: string;
  readonly key: string;
  /** From the last probe; undefined before the first. */
  readonly healthy: boolean | undefined;
}

/** What the gauges show, counted when Prometheus scrapes (never on a request's path). */
export interface Census {
  /** Volumes per backend type, every registered type included (0 when it has none). */
  readonly volumes: ReadonlyMap<string, number>;
  /** Backend mounts held per type, every registered type included. */
  readonly mounts: ReadonlyMap<string, number>;
  /** References counted over all volumes (Status `references`, summed). */
  readonly references: number;
  readonly backends: readonly BackendCensus[];
}
