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

/** The user's configuration file: `--config FILE`, else VOLPLEX_CONFIG; undefined when neither names one. */
export function userConfigFile(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = file ?? env.VOLPLEX_CONFIG;
  return path === '' ? undefined : path;
}

/**
 * Merges, lowest first: schema defaults, config/default.yaml, the user's file
 * (`file`, else VOLPLEX_CONFIG), VOLPLEX_* environment variables. Throws
 * InvalidParameter naming the key and the expected form.
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): VolplexConfig {
  const config = convict(schema, { env, args: [] });
  const userFile = userConfigFile(file, env);
  for (const path of [DEFAULT_CONFIG_FILE, userFile]) {
    if (path !== undefined) {
      loadInto(config, path);
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

/** Merges one file into the convict config. */
function loadInto(config: { load: (values: object) => unknown }, path: string): void {
  const parsed = readYaml(path);
  try {
    config.load(parsed);
  } catch (error) {
    // The one mapping-typed key is credentials: convict JSON-parses a string there and quotes it.
    const problem = error instanceof SyntaxError ? 'credentials: must be a mapping of profile names to {accessKeyId, accessKeySecret | accessKeySecretFile | accessKeySecretEnv}' : (error as Error).message;
    throw new VolplexError('InvalidParameter', `configuration ${path}: ${problem}`);
  }
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
    // Only the first line: the rest quotes the file around the error, which may hold a secret.
    const [reason = ''] = (error as Error).message.split('\n');
    throw new VolplexError('InvalidParameter', `configuration ${path}: ${reason.replace(/:$/, '')}`);
  }
}

function assertLayout(config: VolplexConfig): void {
  if (config.mountRoot === config.stateDir) {
    throw new VolplexError('InvalidParameter', 'configuration: mountRoot must differ from stateDir (for example <stateDir>/mounts)');
  }
  if (config.metrics.listen === config.socket) {
    throw new VolplexError('InvalidParameter', 'configuration: metrics.listen must not be the plugin socket; give it a socket path of its own or host:port (such as 127.0.0.1:9597)');
  }
}
