import { isAbsolute, normalize } from 'node:path';

import convict from 'convict';

import { quote } from '../base/quote.js';
import { mountOptionProblem } from '../core/mount-options.js';
import { parseListenAddress } from '../metrics/listen-address.js';
import { ABSOLUTE_PATH, grammarProblem, HOST, HTTP_URL, integer, oneOf, type Grammar } from '../core/option-checks.js';
import { DEPLOYMENTS, INLINE_SECRETS_POLICIES, LOG_LEVELS, STORE_KINDS } from './config.js';

// A unix socket path must fit sockaddr_un.sun_path (108 bytes with the NUL).
const MAX_SOCKET_PATH = 107;

// Above this dockerd (60 s for Unmount/Remove) would give up before the command does.
const MAX_COMMAND_TIMEOUT = 55;

function assertAbsolute(value: unknown): void {
  const clean = typeof value === 'string' && isAbsolute(value) && !value.includes('\0') &&
    (value === '/' || (normalize(value) === value && !value.endsWith('/')));
  if (!clean) {
    throw new Error('must be a clean absolute path such as /var/lib/volplex');
  }
}

convict.addFormat({ name: 'absolute-path', validate: assertAbsolute });

convict.addFormat({
  name: 'state-dir',
  validate: (value: unknown) => {
    assertAbsolute(value);
    // Paths below it (client logs, passwd files) go into mount option lists.
    const problem = grammarProblem(ABSOLUTE_PATH, value as string, true);
    if (problem !== undefined) {
      throw new Error(`must be a clean absolute path: it ${problem}`);
    }
  },
});


convict.addFormat({
  name: 'command-timeout',
  validate: (value: unknown) => {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_COMMAND_TIMEOUT) {
      throw new Error(`must be a whole number of seconds from 1 to ${MAX_COMMAND_TIMEOUT}`);
    }
  },
  coerce: (value: string) => Number(value),
});

convict.addFormat({
  name: 'probe-seconds',
  validate: (value: unknown) => {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 3600) {
      throw new Error('must be a whole number of seconds from 1 to 3600');
    }
  },
  coerce: (value: string) => Number(value),
});

convict.addFormat({
  name: 'socket-path',
  validate: (value: unknown) => {
    assertAbsolute(value);
    if (Buffer.byteLength(value as string) > MAX_SOCKET_PATH) {
      throw new Error(`must be at most ${MAX_SOCKET_PATH} bytes (a unix socket path limit)`);
    }
  },
});

convict.addFormat({
  name: 'socket-path-or-empty',
  validate: (value: unknown) => {
    if (value !== '') {
      try {
        assertAbsolute(value);
      } catch {
        throw new Error('must be a clean absolute path to a unix socket such as /var/run/docker.sock, or empty');
      }
    }
  },
});

convict.addFormat({
  name: 'seconds',
  validate: (value: unknown) => {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 86_400) {
      throw new Error('must be a whole number of seconds from 0 to 86400');
    }
  },
  coerce: (value: string) => Number(value),
});

/** The mount.glusterfs options a volume or the configuration may set, with their grammars. */
export const GLUSTERFS_MOUNT_OPTIONS: Readonly<Record<string, Grammar>> = {
  'log-level': oneOf('CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG', 'TRACE', 'NONE'),
  'server-port': integer(1, 65535),
  transport: oneOf('tcp', 'rdma'),
  'attribute-timeout': integer(0, 9999),
  'entry-timeout': integer(0, 9999),
  'negative-timeout': integer(0, 9999),
  'direct-io-mode': oneOf('enable', 'disable', 'auto'),
  'fetch-attempts': integer(0, 999),
  'reader-thread-count': integer(0, 99),
};

/** NFS mount options with values, and the flags allowed without one. */
export const NFS_MOUNT_OPTIONS: Readonly<Record<string, Grammar>> = {
  timeo: integer(0, 99999),
  retrans: integer(0, 999),
  rsize: integer(1024, 1048576),
  wsize: integer(1024, 1048576),
  nconnect: integer(1, 16),
  port: integer(0, 65535),
  mountport: integer(0, 65535),
  proto: oneOf('tcp', 'udp', 'rdma', 'tcp6', 'udp6'),
  sec: oneOf('sys', 'krb5', 'krb5i', 'krb5p'),
  actimeo: integer(0, 99999),
};
export const NFS_MOUNT_FLAGS: readonly string[] = ['hard', 'soft', 'noatime', 'nolock', 'noresvport', 'nocto'];

const listOf = (item: (value: string) => void) => ({
  validate: (value: unknown) => {
    if (!Array.isArray(value)) {
      throw new Error('must be a list');
    }
    value.forEach((entry) => { item(String(entry)); });
  },
  coerce: (value: string) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''),
});

convict.addFormat({ name: 'absolute-path-list', ...listOf(assertAbsolute) });

convict.addFormat({
  name: 'host-list',
  ...listOf((host) => {
    const problem = grammarProblem(HOST, host);
    if (problem !== undefined) {
      throw new Error(`must be a list of host names or IPv4 addresses; ${quote(host)} ${problem}`);
    }
  }),
});

convict.addFormat({
  name: 'glusterfs-mount-options',
  ...listOf((option) => {
    const problem = mountOptionProblem(option, GLUSTERFS_MOUNT_OPTIONS);
    if (problem !== undefined) {
      throw new Error(`must be a list of mount.glusterfs options: ${problem}`);
    }
  }),
});

convict.addFormat({
  name: 'url-or-empty',
  validate: (value: unknown) => {
    // The URL becomes `-o url=…` of the FUSE client: the same grammar as a volume's url option.
    const problem = value === '' ? undefined : grammarProblem(HTTP_URL, String(value), true);
    if (problem !== undefined) {
      throw new Error(`must be empty or an endpoint URL: it ${problem}`);
    }
  },
});

const objectStoreBackend = (name: string, binary: string) => ({
  binary: { doc: `The ${name} FUSE client: a name on PATH or an absolute path.`, format: String, default: binary, env: `VOLPLEX_${name.toUpperCase()}_BINARY` },
  url: { doc: 'Default endpoint URL for volumes that give none.', format: 'url-or-empty', default: '', env: `VOLPLEX_${name.toUpperCase()}_URL` },
  credentials: { doc: 'Default credentials profile for volumes that name none.', format: String, default: '', env: `VOLPLEX_${name.toUpperCase()}_CREDENTIALS` },
});

convict.addFormat({
  name: 'nfs-mount-options',
  ...listOf((option) => {
    const problem = mountOptionProblem(option, NFS_MOUNT_OPTIONS, NFS_MOUNT_FLAGS);
    if (problem !== undefined) {
      throw new Error(`must be a list of NFS mount options: ${problem}`);
    }
  }),
});

convict.addFormat({
  name: 'listen-address-or-empty',
  validate: (value: unknown) => {
    if (value !== '') {
      parseListenAddress(String(value));
    }
  },
});

/** This host's name among the hosts sharing a store: it becomes an etcd key segment. */
export const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

convict.addFormat({
  name: 'host-id-or-empty',
  validate: (value: unknown) => {
    if (value !== '' && !HOST_ID.test(String(value))) {
      throw new Error('must be 1 to 63 characters from [A-Za-z0-9_.-], starting with a letter or digit, or empty (the hostname)');
    }
  },
});

convict.addFormat({
  name: 'etcd-endpoints',
  ...listOf((endpoint) => {
    if (grammarProblem(HTTP_URL, endpoint) !== undefined || !/^https?:\/\/[^/]+$/.test(endpoint)) {
      throw new Error(`must be a list of etcd client URLs such as http://10.0.0.1:2379 or https://etcd1.internal:2379; ${quote(endpoint)} is not one`);
    }
  }),
});

convict.addFormat({
  name: 'etcd-prefix',
  validate: (value: unknown) => {
    if (typeof value !== 'string' || !/^\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(value) || value.length > 128) {
      throw new Error('must be a key prefix such as /volplex: "/" then segments of [A-Za-z0-9_.-] separated by "/", no trailing "/", at most 128 characters');
    }
  },
});

convict.addFormat({
  name: 'lease-seconds',
  validate: (value: unknown) => {
    if (!Number.isInteger(value) || (value as number) < 2 || (value as number) > 600) {
      throw new Error('must be a whole number of seconds from 2 to 600');
    }
  },
  coerce: (value: string) => Number(value),
});

convict.addFormat({
  name: 'absolute-path-or-empty',
  validate: (value: unknown) => {
    if (value !== '') {
      assertAbsolute(value);
    }
  },
});

convict.addFormat({
  name: 'host-or-empty',
  validate: (value: unknown) => {
    if (value !== '' && grammarProblem(HOST, String(value)) !== undefined) {
      throw new Error('must be a host name or IPv4 address, or empty');
    }
  },
});

export const schema = {
  socket: {
    doc: 'Unix socket dockerd finds the plugin on.',
    format: 'socket-path',
    default: '/run/docker/plugins/volplex.sock',
    env: 'VOLPLEX_SOCKET',
  },
  stateDir: {
    doc: 'Private state: the store, managed volume data, runtime credentials (mode 0700).',
    format: 'state-dir',
    default: '/var/lib/volplex',
    env: 'VOLPLEX_STATE_DIR',
  },
  mountRoot: {
    doc: 'Where backend mounts are made; every Mountpoint lies below it.',
    format: 'absolute-path',
    default: '/var/lib/volplex/mounts',
    env: 'VOLPLEX_MOUNT_ROOT',
  },
  scope: {
    doc: 'Capabilities scope reported to dockerd; with store.kind etcd it is always global.',
    format: ['local', 'global'],
    default: 'local',
    env: 'VOLPLEX_SCOPE',
  },
  hostId: {
    doc: "This host's name among the hosts sharing a store: in mount records, owner keys, Status and errors. '' (the default): the hostname.",
    format: 'host-id-or-empty',
    default: '',
    env: 'VOLPLEX_HOST_ID',
  },
  store: {
    kind: {
      doc: 'Where volume records live: sqlite (this host only, in stateDir) or etcd (shared by every host on the cluster; mount counts stay in stateDir).',
      format: [...STORE_KINDS],
      default: 'sqlite',
      env: 'VOLPLEX_STORE_KIND',
    },
    etcd: {
      endpoints: { doc: 'etcd client URLs (http:// or https://), every member of the cluster.', format: 'etcd-endpoints', default: [] as string[], env: 'VOLPLEX_STORE_ETCD_ENDPOINTS' },
      prefix: { doc: 'Key prefix of every key volplex writes; hosts sharing volumes use the same one.', format: 'etcd-prefix', default: '/volplex', env: 'VOLPLEX_STORE_ETCD_PREFIX' },
      leaseTtl: { doc: "Seconds this host's mount records and single-writer holds outlive it: another host can take a single-writer volume that long after this one died.", format: 'lease-seconds', default: 15, env: 'VOLPLEX_STORE_ETCD_LEASE_TTL' },
      tls: {
        ca: { doc: 'PEM file of the CA that signed the etcd servers\' certificates; needed for https:// endpoints with a private CA.', format: 'absolute-path-or-empty', default: '', env: 'VOLPLEX_STORE_ETCD_TLS_CA' },
        cert: { doc: 'PEM client certificate file, for etcd with client certificate auth (with key).', format: 'absolute-path-or-empty', default: '', env: 'VOLPLEX_STORE_ETCD_TLS_CERT' },
        key: { doc: 'PEM private key file of the client certificate (mode 0600; never logged or shown).', format: 'absolute-path-or-empty', default: '', env: 'VOLPLEX_STORE_ETCD_TLS_KEY' },
      },
    },
  },
  deployment: {
    doc: 'How volplex runs: host (systemd, npm start), container (docker-compose.yml), plugin (managed plugin). In container and plugin, local volume devices must lie on a mount from the host.',
    format: [...DEPLOYMENTS],
    default: 'host',
    env: 'VOLPLEX_DEPLOYMENT',
  },
  defaultType: {
    doc: 'Backend type used when a volume is created without -o type=.',
    format: String,
    default: 'local',
    env: 'VOLPLEX_DEFAULT_TYPE',
  },
  commandTimeout: {
    doc: 'Seconds an external command (mount, umount, FUSE client) may run; below dockerd\'s 60 s.',
    format: 'command-timeout',
    default: 30,
    env: 'VOLPLEX_COMMAND_TIMEOUT',
  },
  health: {
    interval: {
      doc: 'Seconds between probes of every held network or FUSE mount (Status backendHealth).',
      format: 'probe-seconds',
      default: 15,
      env: 'VOLPLEX_HEALTH_INTERVAL',
    },
    probeTimeout: {
      doc: 'Seconds a probe of a mount may take before the mount counts as not answering (its child is killed).',
      format: 'probe-seconds',
      default: 5,
      env: 'VOLPLEX_PROBE_TIMEOUT',
    },
  },
  log: {
    level: {
      doc: 'pino log level.',
      format: [...LOG_LEVELS],
      default: 'info',
      env: 'VOLPLEX_LOG_LEVEL',
    },
  },
  backends: {
    local: {
      allowedRoots: {
        doc: 'Host directories a local volume\'s device may lie in (after resolving symlinks).',
        format: 'absolute-path-list',
        default: ['/srv', '/mnt', '/data', '/tmp'],
        env: 'VOLPLEX_LOCAL_ALLOWED_ROOTS',
      },
    },
    glusterfs: {
      servers: {
        doc: 'Default gluster servers; the first serves the volfile, the rest are backup-volfile-servers.',
        format: 'host-list',
        default: [] as string[],
        env: 'VOLPLEX_GLUSTERFS_SERVERS',
      },
      mountOptions: {
        doc: 'Default mount.glusterfs options (key=value); a volume\'s own options win.',
        format: 'glusterfs-mount-options',
        default: [] as string[],
        env: 'VOLPLEX_GLUSTERFS_MOUNT_OPTIONS',
      },
    },
    s3fs: {
      ...objectStoreBackend('s3fs', 's3fs'),
      pathStyle: { doc: 'Address buckets as URL paths (MinIO and most self-hosted S3).', format: Boolean, default: false, env: 'VOLPLEX_S3FS_PATH_STYLE' },
    },
    ossfs: objectStoreBackend('ossfs', 'ossfs'),
    nfs: {
      server: { doc: 'Default NFS server for volumes that name none.', format: 'host-or-empty', default: '', env: 'VOLPLEX_NFS_SERVER' },
      version: { doc: 'Default NFS version.', format: ['3', '4', '4.0', '4.1', '4.2'], default: '4.1', env: 'VOLPLEX_NFS_VERSION' },
      mountOptions: { doc: 'Default NFS mount options; a volume\'s own options win.', format: 'nfs-mount-options', default: [] as string[], env: 'VOLPLEX_NFS_MOUNT_OPTIONS' },
    },
  },
  docker: {
    socket: {
      doc: "Docker Engine API socket, asked read-only which running containers hold a volume (to drop references a crashed dockerd left). Used while it exists; '' never uses it, leaving the scan of the host's /proc.",
      format: 'socket-path-or-empty',
      default: '/var/run/docker.sock',
      env: 'VOLPLEX_DOCKER_SOCKET',
    },
    checkInterval: {
      doc: 'Seconds between checks of the volumes that have references against the containers that hold them; 0: only when dockerd (re)activates the plugin and at Remove.',
      format: 'seconds',
      default: 60,
      env: 'VOLPLEX_DOCKER_CHECK_INTERVAL',
    },
    staleGrace: {
      doc: 'Seconds after its last Mount during which the checks at activation and periodically leave a reference alone (its container may still be starting). Remove, and a Mount of the same ID, do not wait.',
      format: 'seconds',
      default: 60,
      env: 'VOLPLEX_DOCKER_STALE_GRACE',
    },
    newLifetimeAtStart: {
      doc: "Take volplex's own start for a Plugin.Activate: for the managed plugin, which dockerd starts with itself and never sends Activate.",
      format: Boolean,
      default: false,
      env: 'VOLPLEX_DOCKER_NEW_LIFETIME_AT_START',
    },
  },
  metrics: {
    listen: {
      doc: "Where Prometheus scrapes GET /metrics: host:port (127.0.0.1:9597) or a unix socket path, never the plugin socket; '' (the default): no metrics listener.",
      format: 'listen-address-or-empty',
      default: '',
      env: 'VOLPLEX_METRICS_LISTEN',
    },
  },
  credentials: {
    doc: 'Named access keys: {name: {accessKeyId, and one of accessKeySecret, accessKeySecretFile, accessKeySecretEnv}}.',
    format: Object,
    default: {},
  },
  security: {
    inlineSecrets: {
      doc: 'A secret given as -o (ossfs ak_id/ak_secret): allow it, warn (accept; Status and the log say dockerd keeps it in plain text), or refuse the Create.',
      format: [...INLINE_SECRETS_POLICIES],
      default: 'warn',
      env: 'VOLPLEX_INLINE_SECRETS',
    },
  },
};
