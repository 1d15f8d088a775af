import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import convict from 'convict';
import { parse } from 'yaml';

import { VolplexError } from '../core/errors.js';
import type { VolplexConfig } from './config.js';
import { assertCredentialProfiles } from './credential-profiles.js';
import { schema } from './schema.js';

/** The shipped defaults file, found relative to the compiled module (dist/src/config/). */
export const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../../../config/default.yaml', import.meta.url));

/**
 * Merges, lowest first: schema defaults, config/default.yaml, the user's file
 * (`file`, else VOLPLEX_CONFIG), VOLPLEX_* environment variables. Throws
 * InvalidParameter naming the key and the expected form.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): VolplexConfig {
  const config = convict(schema, { env, args: [] });
  const userFile = file ?? env.VOLPLEX_CONFIG;
  for (const path of [DEFAULT_CONFIG_FILE, userFile]) {
    if (path !== undefined && path !== '') {
      config.load(readYaml(path));
    }
  }
  try {
    config.validate({ allowed: 'strict' });
  } catch (error) {
    const where = userFile === undefined ? 'configuration' : `configuration ${userFile}`;
    throw new VolplexError('InvalidParameter', `${where}: ${(error as Error).message}`);
  }
  const loaded = config.getProperties() as VolplexConfig;
  assertLayout(loaded);
  assertCredentialProfiles(loaded.credentials);
  return loaded;
}

function readYaml(path: string): object {
  if (!existsSync(path)) {
    throw new VolplexError('InvalidParameter', `configuration ${path}: file not found`);
  }
  try {
    const parsed: unknown = parse(readFileSync(path, 'utf8'));
    if (parsed === null || parsed === undefined) {
      return {};
    }
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the top level must be a mapping of keys such as socket, stateDir, backends');
    }
    return parsed;
  } catch (error) {
    throw new VolplexError('InvalidParameter', `configuration ${path}: ${(error as Error).message}`);
  }
}

function assertLayout(config: VolplexConfig): void {
  if (config.mountRoot === config.stateDir) {
    throw new VolplexError('InvalidParameter', 'configuration: mountRoot must differ from stateDir (for example <stateDir>/mounts)');
  }
}
