import { MountTable } from './mount-table.js';

/**
 * The paths that lie on this mount namespace's own root filesystem instead of a mount of
 * their own: in a container or a managed plugin, directories that vanish with it. (Mount
 * entries, not st_dev: a bind of the host's / filesystem has the same device as a vfs root.)
 */
export async function pathsOnOwnRoot(paths: readonly string[], table: MountTable = new MountTable()): Promise<string[]> {
  const onRoot = await Promise.all(paths.map(async (path) => (await table.filesystemOf(path))?.mountPoint === '/'));
  return paths.filter((_, index) => onRoot[index]);
}
