import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { processesWhere } from './processes.js';

const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** Every regular file below the roots whose bytes contain `secret` (symlinks and special files skipped). */
export function filesContaining(secret: string, roots: readonly string[]): string[] {
  const needle = Buffer.from(secret);
  const found: string[] = [];
  const visit = (path: string): void => {
    let info;
    try {
      info = lstatSync(path);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      names.forEach((name) => { visit(join(path, name)); });
    } else if (info.isFile() && info.size <= MAX_FILE_BYTES) {
      try {
        if (readFileSync(path).includes(needle)) {
          found.push(path);
        }
      } catch {
        // Vanished or unreadable while walking.
      }
    }
  };
  roots.forEach(visit);
  return [...new Set(found)].sort();
}

/** PIDs whose command line contains `secret`. */
export function processesWithSecretInArgv(secret: string): number[] {
  return processesWhere((argv) => argv.some((arg) => arg.includes(secret)));
}
