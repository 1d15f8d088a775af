export const MASK = '<masked>';

/** Replaces every occurrence of each secret in text. Empty secrets are ignored. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret !== '').reduce((masked, secret) => masked.split(secret).join(MASK), text);
}
