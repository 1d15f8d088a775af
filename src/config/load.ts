import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';

import convict from 'convict';
import { parse } from 'yaml';

import { VolplexError } from '../core/errors.js';
import type { VolplexConfig } from './config.js';
import { assertCredentialProfiles } from './credential-profiles.js';
import { HOST_ID, schema } from './schema.js';

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
  const properties = config.getProperties() as VolplexConfig;
  const loaded = { ...properties, hostId: properties.hostId === '' ? defaultHostId() : properties.hostId };
  assertLayout(loaded);
  assertStore(loaded);
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

/** The hostname, as a host ID: its first label when the whole name does not fit. */
function defaultHostId(): string {
  const name = hostname();
  const candidate = HOST_ID.test(name) ? name : (name.split('.')[0] ?? '');
  if (!HOST_ID.test(candidate)) {
    throw new VolplexError('InvalidParameter', `configuration: hostId: the hostname ${JSON.stringify(name)} cannot be a host ID; set hostId (1 to 63 characters from [A-Za-z0-9_.-])`);
  }
  return candidate;
}

function assertStore(config: VolplexConfig): void {
  const { kind, etcd } = config.store;
  if (kind === 'etcd' && etcd.endpoints.length === 0) {
    throw new VolplexError('InvalidParameter', 'configuration: store.etcd.endpoints: store.kind etcd needs the URLs of the etcd members, such as [http://10.0.0.1:2379, http://10.0.0.2:2379, http://10.0.0.3:2379]');
  }
  if ((etcd.tls.cert === '') !== (etcd.tls.key === '')) {
    throw new VolplexError('InvalidParameter', 'configuration: store.etcd.tls: cert and key go together (a client certificate and its private key), or neither');
  }
}
