import { createContainer } from '../app/container.js';
import { TOKENS } from '../app/tokens.js';
import { loadConfig } from '../config/load.js';
import { describeHolder } from '../core/holder-findings.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { createLogger } from '../log/logger.js';
import type { Store } from '../store/store.js';

/**
 * `volplex ls`: the store's view, readable while the daemon runs (WAL allows a second reader),
 * with the containers that hold each volume in use: `-` for none, `?` when nothing can tell.
 */
export async function listVolumes(configFile: string | undefined): Promise<void> {
  const container = createContainer(loadConfig(configFile), createLogger('silent'));
  const store = container.get<Store>(TOKENS.store);
  try {
    const { volumes } = await container.get(HolderReconciler).inspect();
    const holders = new Map(volumes.map((volume) => [volume.name, volume.holders === undefined ? '?' : volume.holders.length === 0 ? '-' : volume.holders.map(describeHolder).join(',')]));
    const rows = store.listVolumes().map((volume) => {
      const usage = store.usage(volume.name);
      return [volume.name, volume.type, usage.references > 0 ? 'yes' : 'no', String(usage.references), holders.get(volume.name) ?? ''];
    });
    printTable([['NAME', 'TYPE', 'MOUNTED', 'REFERENCES', 'HOLDERS'], ...rows]);
  } finally {
    store.close();
  }
}

function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows) {
    process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`);
  }
}
