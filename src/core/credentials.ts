import { readFile } from 'node:fs/promises';

import type { CredentialProfile, VolplexConfig } from '../config/config.js';
import { errnoCode, VolplexError } from './errors.js';

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
    throw new VolplexError('InvalidParameter', `credentials profile ${JSON.stringify(name)} is not defined in the configuration; defined: ${defined.length === 0 ? '(none)' : defined.join(', ')}`);
  }
  return profile;
}

/** Reads a profile's key now (at Mount), from the config, its file or the environment. Errors never hold the secret. */
export async function readAccessKey(config: VolplexConfig, name: string, env: NodeJS.ProcessEnv = process.env): Promise<AccessKey> {
  const profile = profileNamed(config, name);
  if (profile.accessKeySecret !== undefined) {
    return { id: profile.accessKeyId, secret: profile.accessKeySecret };
  }
  if (profile.accessKeySecretFile !== undefined) {
    const file = profile.accessKeySecretFile;
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new VolplexError('Unavailable', `credentials profile ${JSON.stringify(name)}: cannot read accessKeySecretFile ${file}: ${errnoCode(error) ?? 'error'}`);
    });
    return { id: profile.accessKeyId, secret: nonEmpty(text.trim(), name, `file ${profile.accessKeySecretFile}`) };
  }
  const variable = profile.accessKeySecretEnv ?? '';
  return { id: profile.accessKeyId, secret: nonEmpty(env[variable] ?? '', name, `environment variable ${variable}`) };
}

function nonEmpty(secret: string, profile: string, where: string): string {
  if (secret === '') {
    throw new VolplexError('Unavailable', `credentials profile ${JSON.stringify(profile)}: ${where} is empty or unset`);
  }
  return secret;
}
