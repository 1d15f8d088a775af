import type { ICompare, IRequestOp, ITxnResponse } from 'etcd3';

import { quote } from '../base/quote.js';
import type { VolplexConfig } from '../config/config.js';
import { VolplexError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { ClusterView } from './cluster-view.js';
import { EtcdConnection, rangeAnswer } from './etcd-connection.js';
import { EtcdHolds } from './etcd-holds.js';
import { decodeRecord, encodeRecord, EtcdKeys, prefixEnd, sameRecord } from './etcd-keys.js';
import { EtcdMirror } from './etcd-mirror.js';
import { SqliteStore } from './sqlite-store.js';
import type { DeleteOptions, MountReference, ReleaseResult, Store, StoreCounts, VolumeRecord, VolumeSharing, VolumeUsage } from './store.js';

/** store_meta key: the etcd prefix this host's SQLite caches (set once its volumes are known to be in etcd). */
export const ETCD_PREFIX_META = 'etcd.prefix';
/** How long start-up waits for etcd before serving from this host's cache. */
const START_WAIT_MS = 3000;
/** Another host's lease is asked for again after this long, when a Status shows it. */
const LEASE_TTL_CACHE_MS = 1000;

const bytes = (text: string): Buffer => Buffer.from(text);

/**
 * Volume records shared by every host on an etcd cluster (`scope: global`). Records live in
 * etcd; Create and Remove are one transaction each. This host's mount-ID counts stay in its
 * own SQLite (they survive kill -9, as with the SQLite store), which also keeps a copy of every
 * record, fed by a watch: Get, List and Path answer from memory, and still answer while etcd is
 * down. etcd holds which hosts use which volume (`mounts/<volume>/<hostId>`) and who holds a
 * single-writer volume (`owners/<volume>`), bound to this host's lease: when a host dies, its
 * keys go with its lease.
 */
export class EtcdStore implements Store {
  public readonly hostId: string;
  readonly #local: SqliteStore;
  readonly #connection: EtcdConnection;
  readonly #keys: EtcdKeys;
  readonly #view = new ClusterView();
  readonly #mirror: EtcdMirror;
  readonly #holds: EtcdHolds;
  /** Other hosts' leases: seconds left when etcd was asked, and when it was asked. */
  readonly #leaseTtls = new Map<string, { readonly seconds: number | undefined; readonly at: number; asking: boolean }>();
  #starting: Promise<void> | undefined;

  private constructor(config: VolplexConfig, local: SqliteStore, connection: EtcdConnection, log: Logger) {
    this.hostId = config.hostId;
    this.#local = local;
    this.#connection = connection;
    this.#keys = new EtcdKeys(config.store.etcd.prefix);
    this.#mirror = new EtcdMirror(connection, this.#keys, local, this.#view, log, (name) => { void this.#holds.retake(name); });
    this.#holds = new EtcdHolds({ connection, keys: this.#keys, local, view: this.#view, mirror: this.#mirror, hostId: config.hostId, leaseTtl: config.store.etcd.leaseTtl, log });
    connection.onReachable(() => { this.#start().catch(() => undefined); });
    connection.onNewLease(() => { void this.#holds.publishAll(); });
  }

  /**
   * Opens this host's SQLite and connects. The first start on a state dir whose store holds
   * volumes needs etcd to hold them too (`volplex store migrate --to etcd`). Later starts
   * wait a few seconds for etcd, then serve from the cache and keep trying.
   */
  public static async open(config: VolplexConfig, log: Logger): Promise<EtcdStore> {
    const local = new SqliteStore(config.stateDir);
    let connection: EtcdConnection | undefined;
    try {
      connection = await EtcdConnection.create(config.store.etcd, log);
      const store = new EtcdStore(config, local, connection, log);
      if (local.meta(ETCD_PREFIX_META) !== config.store.etcd.prefix) {
        await store.#adopt(config.store.etcd.prefix);
      }
      // Unreachable: the first read is tried again whenever etcd answers (onReachable).
      const started = store.#start().then(() => true, () => false);
      const waited = await Promise.race([started, new Promise<false>((resolve) => setTimeout(() => { resolve(false); }, START_WAIT_MS).unref())]);
      if (!waited) {
        log.warn({ endpoints: config.store.etcd.endpoints }, 'etcd did not answer at start: serving the volumes this host knows; connecting in the background');
      }
      return store;
    } catch (error) {
      connection?.close();
      local.close();
      throw error;
    }
  }

  public listVersion(): number {
    return this.#local.listVersion();
  }

  public getVolume(name: string): VolumeRecord | undefined {
    return this.#local.getVolume(name);
  }

  public listVolumes(): readonly VolumeRecord[] {
    return this.#local.listVolumes();
  }

  /** One transaction, "create if absent"; the record another host made first is returned (and shown at once). */
  public async insertVolume(record: VolumeRecord): Promise<VolumeRecord | undefined> {
    const key = this.#keys.volume(record.name);
    const value = encodeRecord(record);
    const absent: ICompare = { key: bytes(key), target: 'Create', result: 'Equal', create_revision: 0 };
    const response = await this.#txn('create the volume record', [absent], [{ request_put: { key: bytes(key), value: bytes(value) } }], [{ request_range: { key: bytes(key) } }]);
    if (response.succeeded) {
      this.#mirror.applyOwn(key, value, '0', Number(response.header.revision));
      return undefined;
    }
    const [found] = rangeAnswer(response, 0);
    const existing = found === undefined ? undefined : decodeRecord(record.name, found.value.toString());
    if (found === undefined || existing === undefined) {
      throw new VolplexError('System', `etcd key ${quote(key)} holds no volplex volume record`);
    }
    this.#mirror.applyOwn(key, found.value.toString(), '0', Number(found.mod_revision));
    return existing;
  }

  /** One transaction: the record goes only while no host has a mount record of the volume; then what it owns here. */
  public async deleteVolume(name: string, removeOwnedData: () => Promise<void>, options: DeleteOptions = {}): Promise<void> {
    if (this.#local.usage(name).references > 0) {
      throw new VolplexError('Conflict', 'volume is in use');
    }
    const mounts = this.#keys.mountsOf(name);
    const noMounts: ICompare = { key: bytes(mounts), range_end: prefixEnd(mounts), target: 'Create', result: 'Equal', create_revision: 0 };
    const deletions = [{ request_delete_range: { key: bytes(this.#keys.volume(name)) } }, { request_delete_range: { key: bytes(this.#keys.owner(name)) } }];
    const response = await this.#txn('remove the volume record', [noMounts], deletions, [{ request_range: { key: bytes(mounts), range_end: prefixEnd(mounts) } }]);
    if (!response.succeeded) {
      const hosts = rangeAnswer(response, 0).map((kv) => kv.key.toString().slice(mounts.length));
      throw new VolplexError('Conflict', `volume is in use on host${hosts.length === 1 ? '' : 's'} ${hosts.map(quote).join(', ')}: unmount it there first`);
    }
    const revision = Number(response.header.revision);
    this.#mirror.applyOwn(this.#keys.volume(name), undefined, '0', revision);
    this.#mirror.applyOwn(this.#keys.owner(name), undefined, '0', revision);
    if (this.#local.getVolume(name) !== undefined) {
      this.#local.forgetVolume(name, options.holdsSecrets);
    }
    await removeOwnedData().catch((error: unknown) => {
      throw VolplexError.wrap(error, 'the volume is removed, but what it owned on this host could not be deleted');
    });
  }

  public usage(name: string): VolumeUsage {
    return this.#local.usage(name);
  }

  public async claim(name: string): Promise<void> {
    if (this.#mirror.removedElsewhere(name)) {
      throw new VolplexError('NotFound', 'volume was removed on another host');
    }
    await this.#holds.claim(name);
  }

  public async unclaim(name: string): Promise<void> {
    await this.#holds.sync(name);
  }

  public async addReference(name: string, id: string, backendKey: string): Promise<void> {
    this.#local.addReferenceNow(name, id, backendKey);
    await this.#holds.sync(name);
  }

  public async releaseReference(name: string, id: string): Promise<ReleaseResult> {
    return this.#afterRelease(name, this.#local.releaseReferenceNow(name, id));
  }

  public references(name: string): MountReference[] {
    return this.#local.references(name);
  }

  public async dropReference(name: string, id: string, lifetime: number, count: number): Promise<ReleaseResult> {
    return this.#afterRelease(name, this.#local.dropReferenceNow(name, id, lifetime, count));
  }

  public dockerLifetime(): number {
    return this.#local.dockerLifetime();
  }

  public beginDockerLifetime(): number {
    return this.#local.beginDockerLifetime();
  }

  public backendUsers(backendKey: string): number {
    return this.#local.backendUsers(backendKey);
  }

  public heldBackends(): Map<string, string[]> {
    return this.#local.heldBackends();
  }

  public counts(): StoreCounts {
    return this.#local.counts();
  }

  public async dropBackend(backendKey: string): Promise<string[]> {
    const names = this.#local.dropBackendNow(backendKey);
    for (const name of names) {
      await this.#holds.sync(name);
      this.#mirror.forgetIfGone(name);
    }
    return names;
  }

  public sharing(name: string): VolumeSharing {
    const hosts = new Set(this.#view.hostsOf(name));
    // This host's own part is what it counts, whatever etcd has heard of it yet.
    if (this.#local.usage(name).references > 0) {
      hosts.add(this.hostId);
    } else {
      hosts.delete(this.hostId);
    }
    const owner = this.#view.owner(name);
    const since = this.#connection.unreachableSince;
    const conflict = this.#holds.conflict(name);
    return {
      mountedOn: [...hosts].sort(),
      ...(owner === undefined ? {} : { owner: { host: owner.host, ...expiring(this.#leaseExpiresIn(owner)) } }),
      ...(since === undefined ? {} : { unreachableSince: new Date(since).toISOString() }),
      ...(conflict === undefined ? {} : { conflict }),
    };
  }

  public close(): void {
    this.#mirror.stop();
    this.#connection.close();
    this.#local.close();
  }

  /** The first start on this state dir: every volume its store holds must be in etcd already. */
  async #adopt(prefix: string): Promise<void> {
    const volumes = this.#local.listVolumes();
    if (volumes.length > 0) {
      const response = await this.#connection.call('read the shared volume records', () => this.#connection.client.getAll().prefix(this.#keys.volumes).exec());
      const shared = new Map(response.kvs.map((kv) => {
        const name = kv.key.toString().slice(this.#keys.volumes.length);
        return [name, decodeRecord(name, kv.value.toString())];
      }));
      const missing = volumes.filter((record) => {
        const there = shared.get(record.name);
        return there === undefined || !sameRecord(there, record);
      });
      if (missing.length > 0) {
        const names = missing.slice(0, 10).map((record) => quote(record.name)).join(', ');
        throw new VolplexError('Conflict', `this host's store (${missing.length} volume(s): ${names}${missing.length > 10 ? ', …' : ''}) is not in etcd under ${prefix}: run \`volplex store migrate --to etcd\` first, which copies it there, then start volplex again`);
      }
    }
    this.#local.setMeta(ETCD_PREFIX_META, prefix);
  }

  /**
   * The first read and watch (joined while running); then, in the background, this host's holds
   * written under its lease: a start with many volumes mounted does not wait for those writes.
   */
  #start(): Promise<void> {
    if (this.#mirror.synced) {
      void this.#holds.flushPending();
      return Promise.resolve();
    }
    this.#starting ??= this.#mirror.sync().then(
      () => {
        this.#starting = undefined;
        void this.#holds.publishAll();
      },
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  async #afterRelease(name: string, result: ReleaseResult): Promise<ReleaseResult> {
    if (result.released) {
      await this.#holds.sync(name);
      this.#mirror.forgetIfGone(name);
    }
    return result;
  }

  /** Seconds the owner's lease has left: this host's own from its keepalives, another's as etcd last said. */
  #leaseExpiresIn(owner: { readonly host: string; readonly lease: string }): number | undefined {
    if (owner.host === this.hostId && owner.lease === this.#connection.currentLease) {
      return this.#connection.ownLeaseExpiresIn();
    }
    const known = this.#leaseTtls.get(owner.lease);
    if (known === undefined || (Date.now() - known.at > LEASE_TTL_CACHE_MS && !known.asking)) {
      // Asked in the background: a Status never waits for etcd.
      if (this.#leaseTtls.size > 1000) {
        this.#leaseTtls.clear();
      }
      const asked = known ?? { seconds: undefined, at: 0, asking: true };
      asked.asking = true;
      this.#leaseTtls.set(owner.lease, asked);
      void this.#connection.timeToLive(owner.lease).then((seconds) => { this.#leaseTtls.set(owner.lease, { seconds, at: Date.now(), asking: false }); });
    }
    return known?.seconds === undefined ? undefined : Math.max(0, Math.round(known.seconds - (Date.now() - known.at) / 1000));
  }

  #txn(what: string, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[]): Promise<ITxnResponse> {
    return this.#connection.call(what, () => this.#connection.client.kv.txn({ compare, success, failure }));
  }
}

function expiring(seconds: number | undefined): { expiresInSeconds?: number } {
  return seconds === undefined ? {} : { expiresInSeconds: seconds };
}
