import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { VolplexConfig } from '../../src/config/config.js';
import { CLI, startDaemon } from '../support/daemon.js';
import { EtcdCluster } from '../support/etcd-cluster.js';
import { makeTempDir, removeTempDir } from '../support/harness.js';
import { hostConfig, plugin, pluginOk, statusOf } from '../support/hosts.js';

/** A CA and two certificates it signs: the server's (for 127.0.0.1; etcd also shows it to itself as a client) and a client's. Keys 0600. */
function makeCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const file = (name: string): string => join(dir, name);
  const openssl = (args: string[]): void => {
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
    }
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=volplex test CA', '-keyout', file('ca.key'), '-out', file('ca.crt')]);
  for (const [name, usage, san] of [['server', 'serverAuth,clientAuth', 'IP:127.0.0.1'], ['client', 'clientAuth', 'DNS:volplex-client']] as const) {
    writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`)]);
    openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-out', file(`${name}.crt`), '-extfile', file(`${name}.ext`)]);
  }
  return { ca: file('ca.crt'), serverCert: file('server.crt'), serverKey: file('server.key'), clientCert: file('client.crt'), clientKey: file('client.key') };
}

describe('the etcd store over TLS with a client certificate', () => {
  let root: string;
  let cluster: EtcdCluster;
  let certificates: ReturnType<typeof makeCertificates>;
  const config = (host: string, tls: VolplexConfig['store']['etcd']['tls']): VolplexConfig => {
    const base = hostConfig(root, host, cluster.endpoints, { prefix: '/tls-test' });
    return { ...base, store: { kind: 'etcd', etcd: { ...base.store.etcd, tls } } };
  };

  beforeAll(async () => {
    root = makeTempDir('etcd-tls');
    certificates = makeCertificates(root);
    cluster = await EtcdCluster.start(join(root, 'etcd'), 1, { ca: certificates.ca, cert: certificates.serverCert, key: certificates.serverKey });
  });

  afterAll(async () => {
    await cluster.stop();
    removeTempDir(root);
  });

  it('connects with the CA, certificate and key files, and never shows the key', async () => {
    const daemon = await startDaemon(config('tls-a', { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey }));
    try {
      await pluginOk(daemon, 'Create', { Name: 'over-tls', Opts: {} });
      expect(await statusOf(daemon, 'over-tls')).toEqual(expect.objectContaining({ createdOn: 'tls-a', mountedOn: [] }));
      await pluginOk(daemon, 'Remove', { Name: 'over-tls' });
    } finally {
      await daemon.stop();
    }
    const keyBody = readFileSync(certificates.clientKey, 'utf8').split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
    const checked = spawnSync(process.execPath, [CLI, 'config', 'check', '--config', join(root, 'tls-a', 'volplex.yaml')], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '' } });
    expect(checked.stdout).toContain(`key: ${certificates.clientKey}`);
    for (const text of [daemon.output(), checked.stdout, checked.stderr]) {
      expect(keyBody.some((line) => text.includes(line))).toBe(false);
    }
  });

  it('[Error] without a client certificate etcd refuses: Create fails within 5 s naming the unreachable cluster', async () => {
    const daemon = await startDaemon(config('tls-b', { ca: certificates.ca, cert: '', key: '' }));
    try {
      const started = Date.now();
      const answer = await plugin(daemon, 'Create', { Name: 'refused', Opts: {} });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(answer.Err).toMatch(/^create refused: create the volume record: the etcd cluster cannot be reached \(/);
    } finally {
      await daemon.stop();
    }
  });

  it('[Error] names an unreadable key file by its setting and path, and does not start', async () => {
    const missing = join(root, 'no-such.key');
    await expect(startDaemon(config('tls-c', { ca: certificates.ca, cert: certificates.clientCert, key: missing }))).rejects.toThrow(`configuration: store.etcd.tls.key: cannot read \\"${missing}\\" (ENOENT)`);
  });
});
