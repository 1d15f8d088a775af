import { loadConfig } from '../config/load.js';
import { VolplexError } from '../core/errors.js';
import { createLogger } from '../log/logger.js';
import { EtcdConnection } from '../store/etcd-connection.js';
import { migrateToEtcd } from '../store/etcd-migration.js';
import { SqliteStore } from '../store/sqlite-store.js';

/**
 * `volplex store migrate --to etcd`: copies the volumes of this host's SQLite store (stateDir)
 * into the etcd cluster of store.etcd, as created on this host (hostId). Idempotent; refuses,
 * copying nothing, when etcd holds another volume under one of the names. Mount counts stay
 * in the SQLite store, where the etcd store keeps them. Prints what it did; exits 1 on refusal.
 */
export async function migrateStore(configFile: string | undefined, target: string | undefined): Promise<number> {
  if (target !== 'etcd') {
    throw new VolplexError('InvalidParameter', `store migrate: --to must be etcd (got ${target === undefined ? 'nothing' : JSON.stringify(target)})`);
  }
  const config = loadConfig(configFile);
  const { etcd } = config.store;
  if (etcd.endpoints.length === 0) {
    throw new VolplexError('InvalidParameter', 'store migrate: store.etcd.endpoints is empty: name the etcd members in the configuration (or VOLPLEX_STORE_ETCD_ENDPOINTS)');
  }
  const local = new SqliteStore(config.stateDir);
  const connection = await EtcdConnection.create(etcd, createLogger('silent'));
  try {
    const report = await migrateToEtcd(local, connection, etcd.prefix, config.hostId);
    const names = (list: readonly string[]): string => (list.length === 0 ? '' : `: ${list.join(', ')}`);
    process.stdout.write(`copied ${report.copied.length} volume(s) to etcd under ${etcd.prefix} as created on host ${config.hostId}${names(report.copied)}\n`);
    process.stdout.write(`${report.alreadyThere.length} already there with the same options${names(report.alreadyThere)}\n`);
    process.stdout.write(`this host's store (${config.stateDir}) is now the cache of ${etcd.prefix}: set store.kind: etcd and restart volplex\n`);
    return 0;
  } finally {
    connection.close();
    local.close();
  }
}
