import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { MOUNTINFO_PATH, parseMountinfo, type MountEntry } from './mountinfo.js';

/** How long a read of the table answers lookups before the next lookup reads it again. */
const DEFAULT_MAX_AGE_MS = 1000;

export type MountinfoReader = () => Promise<string>;

// The kernel writes /proc/self/mountinfo from its own tables: reading it never touches a mounted filesystem.
const readProcMountinfo: MountinfoReader = () => readFile(MOUNTINFO_PATH, 'utf8');

interface Note {
  /** The entry we mounted, or undefined for one we unmounted. */
  readonly entry: MountEntry | undefined;
  readonly generation: number;
}

/**
 * The one owner of "what is mounted": the kernel's mount table, indexed by mount point.
 * Lookups answer from the last read while it is younger than maxAgeMs, and from the
 * daemon's own mount and umount results (notes) made since; otherwise they read it
 * again. Concurrent lookups share one read. A note outlives a read that began before it.
 */
export class MountTable {
  readonly #read: MountinfoReader;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #index = new Map<string, MountEntry>();
  #readAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  /** The note generation when the read in flight began. */
  #inFlightGeneration = -1;
  #generation = 0;
  #readsStarted = 0;
  #readApplied = 0;
  readonly #notes = new Map<string, Note>();

  public constructor(read: MountinfoReader = readProcMountinfo, maxAgeMs = DEFAULT_MAX_AGE_MS, now: () => number = Date.now) {
    this.#read = read;
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** The entry mounted at mountPoint (the topmost, if several are stacked), as of at most maxAgeMs ago. */
  public async lookup(mountPoint: string): Promise<MountEntry | undefined> {
    if (!this.#notes.has(mountPoint)) {
      await this.#refreshIfOld();
    }
    return this.#entryAt(mountPoint);
  }

  /** Like lookup, but from a read that began after this call, unless our own note answers. */
  public async lookupExact(mountPoint: string): Promise<MountEntry | undefined> {
    if (!this.#notes.has(mountPoint)) {
      await this.refresh();
    }
    return this.#entryAt(mountPoint);
  }

  /** Every mount strictly below root, from a fresh read. */
  public async below(root: string): Promise<MountEntry[]> {
    await this.refresh();
    const prefix = root.endsWith('/') ? root : `${root}/`;
    return this.#allEntries().filter((entry) => entry.mountPoint.startsWith(prefix));
  }

  /**
   * The mount whose filesystem holds path as written (the longest mount point at or above
   * it), from the current index. Symlinks are not followed: that would touch the path.
   */
  public async filesystemOf(path: string): Promise<MountEntry | undefined> {
    await this.#refreshIfOld();
    for (let current = path; ; current = dirname(current)) {
      const entry = this.#entryAt(current);
      if (entry !== undefined || current === '/') {
        return entry;
      }
    }
  }

  public noteMounted(entry: MountEntry): void {
    this.#notes.set(entry.mountPoint, { entry, generation: ++this.#generation });
  }

  /** Drops what we noted about mountPoint: something we did not watch (a FUSE client) changed it. */
  public forget(mountPoint: string): void {
    this.#notes.delete(mountPoint);
    this.#readAt = Number.NEGATIVE_INFINITY;
  }

  public noteUnmounted(mountPoint: string): void {
    this.#notes.set(mountPoint, { entry: undefined, generation: ++this.#generation });
  }

  /** Reads the table now, or joins the read in flight if it began after every note. */
  public refresh(): Promise<void> {
    if (this.#inFlight !== undefined && this.#inFlightGeneration === this.#generation) {
      return this.#inFlight;
    }
    const generation = this.#generation;
    const startedAt = this.#now();
    const sequence = ++this.#readsStarted;
    this.#inFlightGeneration = generation;
    const read = this.#read().then((text) => {
      const index = new Map<string, MountEntry>();
      for (const entry of parseMountinfo(text)) {
        index.set(entry.mountPoint, entry);
      }
      // Of two reads in flight, the one begun later wins, whatever order they end in.
      if (sequence > this.#readApplied) {
        this.#index = index;
        this.#readAt = startedAt;
        this.#readApplied = sequence;
        // Notes older than this read are in it; newer ones still say more than it does.
        for (const [mountPoint, note] of this.#notes) {
          if (note.generation <= generation) {
            this.#notes.delete(mountPoint);
          }
        }
      }
    });
    this.#inFlight = read.finally(() => {
      if (this.#inFlight === tracked) {
        this.#inFlight = undefined;
      }
    });
    const tracked = this.#inFlight;
    return tracked;
  }

  /**
   * For lookups that may be maxAgeMs old: a read in flight will do, whatever was noted since it
   * began (the notes say that), so a busy moment costs one read, not one per operation.
   */
  async #refreshIfOld(): Promise<void> {
    if (this.#now() - this.#readAt > this.#maxAgeMs) {
      await (this.#inFlight ?? this.refresh());
    }
  }

  #entryAt(mountPoint: string): MountEntry | undefined {
    const note = this.#notes.get(mountPoint);
    return note === undefined ? this.#index.get(mountPoint) : note.entry;
  }

  #allEntries(): MountEntry[] {
    const merged = new Map(this.#index);
    for (const [mountPoint, note] of this.#notes) {
      if (note.entry === undefined) {
        merged.delete(mountPoint);
      } else {
        merged.set(mountPoint, note.entry);
      }
    }
    return [...merged.values()];
  }
}
