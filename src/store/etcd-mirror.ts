import type { IKeyValue, IWatchResponse, Watcher } from 'etcd3';

import type { Logger } from '../log/logger.js';
import type { ClusterView } from './cluster-view.js';
import type { EtcdConnection } from './etcd-connection.js';
import { decodeRecord, encodeRecord, type EtcdKeys } from './etcd-keys.js';
import type { SqliteStore } from './sqlite-store.js';
import type { VolumeRecord } from './store.js';

const RESYNC_INTERVAL_MS = 1000;

/**
 * Keeps this host's copy of the shared records (in its own SQLite, so a restart with etcd down
 * still knows every volume) and the ClusterView in line with etcd: one read of everything, then
 * a watch from the next revision, resumed from the last revision applied when it reconnects; a
 * watch etcd cancels (history compacted) starts over with a new read. The store's own writes are
 * applied at once, by revision: an older event never undoes a newer write.
 */
export class EtcdMirror {
  readonly #connection: EtcdConnection;
  readonly #keys: EtcdKeys;
  readonly #local: SqliteStore;
  readonly #view: ClusterView;
  readonly #log: Logger;
  readonly #ownerGone: (name: string) => void;
  /** Revisions of this host's own writes the watch has not passed yet, by key. */
  readonly #ahead = new Map<string, number>();
  /** Records removed in etcd while this host still counts references: kept until those go. */
  readonly #removedElsewhere = new Set<string>();
  /** Every event up to this revision is applied. */
  #applied = 0;
  #watcher: Watcher | undefined;
  #batch: VolumeRecord[] | undefined;
  #synced = false;
  #resyncing = false;
  #stopped = false;

  /** `ownerGone`: a single-writer volume's owner key went (its holder unmounted or died). */
  public constructor(connection: EtcdConnection, keys: EtcdKeys, local: SqliteStore, view: ClusterView, log: Logger, ownerGone: (name: string) => void) {
    this.#ownerGone = ownerGone;
    this.#connection = connection;
    this.#keys = keys;
    this.#local = local;
    this.#view = view;
    this.#log = log;
  }

  /** True once one read of everything has been applied. */
  public get synced(): boolean {
    return this.#synced;
  }

  /** Reads everything below the prefix, applies it, and watches from the next revision. Unavailable when etcd does not answer. */
  public async sync(): Promise<void> {
    const response = await this.#connection.call('read the shared volume records', () => this.#connection.client.getAll().prefix(this.#keys.root).exec());
    const revision = Number(response.header.revision);
    this.#applySnapshot(response.kvs, revision);
    this.#synced = true;
    this.#watch(revision + 1);
  }

  /** A write of this host's, at the revision etcd gave it: shown at once, never undone by an older event. */
  public applyOwn(key: string, value: string | undefined, lease: string, revision: number): void {
    if (revision <= this.#applied || (this.#ahead.get(key) ?? 0) >= revision) {
      return;
    }
    this.#ahead.set(key, revision);
    this.#apply(key, value, lease);
  }

  /** The volume was removed on another host while mounted here. */
  public removedElsewhere(name: string): boolean {
    return this.#removedElsewhere.has(name);
  }

  /** After a release: a volume removed elsewhere goes from this host's copy with its last reference. */
  public forgetIfGone(name: string): void {
    if (this.#removedElsewhere.has(name) && this.#local.usage(name).references === 0) {
      this.#removedElsewhere.delete(name);
      this.#local.forgetVolume(name);
    }
  }

  /** Ends the watch (before the client closes: a watch left attached would try to reconnect). */
  public stop(): void {
    this.#stopped = true;
    this.#dropWatcher();
  }

  #dropWatcher(): void {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    watcher?.removeAllListeners();
    watcher?.on('error', () => undefined);
    void watcher?.cancel().catch(() => undefined);
  }

  #applySnapshot(kvs: readonly IKeyValue[], revision: number): void {
    const present = new Set<string>();
    this.#batch = [];
    try {
      for (const kv of kvs) {
        const key = kv.key.toString();
        present.add(key);
        this.#fromEtcd(key, kv.value.toString(), kv.lease, Number(kv.mod_revision));
      }
      // What this host knew of that etcd no longer holds: gone while nothing was watching.
      for (const key of this.#knownKeys()) {
        if (!present.has(key)) {
          this.#fromEtcd(key, undefined, '0', revision);
        }
      }
    } finally {
      const batch = this.#batch;
      this.#batch = undefined;
      if (batch.length > 0) {
        this.#local.mirror(batch);
      }
    }
    this.#passed(revision);
  }

  #knownKeys(): string[] {
    return [
      ...this.#local.listVolumes().map((record) => this.#keys.volume(record.name)),
      ...this.#view.allMounts().map(([name, host]) => this.#keys.mount(name, host)),
      ...this.#view.allOwned().map((name) => this.#keys.owner(name)),
    ];
  }

  #watch(from: number): void {
    const watcher = this.#connection.client.watch().prefix(this.#keys.root).startRevision(String(from)).watcher();
    this.#watcher = watcher;
    watcher.on('put', (kv) => { this.#fromEtcd(kv.key.toString(), kv.value.toString(), kv.lease, Number(kv.mod_revision)); });
    watcher.on('delete', (kv) => { this.#fromEtcd(kv.key.toString(), undefined, '0', Number(kv.mod_revision)); });
    // After the events of a response (the watcher emits them first): all of that revision is applied.
    watcher.on('data', (response: IWatchResponse) => {
      this.#passed(Math.max(0, ...response.events.map((event) => Number(event.kv.mod_revision))));
    });
    watcher.on('connected', () => { this.#connection.markReachable(); });
    watcher.on('disconnected', (error) => {
      // Resume from what was applied: the client would resume from the last response's
      // header, which runs ahead of the events while a reconnected watch catches up.
      watcher.request.start_revision = String(this.#applied + 1);
      this.#log.debug({ reason: error.message }, 'etcd watch disconnected: resuming');
      this.#connection.check();
    });
    watcher.on('error', (error) => {
      this.#log.warn({ reason: error.message }, 'etcd cancelled the watch (its history was compacted?): reading everything again');
      this.#resync();
    });
  }

  /** A new read of everything and a new watch, again every second until etcd answers. */
  #resync(): void {
    if (this.#resyncing || this.#stopped) {
      return;
    }
    this.#resyncing = true;
    this.#dropWatcher();
    const attempt = (): void => {
      if (this.#stopped) {
        return;
      }
      this.sync().then(
        () => { this.#resyncing = false; },
        () => { setTimeout(attempt, RESYNC_INTERVAL_MS).unref(); },
      );
    };
    attempt();
  }

  #passed(revision: number): void {
    this.#applied = Math.max(this.#applied, revision);
    for (const [key, ahead] of this.#ahead) {
      if (ahead <= this.#applied) {
        this.#ahead.delete(key);
      }
    }
  }

  /** An event from etcd (the watch or a read), unless this host wrote something newer to that key. */
  #fromEtcd(key: string, value: string | undefined, lease: string, revision: number): void {
    if ((this.#ahead.get(key) ?? 0) >= revision) {
      return;
    }
    this.#apply(key, value, lease);
  }

  #apply(key: string, value: string | undefined, lease: string): void {
    const parsed = this.#keys.parse(key);
    switch (parsed?.kind) {
      case 'volume':
        this.#record(parsed.name, value);
        return;
      case 'mount':
        this.#view.setMount(parsed.name, parsed.host, value === undefined ? undefined : { value, lease });
        return;
      case 'owner':
        this.#view.setOwner(parsed.name, value === undefined ? undefined : { value, lease });
        if (value === undefined) {
          this.#ownerGone(parsed.name);
        }
        return;
      case undefined:
        return;
    }
  }

  #record(name: string, value: string | undefined): void {
    const known = this.#local.getVolume(name);
    if (value === undefined) {
      if (known === undefined) {
        return;
      }
      if (this.#local.usage(name).references > 0) {
        if (!this.#removedElsewhere.has(name)) {
          this.#removedElsewhere.add(name);
          this.#log.warn({ volume: name }, 'volume removed on another host while mounted here: kept on this host until its last unmount');
        }
        return;
      }
      this.#local.forgetVolume(name);
      return;
    }
    const record = decodeRecord(name, value);
    if (record === undefined) {
      this.#log.warn({ volume: name }, 'an etcd key of the volume records holds no volplex record: ignored');
      return;
    }
    this.#removedElsewhere.delete(name);
    if (known !== undefined && encodeRecord(known) === value) {
      return;
    }
    if (this.#batch === undefined) {
      this.#local.mirror([record]);
    } else {
      this.#batch.push(record);
    }
  }
}
