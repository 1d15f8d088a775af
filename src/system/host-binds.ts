import { type MountEntry, readMountinfo } from './mountinfo.js';

/**
 * The mount that holds `path`: the deepest mount point at or above it, the last mounted
 * when several share one. Pure; the path need not exist.
 */
export function coveringMount(path: string, entries: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of entries) {
    const point = entry.mountPoint;
    const covers = point === '/' || path === point || path.startsWith(`${point}/`);
    if (covers && (best === undefined || point.length >= best.mountPoint.length)) {
      best = entry;
    }
  }
  return best;
}

/**
 * The paths that lie on this mount namespace's own root filesystem instead of a mount of
 * their own: in a container or a managed plugin, directories that vanish with it. (Mount
 * entries, not st_dev: a bind of the host's / filesystem has the same device as a vfs root.)
 * TODO(issue 11): read the mount table through the one MountTable module once it exists.
 */
export async function pathsOnOwnRoot(paths: readonly string[]): Promise<string[]> {
  const entries = await readMountinfo();
  return paths.filter((path) => coveringMount(path, entries)?.mountPoint === '/');
}
