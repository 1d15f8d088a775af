import type { ICompare } from 'etcd3';

import { quote } from '../base/quote.js';
import { VolplexError } from '../core/errors.js';
import { rangeAnswer, type EtcdConnection } from './etcd-connection.js';
import { decodeRecord, encodeRecord, EtcdKeys, sameRecord } from './etcd-keys.js';
import { ETCD_PREFIX_META } from './etcd-store.js';
import type { SqliteStore } from './sqlite-store.js';
import type { VolumeRecord } from './store.js';

export interface MigrationReport {
  /** Volumes written to etcd now. */
  readonly copied: readonly string[];
  /** Volumes etcd already held with the same type, options and access mode. */
  readonly alreadyThere: readonly string[];
}

/**
 * Copies the volume records of this host's SQLite store into etcd, each with this host as its
 * creator, "create if absent". Idempotent: a record already there with the same options is
 * left as it is. A name etcd holds with other options is a conflict: then nothing is copied
 * (Conflict naming them). Afterwards the SQLite store is marked as this prefix's cache, so the
 * etcd store starts on it.
 */
export async function migrateToEtcd(local: SqliteStore, connection: EtcdConnection, prefix: string, hostId: string): Promise<MigrationReport> {
  const keys = new EtcdKeys(prefix);
  const shared = await sharedRecords(connection, keys);
  const records = local.listVolumes().map((record) => ({ ...record, host: record.host ?? hostId }));
  const conflicts = records.filter((record) => {
    const there = shared.get(record.name);
    return there !== undefined && (there === null || !sameRecord(there, record));
  });
  if (conflicts.length > 0) {
    throw conflictError(conflicts.map((record) => describe(record, shared.get(record.name))), prefix);
  }
  const copied: string[] = [];
  const alreadyThere: string[] = [];
  for (const record of records) {
    if (shared.has(record.name)) {
      alreadyThere.push(record.name);
      continue;
    }
    const raced = await createIfAbsent(connection, keys, record);
    if (raced === null || (raced !== undefined && !sameRecord(raced, record))) {
      throw conflictError([describe(record, raced)], prefix);
    }
    (raced === undefined ? copied : alreadyThere).push(record.name);
  }
  local.setMeta(ETCD_PREFIX_META, prefix);
  return { copied, alreadyThere };
}

/** Every record below the prefix; null for a key that holds no volplex record. */
async function sharedRecords(connection: EtcdConnection, keys: EtcdKeys): Promise<Map<string, VolumeRecord | null>> {
  const response = await connection.call('read the shared volume records', () => connection.client.getAll().prefix(keys.volumes).exec());
  return new Map(response.kvs.map((kv) => {
    const name = kv.key.toString().slice(keys.volumes.length);
    return [name, decodeRecord(name, kv.value.toString()) ?? null];
  }));
}

/** Undefined when created; else the record another host wrote first (null: not a volplex record). */
async function createIfAbsent(connection: EtcdConnection, keys: EtcdKeys, record: VolumeRecord): Promise<VolumeRecord | null | undefined> {
  const key = Buffer.from(keys.volume(record.name));
  const absent: ICompare = { key, target: 'Create', result: 'Equal', create_revision: 0 };
  const response = await connection.call('copy a volume record', () => connection.client.kv.txn({ compare: [absent], success: [{ request_put: { key, value: Buffer.from(encodeRecord(record)) } }], failure: [{ request_range: { key } }] }));
  if (response.succeeded) {
    return undefined;
  }
  const [found] = rangeAnswer(response, 0);
  return found === undefined ? null : (decodeRecord(record.name, found.value.toString()) ?? null);
}

function describe(record: VolumeRecord, there: VolumeRecord | null | undefined): string {
  const theirs = there === null || there === undefined ? 'a key that is not a volplex record' : `type ${there.type}${there.host === undefined ? '' : ` created on host ${quote(there.host)}`}`;
  return `${quote(record.name)} (here type ${record.type}; in etcd ${theirs})`;
}

function conflictError(descriptions: readonly string[], prefix: string): VolplexError {
  return new VolplexError('Conflict', `etcd already holds other volumes under these names below ${prefix}: ${descriptions.join(', ')}; nothing was copied. Rename or remove one of each pair, then migrate again`);
}
