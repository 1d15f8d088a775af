import { isAbsolute } from 'node:path';

import { VolplexError } from '../core/errors.js';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, grammarProblem } from '../core/option-checks.js';
import type { CredentialProfile } from './config.js';

const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_SOURCES = ['accessKeySecret', 'accessKeySecretFile', 'accessKeySecretEnv'] as const;
const FIELDS = new Set<string>(['accessKeyId', ...SECRET_SOURCES]);

/** Checks the `credentials` section; errors name `credentials.<profile>.<field>`, never a value. */
export function assertCredentialProfiles(profiles: unknown): asserts profiles is Record<string, CredentialProfile> {
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) {
    throw invalid('credentials', 'must be a mapping of profile names to {accessKeyId, accessKeySecret | accessKeySecretFile | accessKeySecretEnv}');
  }
  for (const [name, profile] of Object.entries(profiles as Record<string, unknown>)) {
    const at = `credentials.${name}`;
    if (!PROFILE_NAME.test(name)) {
      throw invalid(at, 'profile names use 1 to 64 characters from [A-Za-z0-9_.-]');
    }
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) {
      throw invalid(at, 'must be a mapping with accessKeyId and one secret source');
    }
    const fields = profile as Record<string, unknown>;
    const unknown = Object.keys(fields).find((field) => !FIELDS.has(field));
    if (unknown !== undefined) {
      throw invalid(`${at}.${unknown}`, `is not a profile field; valid: ${[...FIELDS].join(', ')}`);
    }
    if (typeof fields.accessKeyId !== 'string' || fields.accessKeyId === '') {
      throw invalid(`${at}.accessKeyId`, 'must be a non-empty string');
    }
    // Both go into a `bucket:id:secret` line of the client's passwd file.
    if (grammarProblem(ACCESS_KEY_ID, fields.accessKeyId) !== undefined) {
      throw invalid(`${at}.accessKeyId`, `must be ${ACCESS_KEY_ID.valid}`);
    }
    const sources = SECRET_SOURCES.filter((source) => fields[source] !== undefined);
    if (sources.length !== 1) {
      throw invalid(at, `needs exactly one of ${SECRET_SOURCES.join(', ')} (found ${sources.length === 0 ? 'none' : sources.join(', ')})`);
    }
    const [source] = sources as [(typeof SECRET_SOURCES)[number]];
    const value = fields[source];
    if (typeof value !== 'string' || value === '') {
      throw invalid(`${at}.${source}`, 'must be a non-empty string');
    }
    if (source === 'accessKeySecret' && grammarProblem(ACCESS_KEY_SECRET, value) !== undefined) {
      throw invalid(`${at}.${source}`, `must be ${ACCESS_KEY_SECRET.valid} (the value is not shown)`);
    }
    if (source === 'accessKeySecretFile' && !isAbsolute(value)) {
      throw invalid(`${at}.${source}`, 'must be an absolute path');
    }
    if (source === 'accessKeySecretEnv' && !ENV_NAME.test(value)) {
      throw invalid(`${at}.${source}`, 'must be an environment variable name');
    }
  }
}

/** The configuration as it may be shown: inline secrets replaced. */
export function maskCredentialProfiles(profiles: Readonly<Record<string, CredentialProfile>>): Record<string, CredentialProfile> {
  return Object.fromEntries(
    Object.entries(profiles).map(([name, profile]) => [name, profile.accessKeySecret === undefined ? profile : { ...profile, accessKeySecret: '<masked>' }]),
  );
}

function invalid(key: string, problem: string): VolplexError {
  return new VolplexError('InvalidParameter', `configuration: ${key}: ${problem}`);
}
