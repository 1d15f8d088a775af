import { stringify } from 'yaml';

import { loadConfig } from '../config/load.js';

/** `volplex config check`: prints the merged configuration, or fails naming the bad key. */
export function checkConfig(configFile: string | undefined): void {
  const config = loadConfig(configFile);
  process.stdout.write(`${stringify(config)}configuration OK\n`);
}
