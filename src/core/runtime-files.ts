import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Files that live beside one backend mount (FUSE credentials, client logs), named after
 * the mount's directory, in `<stateDir>/run` (0700).
 */
export async function runtimeFile(stateDir: string, target: string, suffix: string): Promise<string> {
  const dir = join(stateDir, 'run');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${basename(target)}.${suffix}`);
}

/** Removes every runtime file of the backend mount at target. */
export async function removeRuntimeFiles(stateDir: string, target: string): Promise<void> {
  const dir = join(stateDir, 'run');
  const prefix = `${basename(target)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith(prefix)).map((name) => rm(join(dir, name), { force: true })));
}
