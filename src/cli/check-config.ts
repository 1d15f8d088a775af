import { stringify } from 'yaml';

import { maskCredentialProfiles } from '../config/credential-profiles.js';
import { loadConfig } from '../config/load.js';

/** `volplex config check`: prints the merged configuration, or fails naming the bad key. */
export function checkConfig(configFile: string | undefined): void {
  const config = loadConfig(configFile);
  process.stdout.write(`${stringify({ ...config, credentials: maskCredentialProfiles(config.credentials) })}configuration OK\n`);
}
