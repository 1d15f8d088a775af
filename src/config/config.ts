export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An access key kept in the configuration, never in `docker volume create -o`. One secret source. */
export interface CredentialProfile {
  readonly accessKeyId: string;
  readonly accessKeySecret?: string;
  readonly accessKeySecretFile?: string;
  readonly accessKeySecretEnv?: string;
}

/** What volplex does with a secret given as `-o` (dockerd keeps every option in plain text). */
export const INLINE_SECRETS_POLICIES = ['allow', 'warn', 'refuse'] as const;
export type InlineSecretsPolicy = (typeof INLINE_SECRETS_POLICIES)[number];

/** How volplex was installed: on the host, as the docker-compose container, or as a managed plugin. */
export const DEPLOYMENTS = ['host', 'container', 'plugin'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

export interface ObjectStoreBackendConfig {
  /** The FUSE client to run: s3fs, ossfs, or a path to one. */
  readonly binary: string;
  readonly url: string;
  readonly credentials: string;
}

export const STORE_KINDS = ['sqlite', 'etcd'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The etcd cluster the hosts share: endpoints, key prefix, this host's lease TTL, TLS files (paths only). */
export interface EtcdStoreConfig {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly leaseTtl: number;
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
}

/** The daemon's settings, after defaults, YAML files and environment were merged and checked. */
export interface VolplexConfig {
  readonly socket: string;
  readonly stateDir: string;
  readonly mountRoot: string;
  readonly scope: 'local' | 'global';
  /** This host among the hosts sharing a store: never empty after loading (the hostname by default). */
  readonly hostId: string;
  readonly store: { readonly kind: StoreKind; readonly etcd: EtcdStoreConfig };
  /** container and plugin: local devices must lie on a mount from the host, not on volplex's own root filesystem. */
  readonly deployment: Deployment;
  readonly defaultType: string;
  /** Seconds any external command may run before its process group is killed. */
  readonly commandTimeout: number;
  /** Seconds: the period of the background probe of held mounts, and how long one probe may take. */
  readonly health: { readonly interval: number; readonly probeTimeout: number };
  readonly log: { readonly level: LogLevel };
  readonly backends: {
    readonly local: { readonly allowedRoots: readonly string[] };
    readonly glusterfs: { readonly servers: readonly string[]; readonly mountOptions: readonly string[] };
    readonly s3fs: ObjectStoreBackendConfig & { readonly pathStyle: boolean };
    readonly ossfs: ObjectStoreBackendConfig;
    readonly nfs: { readonly server: string; readonly version: '3' | '4' | '4.0' | '4.1' | '4.2'; readonly mountOptions: readonly string[] };
  };
  /** Crash recovery: where to learn which running containers hold a volume, and how often to look. */
  readonly docker: { readonly socket: string; readonly checkInterval: number; readonly staleGrace: number; readonly newLifetimeAtStart: boolean };
  /** `listen`: host:port or a unix socket path for GET /metrics; '' for none. */
  readonly metrics: { readonly listen: string };
  readonly credentials: Readonly<Record<string, CredentialProfile>>;
  readonly security: { readonly inlineSecrets: InlineSecretsPolicy };
}

/** What Capabilities answers: with a shared store one name means one volume on every host. */
export function capabilityScope(config: Pick<VolplexConfig, 'scope' | 'store'>): 'local' | 'global' {
  return config.store.kind === 'etcd' ? 'global' : config.scope;
}
