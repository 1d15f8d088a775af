import type { Deployment, VolplexConfig } from '../config/config.js';
import { pathsOnOwnRoot } from '../system/host-binds.js';
import { VolplexError } from './errors.js';

const WHERE: Record<Exclude<Deployment, 'host'>, { own: string; fix: string }> = {
  container: {
    own: "the container's own filesystem, so data written there is lost with the container (docker-compose down)",
    fix: 'bind the host directory into the container at the same path, rshared (docker-compose.yml binds VOLPLEX_DEVICES_DIR, default /srv), or remove it from backends.local.allowedRoots',
  },
  plugin: {
    own: "the plugin's own root filesystem, not its devices mount (the host tree seen as /srv), so data written there is lost on upgrade",
    fix: 'use roots below /srv (docker plugin set NAME VOLPLEX_LOCAL_ALLOWED_ROOTS=/srv) and point devices.source at the host tree',
  },
};

/**
 * In a container or managed plugin, every allowed root must lie on a mount from the host.
 * Returns one problem per root that does not; [] on the host, where every path is the host's.
 */
export async function unboundAllowedRoots(config: VolplexConfig): Promise<string[]> {
  const { deployment } = config;
  if (deployment === 'host') {
    return [];
  }
  const unbound = await pathsOnOwnRoot(config.backends.local.allowedRoots);
  return unbound.map((root) => `allowed root ${root} is not bound from the host: it lies on ${WHERE[deployment].own}; ${WHERE[deployment].fix}`);
}

/** At Create: refuses a device (its real path) that would live inside the container or plugin. */
export async function assertDeviceOnHost(deployment: Deployment, device: string, real: string): Promise<void> {
  if (deployment === 'host' || (await pathsOnOwnRoot([real])).length === 0) {
    return;
  }
  const resolved = real === device ? '' : ` (resolves to ${real})`;
  throw new VolplexError('InvalidParameter', `device ${device}${resolved} is not on a mount from the host: it lies on ${WHERE[deployment].own}; ${WHERE[deployment].fix}`);
}
