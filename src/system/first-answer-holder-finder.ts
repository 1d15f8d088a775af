import type { HolderFinder, HolderReport, VolumeLocation } from './holder-finder.js';

/** Asks each source in turn (the Docker API, then the kernel) and returns the first that can tell. */
export class FirstAnswerHolderFinder implements HolderFinder {
  readonly #sources: readonly HolderFinder[];

  public constructor(sources: readonly HolderFinder[]) {
    this.#sources = sources;
  }

  public async find(volumes: readonly VolumeLocation[]): Promise<HolderReport> {
    const reasons: string[] = [];
    for (const source of this.#sources) {
      const report = await source.find(volumes);
      if (report.known) {
        return report;
      }
      reasons.push(report.reason);
    }
    return { known: false, reason: reasons.join('; ') };
  }
}
