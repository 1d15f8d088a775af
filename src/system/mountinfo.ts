import { readFile } from 'node:fs/promises';

/** One line of /proc/self/mountinfo, with the kernel's octal escapes decoded. */
export interface MountEntry {
  readonly mountPoint: string;
  /** `major:minor` of the mounted filesystem: with root, what a bind of it elsewhere shares. */
  readonly device: string;
  /** The path inside the source filesystem that is mounted (bind mounts of subdirectories). */
  readonly root: string;
  readonly fsType: string;
  readonly source: string;
  readonly options: string;
}

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

export async function readMountinfo(path: string = MOUNTINFO_PATH): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(path, 'utf8'));
}

/** Whether `mountPoint` is in the table. Cheap when it is not: one substring search before parsing. */
export function listsMountPoint(text: string, mountPoint: string): boolean {
  if (!text.includes(` ${escape(mountPoint)} `)) {
    return false;
  }
  return parseMountinfo(text).some((entry) => entry.mountPoint === mountPoint);
}

// Format: id parent major:minor root mountpoint options [optional…] - fstype source superoptions
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    const [, , device, root, mountPoint, options] = fields;
    const fsType = fields[separator + 1];
    const source = fields[separator + 2];
    if (separator < 0 || device === undefined || root === undefined || mountPoint === undefined || options === undefined || fsType === undefined || source === undefined) {
      continue;
    }
    entries.push({ device, root: unescape(root), mountPoint: unescape(mountPoint), options, fsType, source: unescape(source) });
  }
  return entries;
}

function escape(path: string): string {
  return path.replace(/[ \t\n\\]/g, (character) => `\\${character.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

// Most fields have no escape: a search for the backslash is far cheaper than the replace.
function unescape(field: string): string {
  return field.includes('\\') ? field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) : field;
}
