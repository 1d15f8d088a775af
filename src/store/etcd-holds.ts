import type { ICompare, IRequestOp, ITxnResponse } from 'etcd3';

import { quote } from '../base/quote.js';
import { VolplexError } from '../core/errors.js';
import { KeyedLock } from '../core/keyed-lock.js';
import type { Logger } from '../log/logger.js';
import type { ClusterView } from './cluster-view.js';
import { rangeAnswer, type EtcdConnection } from './etcd-connection.js';
import type { EtcdKeys } from './etcd-keys.js';
import type { EtcdMirror } from './etcd-mirror.js';
import type { SqliteStore } from './sqlite-store.js';

/** What a hold needs: the shared pieces of the store, this host's ID and its lease TTL. */
export interface HoldsContext {
  readonly connection: EtcdConnection;
  readonly keys: EtcdKeys;
  readonly local: SqliteStore;
  readonly view: ClusterView;
  readonly mirror: EtcdMirror;
  readonly hostId: string;
  readonly leaseTtl: number;
  readonly log: Logger;
}

const bytes = (text: string): Buffer => Buffer.from(text);
/** Mount records per transaction when many are written at once (etcd allows 128 operations of each kind). */
const PUBLISH_BATCH = 64;

/**
 * This host's keys in etcd, bound to its lease: `mounts/<volume>/<hostId>` (its mount-ID count)
 * while it counts references to the volume, and `owners/<volume>` while it holds a single-writer
 * volume. The local counts are the truth; these keys follow them. A write etcd could not take
 * waits (pending) and is made when etcd answers again or a new lease is granted.
 */
export class EtcdHolds {
  readonly #context: HoldsContext;
  readonly #locks = new KeyedLock();
  readonly #pending = new Set<string>();
  readonly #conflicts = new Map<string, string>();

  public constructor(context: HoldsContext) {
    this.#context = context;
  }

  /**
   * Before the first reference here: writes the mount record, and for a single-writer volume
   * takes the owner key in the same transaction (Conflict naming the host holding it). A multi
   * volume is mounted even when etcd does not answer: its record is written when it is back.
   */
  public async claim(name: string): Promise<void> {
    const single = this.#context.local.getVolume(name)?.access === 'single-writer';
    await this.#locks.run(name, async () => {
      if (!single && this.#context.connection.unreachableSince !== undefined) {
        this.#pending.add(name);
        return;
      }
      try {
        await this.#take(name, single, '1');
      } catch (error) {
        if (single || !VolplexError.is(error, 'Unavailable')) {
          throw error;
        }
        this.#pending.add(name);
        this.#context.log.warn({ volume: name }, 'mounting a multi-access volume without etcd: this host\'s mount record is written when etcd is back');
      }
    });
  }

  /** Makes etcd show what the local counts say; never throws (what fails waits as pending). */
  public async sync(name: string): Promise<void> {
    await this.#locks.run(name, async () => {
      if (this.#context.connection.unreachableSince !== undefined) {
        this.#pending.add(name);
        return;
      }
      try {
        await this.#write(name);
        this.#pending.delete(name);
      } catch (error) {
        this.#pending.add(name);
        if (!VolplexError.is(error, 'Unavailable')) {
          this.#context.log.warn({ volume: name, err: error }, 'could not write this host\'s mount record to etcd; it is written again when etcd answers');
        }
      }
    });
  }

  /**
   * Every hold of this host written again under the current lease (at start, after a lost
   * lease), and what an earlier run of it left in etcd without a local count deleted.
   */
  public async publishAll(): Promise<void> {
    const { local, view, hostId } = this.#context;
    const names = [...new Set([...[...local.heldBackends().values()].flat(), ...view.heldBy(hostId), ...this.#pending])].sort();
    // Mount records of multi volumes go PUBLISH_BATCH to a transaction: a host with thousands mounted restarts in a few writes.
    const batchable = names.filter((name) => local.usage(name).references > 0 && local.getVolume(name)?.access !== 'single-writer');
    for (let start = 0; start < batchable.length; start += PUBLISH_BATCH) {
      await this.#publishBatch(batchable.slice(start, start + PUBLISH_BATCH));
    }
    const batched = new Set(batchable);
    for (const name of names.filter((each) => !batched.has(each))) {
      await this.#publish(name);
    }
  }

  /** The writes that waited for etcd. */
  public async flushPending(): Promise<void> {
    for (const name of [...this.#pending]) {
      await this.#publish(name);
    }
  }

  /** A single-writer volume mounted here while another host held its owner key: now free, it is taken. */
  public async retake(name: string): Promise<void> {
    if (this.#conflicts.has(name)) {
      await this.#publish(name);
    }
  }

  /** Why this host's hold of the volume is not what etcd shows, if it is not. */
  public conflict(name: string): string | undefined {
    return this.#conflicts.get(name);
  }

  /** The mount records of volumes mounted here, in one transaction under their locks; one by one if it fails. */
  async #publishBatch(names: readonly string[]): Promise<void> {
    const { connection, keys, local, view, hostId, mirror } = this.#context;
    const written = await this.#withLocks(names, async () => {
      const lease = await connection.leaseId();
      const stale = names
        .map((name) => ({ name, count: String(local.usage(name).mountIds), have: view.mount(name, hostId) }))
        .filter(({ count, have }) => count !== '0' && (have?.value !== count || have.lease !== lease));
      if (stale.length === 0) {
        names.forEach((name) => this.#pending.delete(name));
        return true;
      }
      const exists = stale.map(({ name }): ICompare => ({ key: bytes(keys.volume(name)), target: 'Version', result: 'Greater', version: 0 }));
      const puts = stale.map(({ name, count }): IRequestOp => ({ request_put: { key: bytes(keys.mount(name, hostId)), value: bytes(count), lease } }));
      const response = await this.#txn('write this host\'s mount records', exists, puts, []);
      if (response.succeeded) {
        stale.forEach(({ name, count }) => { mirror.applyOwn(keys.mount(name, hostId), count, lease, Number(response.header.revision)); });
        names.forEach((name) => this.#pending.delete(name));
      }
      return response.succeeded;
    }).catch(() => false);
    if (!written) {
      for (const name of names) {
        await this.sync(name);
      }
    }
  }

  /** Runs the task holding the locks of every name (taken in order; nothing else holds two). */
  async #withLocks<T>(names: readonly string[], task: () => Promise<T>): Promise<T> {
    const [first, ...rest] = names;
    return first === undefined ? task() : this.#locks.run(first, () => this.#withLocks(rest, task));
  }

  async #publish(name: string): Promise<void> {
    const { local } = this.#context;
    if (local.usage(name).references === 0 || local.getVolume(name)?.access !== 'single-writer') {
      await this.sync(name);
      return;
    }
    // Mounted here: the owner key is taken back only when no other host holds it.
    await this.#locks.run(name, async () => {
      if (this.#current(name)) {
        this.#pending.delete(name);
        return;
      }
      try {
        await this.#take(name, true, String(local.usage(name).mountIds));
        this.#pending.delete(name);
      } catch (error) {
        if (VolplexError.is(error, 'Conflict')) {
          const conflict = `mounted on this host while another host holds the single-writer owner key (this host's lease ran out while it was mounted): ${error.message}`;
          this.#conflicts.set(name, conflict);
          this.#context.log.error({ volume: name }, conflict);
          // The mount record all the same: every host sees that this one uses the volume.
          await this.#write(name).catch(() => { this.#pending.add(name); });
        } else if (!VolplexError.is(error, 'NotFound')) {
          this.#pending.add(name);
        }
      }
    });
  }

  /** etcd shows this host's single-writer hold as it is: owner key and mount record under the current lease. */
  #current(name: string): boolean {
    const { connection, view, hostId, local } = this.#context;
    const lease = connection.currentLease;
    const owner = view.owner(name);
    const mount = view.mount(name, hostId);
    return lease !== undefined && owner?.host === hostId && owner.lease === lease && mount?.lease === lease && mount.value === String(local.usage(name).mountIds);
  }

  /** Puts the mount record; for a single-writer volume with the owner key, if it is free or already this host's. */
  async #take(name: string, single: boolean, mountIds: string): Promise<void> {
    const { connection, keys, hostId, mirror, leaseTtl } = this.#context;
    const lease = await connection.leaseId();
    const exists: ICompare = { key: bytes(keys.volume(name)), target: 'Version', result: 'Greater', version: 0 };
    const ownerFree: ICompare = { key: bytes(keys.owner(name)), target: 'Create', result: 'Equal', create_revision: 0 };
    const ownerOurs: ICompare = { key: bytes(keys.owner(name)), target: 'Value', result: 'Equal', value: bytes(hostId) };
    const puts: IRequestOp[] = [{ request_put: { key: bytes(keys.mount(name, hostId)), value: bytes(mountIds), lease } }];
    if (single) {
      puts.push({ request_put: { key: bytes(keys.owner(name)), value: bytes(hostId), lease } });
    }
    const reads: IRequestOp[] = [{ request_range: { key: bytes(keys.volume(name)) } }, { request_range: { key: bytes(keys.owner(name)) } }];
    for (const owner of single ? [ownerFree, ownerOurs] : [undefined]) {
      const response = await this.#txn('take the volume for this host', [exists, ...(owner === undefined ? [] : [owner])], puts, reads);
      const revision = Number(response.header.revision);
      if (response.succeeded) {
        mirror.applyOwn(keys.mount(name, hostId), mountIds, lease, revision);
        if (single) {
          mirror.applyOwn(keys.owner(name), hostId, lease, revision);
        }
        this.#conflicts.delete(name);
        return;
      }
      const [record] = rangeAnswer(response, 0);
      const [holder] = rangeAnswer(response, 1);
      if (record === undefined) {
        throw new VolplexError('NotFound', 'volume was removed on another host');
      }
      const held = holder?.value.toString();
      if (held !== undefined && held !== hostId) {
        throw new VolplexError('Conflict', `volume is single-writer and in use on host ${quote(held)}: unmount it there first (if that host is down, the volume is free once its lease of ${leaseTtl} s runs out)`);
      }
      // The owner key is this host's under an older lease (or just went): the second compare takes it.
    }
    throw new VolplexError('Conflict', 'the single-writer owner key changed while it was being taken; try again');
  }

  /** Writes the mount record's count, or deletes it (and the owner key if this host's) once no reference is left. */
  async #write(name: string): Promise<void> {
    const { connection, keys, view, hostId, mirror, local } = this.#context;
    const usage = local.usage(name);
    const mountKey = keys.mount(name, hostId);
    const have = view.mount(name, hostId);
    if (usage.references === 0) {
      this.#conflicts.delete(name);
      if (have === undefined && view.owner(name)?.host !== hostId) {
        return;
      }
      const ownerOurs: ICompare = { key: bytes(keys.owner(name)), target: 'Value', result: 'Equal', value: bytes(hostId) };
      const deleteMount: IRequestOp = { request_delete_range: { key: bytes(mountKey) } };
      const response = await this.#txn('give back the volume', [ownerOurs], [deleteMount, { request_delete_range: { key: bytes(keys.owner(name)) } }], [deleteMount]);
      const revision = Number(response.header.revision);
      mirror.applyOwn(mountKey, undefined, '0', revision);
      if (response.succeeded) {
        mirror.applyOwn(keys.owner(name), undefined, '0', revision);
      }
      return;
    }
    const lease = await connection.leaseId();
    const count = String(usage.mountIds);
    if (have?.value === count && have.lease === lease) {
      return;
    }
    const exists: ICompare = { key: bytes(keys.volume(name)), target: 'Version', result: 'Greater', version: 0 };
    const response = await this.#txn('write this host\'s mount record', [exists], [{ request_put: { key: bytes(mountKey), value: bytes(count), lease } }], []);
    if (response.succeeded) {
      mirror.applyOwn(mountKey, count, lease, Number(response.header.revision));
    }
  }

  #txn(what: string, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[]): Promise<ITxnResponse> {
    const { connection } = this.#context;
    return connection.call(what, () => connection.client.kv.txn({ compare, success, failure }));
  }
}
