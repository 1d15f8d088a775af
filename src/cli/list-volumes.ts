import { loadConfig } from '../config/load.js';
import { SqliteStore } from '../store/sqlite-store.js';

/** `volplex ls`: the store's view, readable while the daemon runs (WAL allows a second reader). */
export function listVolumes(configFile: string | undefined): void {
  const config = loadConfig(configFile);
  const store = new SqliteStore(config.stateDir);
  try {
    const rows = store.listVolumes().map((volume) => {
      const usage = store.usage(volume.name);
      return [volume.name, volume.type, usage.references > 0 ? 'yes' : 'no', String(usage.references)];
    });
    printTable([['NAME', 'TYPE', 'MOUNTED', 'REFERENCES'], ...rows]);
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
