import type { Holder, HolderFinder, HolderReport, VolumeLocation } from '../../src/system/holder-finder.js';

/**
 * Holders as the test says: per volume name, the container mount points that hold it, or
 * "cannot tell" for everything (the default: as when neither the Docker API nor the host's
 * /proc is reachable). Every question is logged.
 */
export class FakeHolderFinder implements HolderFinder {
  public readonly asked: Array<readonly string[]> = [];
  readonly #holders = new Map<string, Holder[]>();
  #known = false;
  /** Volumes this source cannot tell about even when it answers (their backend is not mounted here). */
  readonly #blind = new Set<string>();

  /** From now on the source answers; volumes not given have no holder. */
  public answer(): this {
    this.#known = true;
    return this;
  }

  /** From now on nothing can tell (the Docker API and /proc both unreachable). */
  public goBlind(): this {
    this.#known = false;
    return this;
  }

  /** `count` containers hold the volume (replacing what was set). */
  public hold(volume: string, count: number): this {
    this.#holders.set(volume, Array.from({ length: count }, (_, index) => ({ container: `c${index + 1}`, destination: '/data' })));
    return this.answer();
  }

  public cannotTell(volume: string): this {
    this.#blind.add(volume);
    return this;
  }

  public async find(volumes: readonly VolumeLocation[]): Promise<HolderReport> {
    this.asked.push(volumes.map((volume) => volume.name));
    if (!this.#known) {
      return { known: false, reason: 'fake: nothing can tell' };
    }
    const holders = new Map<string, readonly Holder[] | undefined>(volumes.map((volume) => [volume.name, this.#blind.has(volume.name) ? undefined : (this.#holders.get(volume.name) ?? [])]));
    return { known: true, source: 'docker', detail: 'fake Docker API', holders };
  }
}
