import { readFile } from 'node:fs/promises';

import { quote } from '../base/quote.js';
import type { CredentialProfile, VolplexConfig } from '../config/config.js';
import { errnoCode, VolplexError } from './errors.js';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, grammarProblem } from './option-checks.js';

export interface AccessKey {
  readonly id: string;
  readonly secret: string;
}

/** Throws InvalidParameter unless the profile is defined; reads no secret. */
export function assertProfileDefined(config: VolplexConfig, name: string): void {
  profileNamed(config, name);
}

function profileNamed(config: VolplexConfig, name: string): CredentialProfile {
  const profile = config.credentials[name];
  if (profile === undefined) {
    const defined = Object.keys(config.credentials);
    throw new VolplexError('InvalidParameter', `credentials profile ${quote(name)} is not defined in the configuration; defined: ${defined.length === 0 ? '(none)' : defined.join(', ')}`);
  }
  return profile;
}

/** Reads a profile's key now (at Mount), from the config, its file or the environment. Errors never hold the secret. */
export async function readAccessKey(config: VolplexConfig, name: string, env: NodeJS.ProcessEnv = process.env): Promise<AccessKey> {
  const profile = profileNamed(config, name);
  if (profile.accessKeySecret !== undefined) {
    return checked({ id: profile.accessKeyId, secret: profile.accessKeySecret }, name, 'accessKeySecret');
  }
  if (profile.accessKeySecretFile !== undefined) {
    const file = profile.accessKeySecretFile;
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new VolplexError('Unavailable', `credentials profile ${quote(name)}: cannot read accessKeySecretFile ${file}: ${errnoCode(error) ?? 'error'}`);
    });
    return checked({ id: profile.accessKeyId, secret: text.trim() }, name, `file ${profile.accessKeySecretFile}`);
  }
  const variable = profile.accessKeySecretEnv ?? '';
  return checked({ id: profile.accessKeyId, secret: env[variable] ?? '' }, name, `environment variable ${variable}`);
}

/** The key becomes one `bucket:id:secret` line of the client's passwd file: a newline or ":" would change that file. */
function checked(key: AccessKey, profile: string, where: string): AccessKey {
  if (key.secret === '') {
    throw new VolplexError('Unavailable', `credentials profile ${quote(profile)}: ${where} is empty or unset`);
  }
  if (grammarProblem(ACCESS_KEY_SECRET, key.secret) !== undefined) {
    throw new VolplexError('Unavailable', `credentials profile ${quote(profile)}: the secret in ${where} is not valid (not shown); valid: ${ACCESS_KEY_SECRET.valid}`);
  }
  if (grammarProblem(ACCESS_KEY_ID, key.id) !== undefined) {
    throw new VolplexError('Unavailable', `credentials profile ${quote(profile)}: accessKeyId is not valid; valid: ${ACCESS_KEY_ID.valid}`);
  }
  return key;
}
