import { quote } from '../base/quote.js';
import { VolplexError } from '../core/errors.js';

type Body = Readonly<Record<string, unknown>>;

/**
 * Parses a request body whatever its headers say (dockerd sends no Content-Type).
 * Empty means {}. Field names match case-insensitively, as Go's decoder does.
 */
export function decodeBody(raw: unknown): Body {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8').trim() : '';
  if (text === '') {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8 may quote the body itself ('"…" is not valid JSON'): it can hold an option's secret.
    const reason = (error as Error).message.replace(/, ".*" is not valid JSON$/s, '');
    throw new VolplexError('InvalidParameter', `request body is not valid JSON: ${reason}`);
  }
  if (parsed === null) {
    return {};
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new VolplexError('InvalidParameter', 'request body must be a JSON object');
  }
  return parsed as Body;
}

/** Name: every call but Activate, List and Capabilities. */
export function decodeName(body: Body): string {
  const name = field(body, 'Name');
  if (typeof name !== 'string' || name === '') {
    throw new VolplexError('InvalidParameter', 'request field Name must be a non-empty string');
  }
  return name;
}

/** Opts of Create: a map of strings; absent or null means none. */
export function decodeOpts(body: Body): Record<string, string> {
  const opts = field(body, 'Opts') ?? {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new VolplexError('InvalidParameter', 'request field Opts must be a map of strings');
  }
  const entries = Object.entries(opts as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new VolplexError('InvalidParameter', `option ${quote(key)} must be a string, got ${jsonType(value)}`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

// dockerd's mount IDs are 64 hex digits; anything far longer is not from dockerd.
const MAX_ID_LENGTH = 256;

/** ID of Mount and Unmount: one container mount point; absent means '' (dockerd before 1.12). */
export function decodeId(body: Body): string {
  const id = field(body, 'ID') ?? '';
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH) {
    throw new VolplexError('InvalidParameter', `request field ID must be a string of at most ${MAX_ID_LENGTH} characters`);
  }
  return id;
}

function jsonType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

function field(body: Body, name: string): unknown {
  if (Object.hasOwn(body, name)) {
    return body[name];
  }
  const lower = name.toLowerCase();
  const key = Object.keys(body).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : body[key];
}
