import { readFile } from 'node:fs/promises';

import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, isBrokenCircuitError, retry } from 'cockatiel';
import { Etcd3, EtcdError, isRecoverableError, type IKeyValue, type IOptions, type IRangeResponse, type ITxnResponse, type Lease } from 'etcd3';

import { oneLine, quote } from '../base/quote.js';
import type { EtcdStoreConfig } from '../config/config.js';
import { VolplexError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';

/**
 * No call to etcd takes longer: Create, Remove and a single-writer Mount fail within 5 s when it
 * is gone. Long enough for the members left to elect a new leader when the leader died.
 */
export const CALL_TIMEOUT_MS = 4500;
/** While etcd does not answer, it is asked again this often. */
const PROBE_INTERVAL_MS = 1000;

class CallTimeout extends Error {}

/**
 * The one connection of a host to the etcd cluster: the client, every call bounded in time,
 * whether the cluster answers (and since when it does not), and this host's lease, kept
 * alive and granted again when lost. Never logs or shows a TLS key.
 */
export class EtcdConnection {
  public readonly client: Etcd3;
  readonly #log: Logger;
  readonly #ttl: number;
  readonly #reachableListeners: (() => void)[] = [];
  readonly #leaseListeners: (() => void)[] = [];
  #unreachableSince: number | undefined;
  #probing = false;
  #lease: Lease | undefined;
  #leaseId: Promise<string> | undefined;
  #granted: Lease | undefined;
  #currentLease: string | undefined;
  #leaseAliveAt = 0;
  #closed = false;

  private constructor(client: Etcd3, ttl: number, log: Logger) {
    this.client = client;
    this.#ttl = ttl;
    this.#log = log;
  }

  /** Reads the TLS files (never shown) and makes the client; nothing is sent yet. */
  public static async create(config: EtcdStoreConfig, log: Logger): Promise<EtcdConnection> {
    const options: IOptions = {
      hosts: [...config.endpoints],
      dialTimeout: CALL_TIMEOUT_MS,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_TIMEOUT_MS }),
      // A dead member is left alone for a second; a call tries every member before it fails.
      faultHandling: {
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(2) }),
        global: retry(handleWhen(isRecoverableError), { maxAttempts: config.endpoints.length }),
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as NonNullable<IOptions['faultHandling']>['watchBackoff'],
      },
      grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
      ...(await credentials(config.tls)),
    };
    return new EtcdConnection(new Etcd3(options), config.leaseTtl, log);
  }

  /** When the cluster stopped answering (ms since 1970), or undefined while it answers. */
  public get unreachableSince(): number | undefined {
    return this.#unreachableSince;
  }

  /** Called whenever the cluster answers again after it did not. */
  public onReachable(listener: () => void): void {
    this.#reachableListeners.push(listener);
  }

  /** Called after this host was granted a new lease (the old one was lost): its keys must be written again. */
  public onNewLease(listener: () => void): void {
    this.#leaseListeners.push(listener);
  }

  /** Runs one etcd call within CALL_TIMEOUT_MS. An unreachable cluster becomes Unavailable naming `what`. */
  public async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new CallTimeout(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)); }, CALL_TIMEOUT_MS); });
    try {
      const result = await Promise.race([operation(), deadline]);
      this.markReachable();
      return result;
    } catch (error) {
      throw this.#classify(what, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The cluster failed a call: remembered, and asked again every second until it answers. */
  public markUnreachable(reason: string): void {
    if (this.#unreachableSince === undefined && !this.#closed) {
      this.#unreachableSince = Date.now();
      this.#log.warn({ reason }, 'etcd cluster not reachable: Get and List answer from this host\'s cache; Create, Remove and single-writer Mounts fail until it is back');
    }
    this.#probe();
  }

  public markReachable(): void {
    if (this.#unreachableSince === undefined) {
      return;
    }
    this.#log.info({ unreachableForMs: Date.now() - this.#unreachableSince }, 'etcd cluster reachable again');
    this.#unreachableSince = undefined;
    this.#reachableListeners.forEach((listener) => { listener(); });
  }

  /** Something suggests the cluster may be gone (a watch dropped): one call now tells. */
  public check(): void {
    if (this.#unreachableSince === undefined && !this.#closed) {
      this.call('check the etcd cluster', () => this.client.maintenance.status()).catch(() => undefined);
    }
  }

  /** The lease this host's keys are bound to now, once granted. */
  public get currentLease(): string | undefined {
    return this.#currentLease;
  }

  /** This host's lease, granted (or granted again) if needed. */
  public leaseId(): Promise<string> {
    this.#leaseId ??= this.#grant();
    return this.#leaseId;
  }

  /** Seconds until this host's own lease ends if no keepalive gets through. */
  public ownLeaseExpiresIn(): number | undefined {
    return this.#leaseAliveAt === 0 ? undefined : Math.max(0, Math.round(this.#ttl - (Date.now() - this.#leaseAliveAt) / 1000));
  }

  /** Seconds another lease has left, as etcd says; undefined when it is gone or etcd does not answer. */
  public async timeToLive(leaseId: string): Promise<number | undefined> {
    const answer = await this.call('read a lease', () => this.client.leaseClient.leaseTimeToLive({ ID: leaseId })).catch(() => undefined);
    const ttl = answer === undefined ? -1 : Number(answer.TTL);
    return ttl >= 0 ? ttl : undefined;
  }

  /** Stops keepalives (the lease then runs out by itself: a restarting host's mounts stay recorded meanwhile) and closes the client. */
  public close(): void {
    this.#closed = true;
    this.#lease?.release();
    this.client.close();
  }

  async #grant(): Promise<string> {
    const lease = this.client.lease(this.#ttl, { autoKeepAlive: true });
    this.#lease = lease;
    lease.on('lost', (error) => { this.#lost(lease, error); });
    lease.on('keepaliveSucceeded', () => {
      if (lease === this.#lease) {
        this.#leaseAliveAt = Date.now();
        this.markReachable();
      }
    });
    try {
      const id = await this.call('grant this host\'s lease', () => lease.grant());
      this.#leaseAliveAt = Date.now();
      this.#granted = lease;
      this.#currentLease = id;
      return id;
    } catch (error) {
      if (lease === this.#lease) {
        this.#leaseId = undefined;
      }
      throw error;
    }
  }

  /** etcd ended the lease (or could not be told about it for twice its TTL): a new one, and the keys again. */
  #lost(lease: Lease, error: EtcdError): void {
    // A grant that failed is the caller's to retry; only a lease that was granted can be lost.
    if (lease !== this.#granted || this.#closed) {
      return;
    }
    this.#granted = undefined;
    this.#currentLease = undefined;
    this.#log.warn({ reason: error.message }, 'this host\'s etcd lease was lost: its mount records and single-writer holds are written again under a new one');
    this.#leaseId = undefined;
    this.#leaseAliveAt = 0;
    const again = (): void => {
      if (this.#closed) {
        return;
      }
      this.leaseId().then(
        () => { this.#leaseListeners.forEach((listener) => { listener(); }); },
        () => { setTimeout(again, PROBE_INTERVAL_MS).unref(); },
      );
    };
    again();
  }

  /** One probe a second while the cluster does not answer; the first answer ends it. */
  #probe(): void {
    if (this.#probing || this.#closed) {
      return;
    }
    this.#probing = true;
    const tick = (): void => {
      if (this.#closed || this.#unreachableSince === undefined) {
        this.#probing = false;
        return;
      }
      this.call('check the etcd cluster', () => this.client.maintenance.status()).then(
        () => { this.#probing = false; },
        () => { setTimeout(tick, PROBE_INTERVAL_MS).unref(); },
      );
    };
    setTimeout(tick, PROBE_INTERVAL_MS).unref();
  }

  #classify(what: string, error: unknown): VolplexError {
    if (VolplexError.is(error)) {
      return error;
    }
    const reason = oneLine(error instanceof Error ? error.message : String(error)).slice(0, 300);
    if (error instanceof CallTimeout || isBrokenCircuitError(error) || (error instanceof Error && isRecoverableError(error))) {
      this.markUnreachable(reason);
      const since = new Date(this.#unreachableSince ?? Date.now()).toISOString();
      return new VolplexError('Unavailable', `${what}: the etcd cluster cannot be reached (${reason}; not answering since ${since}); try again when it is back`, { cause: error });
    }
    return new VolplexError('System', `${what}: etcd: ${reason}`, { cause: error });
  }
}

/** The TLS files, read once; a missing one is named by its setting and path, its contents never shown. */
async function credentials(tls: EtcdStoreConfig['tls']): Promise<Pick<IOptions, 'credentials'>> {
  if (tls.ca === '' && tls.cert === '') {
    return {};
  }
  const read = async (setting: string, path: string): Promise<Buffer | undefined> => {
    if (path === '') {
      return undefined;
    }
    return readFile(path).catch((error: unknown) => {
      throw new VolplexError('InvalidParameter', `configuration: store.etcd.tls.${setting}: cannot read ${quote(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    });
  };
  const [rootCertificate, certChain, privateKey] = await Promise.all([read('ca', tls.ca), read('cert', tls.cert), read('key', tls.key)]);
  // Without a CA file the system's trusted roots check the servers.
  return { credentials: { rootCertificate: rootCertificate as Buffer, ...(certChain === undefined ? {} : { certChain }), ...(privateKey === undefined ? {} : { privateKey }) } };
}

/** The keys a range in a transaction's answer found (the client leaves the other answer kinds null). */
export function rangeAnswer(response: ITxnResponse, index: number): IKeyValue[] {
  const range = response.responses[index]?.response_range as IRangeResponse | null | undefined;
  return range?.kvs ?? [];
}
