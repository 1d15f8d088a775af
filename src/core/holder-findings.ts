import type { Holder, HolderSource } from '../system/holder-finder.js';

/** What the last holder check of one volume found, and the reference total it left. */
export type HolderFinding =
  | { readonly known: true; readonly at: number; readonly references: number; readonly source: HolderSource; readonly holders: readonly Holder[] }
  | { readonly known: false; readonly at: number; readonly references: number; readonly reason: string };

/** The last finding per volume, for Status and error messages: memory only, no I/O on Get. */
export class HolderFindings {
  readonly #byVolume = new Map<string, HolderFinding>();

  public record(name: string, finding: HolderFinding): void {
    this.#byVolume.set(name, finding);
  }

  public forget(name: string): void {
    this.#byVolume.delete(name);
  }

  /**
   * Status fields: the holders, and the references none of them accounts for (stale until
   * dropped). Only while the volume's references are what the check left: a Mount or
   * Unmount since makes the finding old news.
   */
  public status(name: string, references: number): Record<string, unknown> {
    const finding = this.#current(name, references);
    if (finding === undefined) {
      return {};
    }
    const checkedAt = new Date(finding.at).toISOString();
    if (!finding.known) {
      return { holders: 'unknown', holdersUnknownBecause: finding.reason, holdersCheckedAt: checkedAt };
    }
    return { holders: finding.holders.map(describeHolder), staleReferences: Math.max(0, references - finding.holders.length), holdersFrom: finding.source, holdersCheckedAt: checkedAt };
  }

  /** A clause for "volume is in use" errors: who holds it, or why that is not known. */
  public note(name: string, references: number): string {
    const finding = this.#current(name, references);
    if (finding === undefined) {
      return '';
    }
    if (!finding.known) {
      return `; volplex cannot tell which containers hold it (${finding.reason})`;
    }
    return finding.holders.length === 0 ? '' : `; held by ${finding.holders.map(describeHolder).join(', ')}`;
  }

  #current(name: string, references: number): HolderFinding | undefined {
    const finding = this.#byVolume.get(name);
    return references > 0 && finding?.references === references ? finding : undefined;
  }
}

export function describeHolder(holder: Holder): string {
  return `${holder.container}:${holder.destination}`;
}
