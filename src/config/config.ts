export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The daemon's settings, after defaults, YAML files and environment were merged and checked. */
export interface VolplexConfig {
  readonly socket: string;
  readonly stateDir: string;
  readonly mountRoot: string;
  readonly scope: 'local' | 'global';
  readonly defaultType: string;
  /** Seconds any external command may run before its process group is killed. */
  readonly commandTimeout: number;
  readonly log: { readonly level: LogLevel };
  readonly backends: {
    readonly local: { readonly allowedRoots: readonly string[] };
    readonly glusterfs: { readonly servers: readonly string[]; readonly mountOptions: readonly string[] };
  };
}
