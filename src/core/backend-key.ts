import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The store's name for a backend mount: the driver type, then the driver's own key. */
export function backendKey(type: string, driverKey: string): string {
  return `${type}:${driverKey}`;
}

export function typeOfBackendKey(key: string): string {
  return key.slice(0, key.indexOf(':'));
}

/** Where a backend mount lives: `<mountRoot>/<type>-<hash of key>`, stable across restarts. */
export function backendTarget(mountRoot: string, key: string): string {
  return join(mountRoot, `${typeOfBackendKey(key)}-${createHash('sha256').update(key).digest('hex').slice(0, 24)}`);
}

/** The type a directory name under the mount root belongs to, if it is one of ours. */
export function typeOfTarget(target: string): string | undefined {
  return /(?:^|\/)([a-z0-9]+)-[0-9a-f]{24}$/.exec(target)?.[1];
}
