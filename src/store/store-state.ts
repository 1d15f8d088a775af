import type { MountReference, ReleaseResult, StoreCounts, VolumeRecord, VolumeUsage } from './store.js';

interface Entry {
  readonly record: VolumeRecord;
  backendKey: string | null;
  /** One row per mount ID and lifetime, as in the durable store. */
  refs: MountReference[];
}

/** What a release would take from one row, decided before the durable write. */
export interface ReleasePlan {
  readonly name: string;
  readonly id: string;
  readonly lifetime: number;
  readonly taken: number;
  /** The row's count before: equal to taken when the row goes. */
  readonly rowCount: number;
  /** The volume's references after the release: 0 clears its backend. */
  readonly left: number;
  readonly backendKey: string | null;
}

/**
 * The stores' records and counts in memory: every read of a Store is answered here, so
 * Get, List and Path never touch the database. A store changes it only after its durable
 * write committed; records are never changed in place, so a record's identity names one
 * version of it (callers may cache what they derive from it).
 */
export class StoreState {
  readonly #volumes = new Map<string, Entry>();
  readonly #users = new Map<string, Set<string>>();
  #sorted: readonly VolumeRecord[] | undefined;
  #lifetime = 0;
  #listVersion = 0;

  public get lifetime(): number {
    return this.#lifetime;
  }

  public set lifetime(value: number) {
    this.#lifetime = value;
  }

  /** Changes whenever a volume is added or removed or the backend it holds changes: all List shows. */
  public get listVersion(): number {
    return this.#listVersion;
  }

  public getVolume(name: string): VolumeRecord | undefined {
    return this.#volumes.get(name)?.record;
  }

  /** By name; the same array until a volume is added or removed. */
  public listVolumes(): readonly VolumeRecord[] {
    this.#sorted ??= [...this.#volumes.values()].map((entry) => entry.record).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.#sorted;
  }

  public usage(name: string): VolumeUsage {
    const entry = this.#volumes.get(name);
    if (entry === undefined) {
      return { references: 0, mountIds: 0, backendKey: null };
    }
    if (entry.refs.length === 0) {
      return { references: 0, mountIds: 0, backendKey: entry.backendKey };
    }
    let references = 0;
    const ids = new Set<string>();
    for (const ref of entry.refs) {
      references += ref.count;
      ids.add(ref.id);
    }
    return { references, mountIds: ids.size, backendKey: entry.backendKey };
  }

  public references(name: string): MountReference[] {
    return [...(this.#volumes.get(name)?.refs ?? [])];
  }

  /** The newest lifetime mount ID `id` holds references in, or undefined. */
  public latestLifetime(name: string, id: string): number | undefined {
    let latest: number | undefined;
    for (const ref of this.#volumes.get(name)?.refs ?? []) {
      if (ref.id === id && (latest === undefined || ref.lifetime > latest)) {
        latest = ref.lifetime;
      }
    }
    return latest;
  }

  public backendUsers(backendKey: string | null): number {
    return backendKey === null ? 0 : (this.#users.get(backendKey)?.size ?? 0);
  }

  public heldBackends(): Map<string, string[]> {
    const held = new Map<string, string[]>();
    for (const [key, names] of this.#users) {
      held.set(key, [...names].sort());
    }
    return held;
  }

  /** Volumes per type and references in all, for the metrics' gauges. */
  public counts(): StoreCounts {
    const volumesByType = new Map<string, number>();
    let references = 0;
    for (const { record, refs } of this.#volumes.values()) {
      volumesByType.set(record.type, (volumesByType.get(record.type) ?? 0) + 1);
      refs.forEach((ref) => (references += ref.count));
    }
    return { volumesByType, references };
  }

  public volumesOn(backendKey: string): string[] {
    return [...(this.#users.get(backendKey) ?? [])];
  }

  public putVolume(record: VolumeRecord, backendKey: string | null = null, refs: MountReference[] = []): void {
    this.#volumes.set(record.name, { record, backendKey: null, refs });
    this.#setBackend(record.name, backendKey);
    this.#sorted = undefined;
    this.#listVersion += 1;
  }

  /** A new version of a record (another host re-created the volume): its references and backend stay. */
  public replaceRecord(record: VolumeRecord): void {
    const entry = this.#require(record.name);
    this.#volumes.set(record.name, { ...entry, record });
    this.#sorted = undefined;
    this.#listVersion += 1;
  }

  public deleteVolume(name: string): void {
    this.#setBackend(name, null);
    this.#volumes.delete(name);
    this.#sorted = undefined;
    this.#listVersion += 1;
  }

  public addReference(name: string, id: string, backendKey: string, changedAt: number): void {
    const entry = this.#require(name);
    const row = entry.refs.find((ref) => ref.id === id && ref.lifetime === this.#lifetime);
    const updated = { id, lifetime: this.#lifetime, count: (row?.count ?? 0) + 1, changedAt };
    entry.refs = row === undefined ? sortRefs([...entry.refs, updated]) : entry.refs.map((ref) => (ref === row ? updated : ref));
    this.#setBackend(name, backendKey);
  }

  /** What taking up to `count` references of one row would do; undefined when the row does not exist. */
  public planRelease(name: string, id: string, lifetime: number, count: number): ReleasePlan | undefined {
    const row = this.#volumes.get(name)?.refs.find((ref) => ref.id === id && ref.lifetime === lifetime);
    if (row === undefined || count < 1) {
      return undefined;
    }
    const usage = this.usage(name);
    const taken = Math.min(count, row.count);
    return { name, id, lifetime, taken, rowCount: row.count, left: usage.references - taken, backendKey: usage.backendKey };
  }

  public applyRelease(plan: ReleasePlan): ReleaseResult {
    const entry = this.#require(plan.name);
    entry.refs = entry.refs.flatMap((ref) => {
      if (ref.id !== plan.id || ref.lifetime !== plan.lifetime) {
        return [ref];
      }
      return plan.taken < ref.count ? [{ ...ref, count: ref.count - plan.taken }] : [];
    });
    if (plan.left === 0) {
      this.#setBackend(plan.name, null);
    }
    return { released: true, volumeReferences: plan.left, backendUsers: this.backendUsers(plan.backendKey), backendKey: plan.backendKey };
  }

  /** A release that found nothing to take. */
  public unchanged(name: string): ReleaseResult {
    const usage = this.usage(name);
    return { released: false, volumeReferences: usage.references, backendUsers: this.backendUsers(usage.backendKey), backendKey: usage.backendKey };
  }

  /** Forgets every reference of the volumes on backendKey and their hold on it. */
  public dropBackend(backendKey: string): string[] {
    const names = this.volumesOn(backendKey).sort();
    for (const name of names) {
      this.#require(name).refs = [];
      this.#setBackend(name, null);
    }
    return names;
  }

  #require(name: string): Entry {
    const entry = this.#volumes.get(name);
    if (entry === undefined) {
      throw new Error(`store state: no volume ${name}`);
    }
    return entry;
  }

  #setBackend(name: string, backendKey: string | null): void {
    const entry = this.#volumes.get(name);
    if (entry === undefined || entry.backendKey === backendKey) {
      return;
    }
    if (entry.backendKey !== null) {
      const users = this.#users.get(entry.backendKey);
      users?.delete(name);
      if (users?.size === 0) {
        this.#users.delete(entry.backendKey);
      }
    }
    entry.backendKey = backendKey;
    this.#listVersion += 1;
    if (backendKey !== null) {
      const users = this.#users.get(backendKey) ?? new Set<string>();
      users.add(name);
      this.#users.set(backendKey, users);
    }
  }
}

function sortRefs(refs: MountReference[]): MountReference[] {
  return refs.sort((a, b) => a.lifetime - b.lifetime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
