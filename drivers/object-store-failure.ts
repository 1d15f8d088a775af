import { quote } from '../src/base/quote.js';
import { VolplexError } from '../src/core/errors.js';

/** What a failed mount is explained with, in the user's terms. */
export interface MountFacts {
  readonly type: string;
  readonly bucket: string;
  readonly url: string;
  /** What to check when the key is refused: "check credential profile lab (…)". */
  readonly keyAdvice: string;
}

/** The error given when the client left its mount before its check of the endpoint finished. */
export const CLIENT_GAVE_UP = 'the client gave up';

// s3fs 1.90 checks endpoint, key and bucket after it has daemonized, and logs its verdict.
const S3FS_VERDICT = /_check_service\(\d+\): ([^\n]*?)(?:\(host=[^)]*\))? - result of checking service/;
// ossfs 1.91 checks before it daemonizes, logs this line and exits 1 (the HTTP status behind
// it: 400 Bad Request, 403 Invalid Credentials, 404 Bucket not found, anything else Unable to connect).
const OSSFS_VERDICT = /(Bad Request|Invalid Credentials|Bucket not found|Unable to connect)\(host=[^,]*, message=(.*)\)\s*$/m;

/** Whether the log holds s3fs's verdict on its check (ossfs's comes with its exit). */
export function hasVerdict(log: string): boolean {
  return S3FS_VERDICT.test(log);
}

/**
 * The client's own verdict from its log (s3fs's after it daemonized, ossfs's before it
 * exited), else its last error line, else the error; never the command line it ran.
 */
export function explainFailure(log: string, error: { readonly message: string }, facts: MountFacts): VolplexError {
  const s3fsVerdict = S3FS_VERDICT.exec(log)?.[1]?.trim();
  const ossfsVerdict = OSSFS_VERDICT.exec(log);
  const verdict = (s3fsVerdict ?? ossfsVerdict?.[1])?.toLowerCase();
  const serverSaid = ossfsVerdict?.[2]?.trim() ?? '';
  const said = serverSaid === '' ? '' : ` (the server said ${quote(serverSaid)})`;
  if (verdict?.startsWith('invalid credentials') === true) {
    return new VolplexError('InvalidParameter', `access denied to bucket ${facts.bucket} at ${facts.url}${said}: ${facts.keyAdvice}`);
  }
  if (verdict?.startsWith('bucket or key not found') === true) {
    return new VolplexError('InvalidParameter', `bucket ${facts.bucket} (or its prefix) was not found at ${facts.url}`);
  }
  if (verdict === 'bucket not found') {
    return new VolplexError('InvalidParameter', `bucket ${facts.bucket} was not found at ${facts.url}`);
  }
  if (verdict === 'bad request') {
    return new VolplexError('InvalidParameter', `${facts.url} rejected the check of bucket ${facts.bucket} as a bad request${said}: is it this client's kind of endpoint?`);
  }
  // ossfs says "Unable to connect" for any status but 400, 403 and 404: with a message, the server did answer.
  if (verdict?.startsWith('unable to connect') === true) {
    return new VolplexError('Unavailable', serverSaid === '' ? `endpoint ${facts.url} is not reachable` : `endpoint ${facts.url} failed the check of bucket ${facts.bucket}${said}`);
  }
  const lastError = lastErrorLine(log, facts.type);
  if (verdict === undefined && error.message === CLIENT_GAVE_UP) {
    return new VolplexError('Unavailable', `${facts.type} mount of bucket ${facts.bucket} did not answer: the client exited before its check of ${facts.url} finished${lastError === undefined ? '' : ` (${lastError})`}`);
  }
  return new VolplexError('System', `${facts.type} mount of bucket ${facts.bucket} failed: ${s3fsVerdict ?? lastError ?? error.message}`);
}

/** The client's last complaint: its exit line (`ossfs: …`), else its last error log line. */
function lastErrorLine(log: string, type: string): string | undefined {
  const lines = log.split('\n');
  const exit = lines.filter((line) => line.startsWith(`${type}: `)).pop();
  // An error line, not the client's note that it changed its own log level.
  const logged = lines.filter((line) => /\[(ERR|CRT)\] /.test(line) && !line.includes('LowSetLogLevel')).pop()?.replace(/^\S+ \[(ERR|CRT)\] /, '');
  return exit?.slice(type.length + 2) ?? logged;
}
