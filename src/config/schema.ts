import { isAbsolute, normalize } from 'node:path';

import convict from 'convict';

import { LOG_LEVELS } from './config.js';

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
  name: 'absolute-path-list',
  validate: (value: unknown) => {
    if (!Array.isArray(value)) {
      throw new Error('must be a list of absolute paths');
    }
    value.forEach(assertAbsolute);
  },
  coerce: (value: string) => value.split(',').map((item) => item.trim()).filter((item) => item !== ''),
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
  name: 'socket-path',
  validate: (value: unknown) => {
    assertAbsolute(value);
    if (Buffer.byteLength(value as string) > MAX_SOCKET_PATH) {
      throw new Error(`must be at most ${MAX_SOCKET_PATH} bytes (a unix socket path limit)`);
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
    format: 'absolute-path',
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
    doc: 'Capabilities scope reported to dockerd.',
    format: ['local', 'global'],
    default: 'local',
    env: 'VOLPLEX_SCOPE',
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
  },
};
