import type { VolplexConfig } from '../config/config.js';
import { createLogger } from '../log/logger.js';
import type { Finding } from './doctor-findings.js';

/**
 * With store.kind etcd: whether the cluster answers, how many volume records it holds under the
 * prefix and which of them this host holds mounts of. Nothing for the SQLite store.
 */
export async function checkStore(config: VolplexConfig): Promise<Finding[]> {
  if (config.store.kind !== 'etcd') {
    return [];
  }
  const { etcd } = config.store;
  const where = `etcd at ${etcd.endpoints.join(', ')} (prefix ${etcd.prefix}, this host ${config.hostId})`;
  // Loaded only here: the etcd client is read only by a volplex that uses it.
  const { EtcdConnection } = await import('../store/etcd-connection.js');
  const { EtcdKeys } = await import('../store/etcd-keys.js');
  let connection: Awaited<ReturnType<typeof EtcdConnection.create>> | undefined;
  try {
    connection = await EtcdConnection.create(etcd, createLogger('silent'));
    const client = connection.client;
    const keys = new EtcdKeys(etcd.prefix);
    const records = await connection.call('count the volume records', () => client.getAll().prefix(keys.volumes).count());
    const mounts = await connection.call('read the mount records', () => client.getAll().prefix(`${keys.root}mounts/`).keys());
    const held = mounts.map((key) => keys.parse(key)).filter((key) => key?.kind === 'mount' && key.host === config.hostId).length;
    return [{ level: 'ok', area: 'store', text: `${where} answers: ${records} volume record(s); this host holds mounts of ${held}` }];
  } catch (error) {
    return [{ level: 'FAIL', area: 'store', text: `${where}: ${(error as Error).message}; volplex answers Get and List from this host's copy, Create, Remove and single-writer Mounts fail until it answers` }];
  } finally {
    connection?.close();
  }
}
