import type { VolumeRecord } from './store.js';

/** One key volplex keeps in etcd, by what it says. */
export type EtcdKey =
  | { readonly kind: 'volume'; readonly name: string }
  | { readonly kind: 'mount'; readonly name: string; readonly host: string }
  | { readonly kind: 'owner'; readonly name: string };

/**
 * The key layout below the configured prefix. Volume names and host IDs never hold "/"
 * (both are checked), so every key splits back into what it names.
 *
 *     <prefix>/volumes/<name>          the record (JSON), written once by Create
 *     <prefix>/mounts/<name>/<hostId>  that host's mount-ID count, bound to its lease
 *     <prefix>/owners/<name>           the hostId holding a single-writer volume, bound to its lease
 */
export class EtcdKeys {
  public readonly root: string;

  public constructor(prefix: string) {
    this.root = `${prefix}/`;
  }

  public volume(name: string): string {
    return `${this.root}volumes/${name}`;
  }

  /** Every volume record. */
  public get volumes(): string {
    return `${this.root}volumes/`;
  }

  public mount(name: string, host: string): string {
    return `${this.root}mounts/${name}/${host}`;
  }

  /** Every host's mount record of the volume. */
  public mountsOf(name: string): string {
    return `${this.root}mounts/${name}/`;
  }

  public owner(name: string): string {
    return `${this.root}owners/${name}`;
  }

  /** What a key below the prefix names; undefined for a key volplex does not write. */
  public parse(key: string): EtcdKey | undefined {
    if (!key.startsWith(this.root)) {
      return undefined;
    }
    const [kind, name, host, ...rest] = key.slice(this.root.length).split('/');
    if (name === undefined || name === '' || rest.length > 0) {
      return undefined;
    }
    if (kind === 'volumes' && host === undefined) {
      return { kind: 'volume', name };
    }
    if (kind === 'owners' && host === undefined) {
      return { kind: 'owner', name };
    }
    return kind === 'mounts' && host !== undefined && host !== '' ? { kind: 'mount', name, host } : undefined;
  }
}

/** The end of the range of every key starting with `prefix`: the prefix with its last byte plus one. */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  return end;
}

/** A record as its key's value: everything but the name, which is in the key. */
export function encodeRecord(record: VolumeRecord): string {
  const { type, options, createdAt, access, host } = record;
  return JSON.stringify({ type, options, createdAt, ...(access === undefined ? {} : { access }), ...(host === undefined ? {} : { host }) });
}

/** The record a key's value holds, or undefined when it is not one (written by something else). */
export function decodeRecord(name: string, value: string): VolumeRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }
  const { type, options, createdAt, access, host } = parsed as Record<string, unknown>;
  const stringMap = typeof options === 'object' && options !== null && Object.values(options).every((option) => typeof option === 'string');
  if (typeof type !== 'string' || !stringMap || typeof createdAt !== 'string' || (access !== undefined && access !== 'single-writer') || (host !== undefined && typeof host !== 'string')) {
    return undefined;
  }
  return { name, type, options: options as Record<string, string>, createdAt, ...(access === undefined ? {} : { access }), ...(host === undefined ? {} : { host }) };
}

/** Same volume: type, options and access mode (not when or where it was made). */
export function sameRecord(a: VolumeRecord, b: VolumeRecord): boolean {
  return a.type === b.type && a.access === b.access && JSON.stringify(sortedEntries(a.options)) === JSON.stringify(sortedEntries(b.options));
}

function sortedEntries(options: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
