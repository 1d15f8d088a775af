import type { InlineSecretsPolicy } from '../config/config.js';
import { VolplexError } from './errors.js';
import type { OptionTable, VolumeOptions } from './option-table.js';

const PROFILE_WAY = 'define a credentials profile in the volplex configuration (credentials: {NAME: {accessKeyId, accessKeySecretFile}}) and create the volume with -o credentials=NAME instead';

/** The sensitive options (ossfs ak_id, ak_secret) a volume was given with -o, in table order. */
export function inlineSecretOptions(table: OptionTable, options: VolumeOptions): string[] {
  return table.filter((spec) => spec.sensitive === true && options[spec.name] !== undefined).map((spec) => spec.name);
}

/**
 * Applies security.inlineSecrets at Create: refuse throws InvalidParameter naming the
 * profile way; warn and allow accept. Returns the notice to log and show in Status, if any.
 */
export function checkInlineSecrets(policy: InlineSecretsPolicy, names: readonly string[]): string | undefined {
  if (names.length === 0 || policy === 'allow') {
    return undefined;
  }
  const given = names.join(', ');
  if (policy === 'refuse') {
    throw new VolplexError('InvalidParameter', `options ${given} are refused (security.inlineSecrets: refuse): dockerd keeps every -o value in plain text and shows it to anyone who can run docker volume inspect; ${PROFILE_WAY}`);
  }
  return inlineSecretsNotice(names);
}

/** Status `warning` of a volume that holds secrets given with -o (never the values). */
export function inlineSecretsNotice(names: readonly string[]): string {
  return `dockerd stores ${names.join(', ')} in plain text: docker volume inspect shows them to anyone with docker access, and volplex cannot hide them there; a credentials profile avoids it: ${PROFILE_WAY}`;
}
