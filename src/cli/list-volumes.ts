import { loadConfig } from '../config/load.js';
import { describeHolder } from '../core/holder-findings.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { VolumeService } from '../core/volume-service.js';
import { openCliState } from './cli-state.js';

/** One volume of `volplex ls --json`: the fields List and Get answer, and who holds it. Field names are stable (README). */
export interface ListedVolume {
  readonly name: string;
  readonly type: string;
  /** As List and Get answer it (the backend mount's path while mounted). */
  readonly mountpoint: string;
  readonly createdAt: string;
  readonly mounted: boolean;
  readonly references: number;
  readonly mountIds: number;
  /** `container:destination` of each running container holding it; null when nothing can tell. */
  readonly holders: readonly string[] | null;
}

/**
 * `volplex ls`: the store's view, readable while the daemon runs (WAL allows a second reader),
 * with the containers that hold each volume in use: `-` for none, `?` when nothing can tell.
 * `json`: one document, `{"volumes": [ListedVolume…]}`.
 */
export async function listVolumes(configFile: string | undefined, json = false): Promise<void> {
  const state = openCliState(loadConfig(configFile));
  if (state === undefined) {
    return;
  }
  try {
    const { volumes: holdings } = await state.container.get(HolderReconciler).inspect();
    const holders = new Map(holdings.map((volume) => [volume.name, volume.holders?.map(describeHolder) ?? null]));
    const service = state.container.get(VolumeService);
    const volumes = service.list().map((summary): ListedVolume => {
      const { createdAt, status } = service.get(summary.name);
      const usage = state.store.usage(summary.name);
      return { name: summary.name, type: String(status.type), mountpoint: summary.mountpoint, createdAt, mounted: usage.references > 0, references: usage.references, mountIds: usage.mountIds, holders: usage.references === 0 ? [] : (holders.get(summary.name) ?? null) };
    });
    if (json) {
      process.stdout.write(`${JSON.stringify({ volumes }, null, 2)}\n`);
      return;
    }
    const rows = volumes.map((volume) => [volume.name, volume.type, volume.mounted ? 'yes' : 'no', String(volume.references), volume.references === 0 ? '' : (volume.holders === null ? '?' : volume.holders.length === 0 ? '-' : volume.holders.join(','))]);
    printTable([['NAME', 'TYPE', 'MOUNTED', 'REFERENCES', 'HOLDERS'], ...rows]);
  } finally {
    state.close();
  }
}

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`);
  }
}
