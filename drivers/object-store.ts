import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

import type { ObjectStoreBackendConfig, VolplexConfig } from '../src/config/config.js';
import type { LiveConfig } from '../src/config/live-config.js';
import { assertProfileDefined, readAccessKey, type AccessKey } from '../src/core/credentials.js';
import type { MountPlan, Volume, VolumeDriver } from '../src/core/driver.js';
import { errnoCode, VolplexError } from '../src/core/errors.js';
import { assertMountOptionList, assertPositionals } from '../src/core/mount-options.js';
import { booleanOption, HTTP_URL, integer, isTrue, OCTAL_MASK, SUBDIR, word, type Grammar } from '../src/core/option-checks.js';
import { requiredOption, type OptionTable } from '../src/core/option-table.js';
import { modeOption } from '../src/core/ownership.js';
import { removeRuntimeFiles, runtimeFile } from '../src/core/runtime-files.js';
import { maskSecrets } from '../src/system/mask.js';
import type { Mounter } from '../src/system/mounter.js';
import { CLIENT_GAVE_UP, explainFailure, hasVerdict, type MountFacts } from './object-store-failure.js';

const BUCKET = word(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name: 3 to 63 of [a-z0-9.-], starting and ending with a letter or digit', 63, /[a-z0-9.-]/);
const PROFILE = word(/^[A-Za-z0-9_.-]{1,64}$/, 'a profile name: up to 64 of [A-Za-z0-9_.-]', 64);
// `bucket:/prefix`; leading slashes are allowed and dropped.
const PREFIX: Grammar = { ...SUBDIR, check: (value) => SUBDIR.check?.(value.replace(/^\/+/, '') || '.') };
// Answered by the client only after its start-up check of endpoint, key and bucket.
const PROBE_NAME = '.volplex-mount-check';

const FLAGS = new Set(['allow_other', 'enable_noobj_cache']);

/** Options both FUSE clients accept; each becomes `-o name=value`, or `-o name` for FLAGS. */
const TUNING: OptionTable = [
  { name: 'uid', description: 'owner of every file', grammar: integer(0, 4294967294), joined: true },
  { name: 'gid', description: 'group of every file', grammar: integer(0, 4294967294), joined: true },
  { name: 'umask', description: 'octal umask for files and directories', grammar: OCTAL_MASK, joined: true },
  booleanOption('allow_other', 'let every user (any container user) use the mount', true),
  { name: 'stat_cache_expire', description: 'seconds a stat cache entry lives', grammar: integer(0, 86400), joined: true },
  { name: 'max_stat_cache_size', description: 'stat cache entries', grammar: integer(0, 10_000_000), joined: true },
  { ...booleanOption('enable_noobj_cache', "cache that an object does not exist (default: the client's own: off in s3fs, on in ossfs)", false), default: undefined },
  { name: 'parallel_count', description: 'parallel requests for large objects', grammar: integer(1, 100), joined: true },
  { name: 'multipart_size', description: 'multipart chunk size in MB', grammar: integer(5, 5120), joined: true },
  { name: 'readwrite_timeout', description: 'seconds a read or write request may take', grammar: integer(1, 3600), joined: true },
  // The client sets only the permission bits of its mount point (mp_umask): no setuid, setgid or sticky bit.
  { ...modeOption('the mount point', 0o777), joined: true },
];

export interface ObjectStoreFlavor {
  readonly type: 's3fs' | 'ossfs';
  readonly aliases: readonly string[];
  /** How to install the client, named when it is missing. */
  readonly providedBy: string;
  /** Options only this flavor accepts. */
  readonly extraOptions: OptionTable;
}

/**
 * Buckets through an s3fs-family FUSE client (s3fs, Aliyun's ossfs). Keys come from a
 * credentials profile at Mount time and reach the client only through a 0600 passwd file.
 */
export abstract class ObjectStoreDriver implements VolumeDriver {
  public readonly type: ObjectStoreFlavor['type'];
  public readonly aliases: readonly string[];
  public readonly options: OptionTable;
  readonly #flavor: ObjectStoreFlavor;
  readonly #live: LiveConfig;
  readonly #mounter: Mounter;

  protected constructor(flavor: ObjectStoreFlavor, config: LiveConfig, mounter: Mounter) {
    this.#flavor = flavor;
    this.type = flavor.type;
    this.aliases = flavor.aliases;
    this.#live = config;
    this.#mounter = mounter;
    this.options = [
      { name: 'bucket', description: 'the bucket name', required: true, grammar: BUCKET },
      { name: 'prefix', description: 'directory inside the bucket to mount (bucket:/prefix)', grammar: PREFIX, normalize: (value) => normalize(value).replace(/^\.?\/+|\/+$/g, '') },
      { name: 'url', description: `endpoint URL (default: backends.${flavor.type}.url)`, grammar: HTTP_URL, joined: true },
      { name: 'credentials', description: `credentials profile from the configuration (default: backends.${flavor.type}.credentials)`, grammar: PROFILE },
      booleanOption('ro', 'mount read-only', false),
      ...TUNING,
      ...flavor.extraOptions,
    ];
  }

  public async prepare(volume: Volume): Promise<void> {
    this.#url(volume);
    await this.#accessKey(volume);
  }

  public plan(volume: Volume): MountPlan {
    const bucket = requiredOption(volume.options, 'bucket');
    const prefix = volume.options.prefix ?? '';
    const url = this.#url(volume);
    const credentials = this.#credentialLabel(volume);
    const readOnly = isTrue(volume.options.ro);
    // Volumes with different inline keys never share a mount; the key ID itself is never shown.
    const keyOwner = this.#inlineKey(volume)?.id ?? credentials;
    return {
      key: [this.#backend.binary, url, `${bucket}:/${prefix}`, keyOwner, readOnly ? 'ro' : 'rw', ...this.#clientOptions(volume)].join('|'),
      subdir: '',
      createSubdir: false,
      details: { bucket, prefix, url, credentials, readOnly: String(readOnly) },
    };
  }

  public async mount(volume: Volume, target: string): Promise<void> {
    // The client's start and its verdict share one commandTimeout.
    const deadline = Date.now() + this.config.commandTimeout * 1000;
    const bucket = requiredOption(volume.options, 'bucket');
    const prefix = volume.options.prefix ?? '';
    const key = await this.#accessKey(volume);
    const passwdFile = await runtimeFile(this.config.stateDir, target, 'passwd');
    await writeFile(passwdFile, `${bucket}:${key.id}:${key.secret}\n`, { mode: 0o600 });
    await chmod(passwdFile, 0o600);
    const logFile = await runtimeFile(this.config.stateDir, target, `${this.type}.log`);
    const url = this.#url(volume);
    const connectTimeout = Math.max(2, Math.floor(this.config.commandTimeout / 3));
    const options = assertMountOptionList([
      `passwd_file=${passwdFile}`, `url=${url}`, `logfile=${logFile}`, 'dbglevel=err', `connect_timeout=${connectTimeout}`, 'retries=2',
      ...this.#clientOptions(volume),
    ]);
    // No `--` here: libfuse appends its own `-osubtype=…` after the arguments, and after a `--`
    // that is a stray positional (s3fs 1.90 then fails: "fuse: unknown option"). Neither
    // positional can start with "-": the bucket grammar starts with a letter or digit, the target is absolute.
    const args = [...options.flatMap((option) => ['-o', option]), ...assertPositionals([prefix === '' ? bucket : `${bucket}:/${prefix}`, target])];
    try {
      await this.#mounter.mountWithClient(this.#backend.binary, args, target, { secrets: [key.secret], providedBy: this.#flavor.providedBy });
    } catch (error) {
      throw await this.#startFailure(error, volume, logFile, key.secret);
    }
    await this.#verify(volume, target, logFile, Math.max(1000, deadline - Date.now()));
  }

  public async cleanup(target: string): Promise<void> {
    await removeRuntimeFiles(this.config.stateDir, target);
  }

  public async remove(): Promise<void> {
    // Objects in the bucket belong to the user.
  }

  /** Client options only this flavor knows, in its own spelling. */
  protected abstract flavorOptions(volume: Volume): string[];

  /** A flag option (allow_other, enable_noobj_cache) as this client spells it, on or off. */
  protected flagOption(name: string, on: boolean): string[] {
    return on ? [name] : [];
  }

  /** Read at use time: a reload reaches the next Create and Mount. */
  protected get config(): VolplexConfig {
    return this.#live.current;
  }

  get #backend(): ObjectStoreBackendConfig {
    return this.config.backends[this.type];
  }

  #url(volume: Volume): string {
    const url = volume.options.url ?? this.#backend.url;
    if (url === '') {
      throw new VolplexError('InvalidParameter', `option "url" is required for type ${this.type}: no default is configured in backends.${this.type}.url`);
    }
    return url;
  }

  #inlineKey(volume: Volume): AccessKey | undefined {
    const { ak_id: id, ak_secret: secret } = volume.options;
    if (id === undefined && secret === undefined) {
      return undefined;
    }
    if (id === undefined || secret === undefined) {
      throw new VolplexError('InvalidParameter', 'options "ak_id" and "ak_secret" go together; better, name a credentials profile with -o credentials=');
    }
    return { id, secret };
  }

  #profileName(volume: Volume): string {
    const name = volume.options.credentials ?? this.#backend.credentials;
    if (name === '') {
      const defined = Object.keys(this.config.credentials);
      throw new VolplexError('InvalidParameter', `no credentials for type ${this.type}: give -o credentials=<profile> (defined: ${defined.length === 0 ? '(none)' : defined.join(', ')}) or set backends.${this.type}.credentials`);
    }
    assertProfileDefined(this.config, name);
    return name;
  }

  async #accessKey(volume: Volume): Promise<AccessKey> {
    return this.#inlineKey(volume) ?? readAccessKey(this.config, this.#profileName(volume));
  }

  #credentialLabel(volume: Volume): string {
    const inline = this.#inlineKey(volume);
    // ak_id is a sensitive option: named, never shown.
    return inline === undefined ? `profile ${this.#profileName(volume)}` : 'inline key (-o ak_id, -o ak_secret)';
  }

  #facts(volume: Volume): MountFacts {
    const keyAdvice = this.#inlineKey(volume) === undefined ? `check credential profile ${this.#profileName(volume)} (its accessKeyId and secret)` : 'check the key given with -o ak_id and -o ak_secret';
    return { type: this.type, bucket: requiredOption(volume.options, 'bucket'), url: this.#url(volume), keyAdvice };
  }

  /**
   * The client exited with an error before it mounted (ossfs checks endpoint, key and bucket
   * then): its verdict from its log, not the command line and its raw output.
   */
  async #startFailure(error: unknown, volume: Volume, logFile: string, secret: string): Promise<VolplexError> {
    const facts = this.#facts(volume);
    if (VolplexError.is(error, 'Unavailable')) {
      // Killed at the command timeout (the check still waiting on the endpoint), or not installed.
      return error.message.includes('did not finish within') ? this.#noAnswer(facts) : error;
    }
    // The runner's words without the command line: "ossfs exited with status 1: <its output>".
    const exited = { message: (error instanceof Error ? error.message : String(error)).replace(/^`[^`]*` (?=exited|was killed)/, `${this.type} `) };
    const explained = explainFailure(await readFile(logFile, 'utf8').catch(() => ''), exited, facts);
    return new VolplexError(explained.kind, maskSecrets(explained.message, [secret]), { cause: error });
  }

  #noAnswer(facts: MountFacts): VolplexError {
    return new VolplexError('Unavailable', `${facts.type} mount of ${facts.bucket} at ${facts.url} did not answer within ${this.config.commandTimeout} s`);
  }

  #clientOptions(volume: Volume): string[] {
    const tuning = TUNING.filter((spec) => volume.options[spec.name] !== undefined).flatMap((spec) => {
      const value = volume.options[spec.name];
      if (FLAGS.has(spec.name)) {
        return this.flagOption(spec.name, value === 'true');
      }
      if (spec.name === 'mode') {
        return [`mp_umask=${(0o777 & ~parseInt(value ?? '', 8)).toString(8).padStart(4, '0')}`];
      }
      return [`${spec.name}=${value}`];
    });
    return [...tuning, ...(isTrue(volume.options.ro) ? ['ro'] : []), ...this.flavorOptions(volume)].sort();
  }

  /**
   * The client daemonizes before it checks endpoint, key and bucket: ask the mount (the
   * answer waits for that check) while watching the client's log for its verdict.
   */
  async #verify(volume: Volume, target: string, logFile: string, deadlineMs: number): Promise<void> {
    const facts = this.#facts(volume);
    const readLog = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
    // Any answer about the probe name, "no such file" included, means the client passed its check.
    const asked = this.#mounter.inspect(join(target, PROBE_NAME), { mountPoint: target, deadlineMs });
    const answer = await settleWithin(asked, deadlineMs, async () => hasVerdict(await readLog()));
    // "No such file" also comes from the bare directory once a client that gave up has unmounted.
    if (answer.outcome === 'done' && (await this.#mounter.isListed(target))) {
      return;
    }
    const log = await readLog();
    if (answer.outcome === 'timeout' && !hasVerdict(log)) {
      throw this.#noAnswer(facts);
    }
    throw explainFailure(log, answer.outcome === 'failed' ? answer : { message: CLIENT_GAVE_UP }, facts);
  }
}

type Settled = { readonly outcome: 'done' } | { readonly outcome: 'failed'; readonly code: string | undefined; readonly message: string } | { readonly outcome: 'timeout' | 'stopped' };

const POLL_MS = 200;

/** Waits for promise, at most ms, and stops early once `stop` says so (checked every 200 ms). */
async function settleWithin(promise: Promise<unknown>, ms: number, stop: () => Promise<boolean>): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => { resolve({ outcome: 'timeout' }); }, ms);
    poller = setInterval(() => {
      void stop().then((stopped) => {
        if (stopped) {
          resolve({ outcome: 'stopped' });
        }
      });
    }, POLL_MS);
  });
  const settled = promise.then(
    (): Settled => ({ outcome: 'done' }),
    (error: unknown): Settled => ({ outcome: 'failed', code: errnoCode(error), message: error instanceof Error ? error.message : String(error) }),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
    clearInterval(poller);
  }
}
