import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';
import convict from 'convict';

import { loadConfig } from '../../../src/config/load.js';
import { schema } from '../../../src/config/schema.js';
import { CLI } from '../../support/daemon.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

const dir = makeTempDir('config');
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe(loadConfig.name, () => {
  afterAll(() => { removeTempDir(dir); });

  it('ships config/default.yaml equal to the schema defaults', () => {
    // hostId '' means the hostname, resolved at load.
    expect(loadConfig(undefined, {})).toEqual({ ...convict(schema, { env: {}, args: [] }).getProperties(), hostId: hostname() });
  });

  it('takes etcd settings from the file and the environment', () => {
    const path = file('etcd.yaml', 'hostId: node-a\nstore:\n  kind: etcd\n  etcd:\n    endpoints: [http://10.0.0.1:2379, https://etcd2.internal:2379]\n');
    const config = loadConfig(path, { VOLPLEX_STORE_ETCD_LEASE_TTL: '5', VOLPLEX_STORE_ETCD_PREFIX: '/lab/volplex' });
    expect(config.hostId).toBe('node-a');
    expect(config.store).toEqual({ kind: 'etcd', etcd: { endpoints: ['http://10.0.0.1:2379', 'https://etcd2.internal:2379'], prefix: '/lab/volplex', leaseTtl: 5, tls: { ca: '', cert: '', key: '' } } });
  });

  it('merges the user file over the defaults, and the environment over both', () => {
    const path = file('ok.yaml', 'stateDir: /srv/volplex\nbackends:\n  local:\n    allowedRoots: [/data]\n');
    const config = loadConfig(path, { VOLPLEX_LOG_LEVEL: 'debug', VOLPLEX_STATE_DIR: '/var/lib/vp' });
    expect(config.stateDir).toBe('/var/lib/vp');
    expect(config.log.level).toBe('debug');
    expect(config.backends.local.allowedRoots).toEqual(['/data']);
    expect(config.socket).toBe('/run/docker/plugins/volplex.sock');
  });

  it('reads the file named by VOLPLEX_CONFIG', () => {
    const path = file('env.yaml', 'scope: global\n');
    expect(loadConfig(undefined, { VOLPLEX_CONFIG: path }).scope).toBe('global');
  });

  it.each([
    { desc: '[Error] bad enum', text: 'log:\n  level: loud\n', env: {}, expectedErr: 'log.level: must be one of the possible values' },
    { desc: '[Error] relative path', text: 'stateDir: var/lib\n', env: {}, expectedErr: 'stateDir: must be a clean absolute path' },
    { desc: '[Error] unknown key', text: 'sokcet: /x.sock\n', env: {}, expectedErr: "configuration param 'sokcet' not declared in the schema" },
    { desc: '[Error] timeout above dockerd deadline', text: '', env: { VOLPLEX_COMMAND_TIMEOUT: '90' }, expectedErr: 'commandTimeout: must be a whole number of seconds from 1 to 55' },
    { desc: '[Error] socket path too long', text: `socket: /${'s'.repeat(120)}.sock\n`, env: {}, expectedErr: 'socket: must be at most 107 bytes' },
    { desc: '[Error] bad list from env', text: '', env: { VOLPLEX_LOCAL_ALLOWED_ROOTS: '/srv,relative' }, expectedErr: 'backends.local.allowedRoots: must be a clean absolute path' },
    { desc: '[Error] YAML syntax', text: 'socket: [unclosed\n', env: {}, expectedErr: 'configuration' },
    { desc: '[Error] not a mapping', text: '- a\n- b\n', env: {}, expectedErr: 'the top level must be a mapping' },
    { desc: '[Error] a gluster mount option smuggled into a configured one', text: 'backends:\n  glusterfs:\n    mountOptions: ["log-level=INFO,log-file=/etc/passwd"]\n', env: {}, expectedErr: 'backends.glusterfs.mountOptions: must be a list of mount.glusterfs options: log-level must not contain "," (character 5): the value goes into a comma-separated mount option list' },
    { desc: '[Error] a stray "=" in a configured gluster option', text: 'backends:\n  glusterfs:\n    mountOptions: ["log-level=INFO=x"]\n', env: {}, expectedErr: 'log-level must not contain "=" (character 5)' },
    { desc: '[Error] an unknown configured gluster option', text: 'backends:\n  glusterfs:\n    mountOptions: ["log-file=/etc/passwd"]\n', env: {}, expectedErr: '"log-file" is not an option here; valid: key=value among log-level, server-port' },
    { desc: '[Error] an NFS mount option smuggled into a configured one', text: 'backends:\n  nfs:\n    mountOptions: ["timeo=600,sec=none"]\n', env: {}, expectedErr: 'backends.nfs.mountOptions: must be a list of NFS mount options: timeo must not contain "," (character 4)' },
    { desc: '[Error] a configured NFS flag with a newline', text: 'backends:\n  nfs:\n    mountOptions: ["hard\\nsoft"]\n', env: {}, expectedErr: '"hard\\u000asoft" is not valid; valid: hard, soft' },
    { desc: '[Error] the use_cache injection through a configured url', text: 'backends:\n  s3fs:\n    url: "http://h,use_cache=/any/dir"\n', env: {}, expectedErr: 'backends.s3fs.url: must be empty or an endpoint URL: it must not contain "," (character 9)' },
    { desc: '[Error] a state dir that would split the client\'s options', text: 'stateDir: /srv/a,use_cache=/x\n', env: {}, expectedErr: 'stateDir: must be a clean absolute path: it must not contain "," (character 7)' },
    { desc: '[Error] etcd without endpoints', text: 'store:\n  kind: etcd\n', env: {}, expectedErr: 'store.etcd.endpoints: store.kind etcd needs the URLs of the etcd members' },
    { desc: '[Error] an etcd endpoint that is not a URL', text: '', env: { VOLPLEX_STORE_ETCD_ENDPOINTS: 'http://10.0.0.1:2379,10.0.0.2:2379' }, expectedErr: 'store.etcd.endpoints: must be a list of etcd client URLs such as http://10.0.0.1:2379 or https://etcd1.internal:2379; "10.0.0.2:2379" is not one' },
    { desc: '[Error] an etcd prefix with a trailing slash', text: 'store:\n  etcd:\n    prefix: /volplex/\n', env: {}, expectedErr: 'store.etcd.prefix: must be a key prefix such as /volplex' },
    { desc: '[Error] a client certificate without its key', text: 'store:\n  etcd:\n    tls:\n      cert: /etc/volplex/etcd.crt\n', env: {}, expectedErr: 'store.etcd.tls: cert and key go together' },
    { desc: '[Error] a host ID with a slash', text: 'hostId: rack1/node2\n', env: {}, expectedErr: 'hostId: must be 1 to 63 characters from [A-Za-z0-9_.-]' },
    { desc: '[Error] a lease shorter than etcd can keep', text: '', env: { VOLPLEX_STORE_ETCD_LEASE_TTL: '1' }, expectedErr: 'store.etcd.leaseTtl: must be a whole number of seconds from 2 to 600' },
    { desc: '[Error] mount root equal to state dir', text: 'stateDir: /srv/v\nmountRoot: /srv/v\n', env: {}, expectedErr: 'mountRoot must differ from stateDir' },
  ])('$desc', ({ text, env, expectedErr }) => {
    expect(() => loadConfig(file('bad.yaml', text), env)).toThrow(expectedErr);
  });

  it('names a missing file', () => {
    expect(() => loadConfig(join(dir, 'absent.yaml'), {})).toThrow(`configuration ${join(dir, 'absent.yaml')}: file not found`);
  });
});

describe('credential profiles', () => {
  const dir2 = makeTempDir('config-credentials');
  const write = (text: string): string => {
    const path = join(dir2, 'c.yaml');
    writeFileSync(path, text);
    return path;
  };

  afterAll(() => { removeTempDir(dir2); });

  it('loads profiles with one secret source each', () => {
    const config = loadConfig(write('credentials:\n  lab: {accessKeyId: a, accessKeySecret: s}\n  prod: {accessKeyId: b, accessKeySecretFile: /run/secrets/p}\n'), {});
    expect(Object.keys(config.credentials)).toEqual(['lab', 'prod']);
  });

  it.each([
    { desc: '[Error] two secret sources', text: 'credentials:\n  lab: {accessKeyId: a, accessKeySecret: s, accessKeySecretEnv: X}\n', expectedErr: 'credentials.lab: needs exactly one of accessKeySecret, accessKeySecretFile, accessKeySecretEnv (found accessKeySecret, accessKeySecretEnv)' },
    { desc: '[Error] no key ID', text: 'credentials:\n  lab: {accessKeySecret: s}\n', expectedErr: 'credentials.lab.accessKeyId: must be a non-empty string' },
    { desc: '[Error] a typo', text: 'credentials:\n  lab: {accessKeyId: a, acessKeySecret: s}\n', expectedErr: 'credentials.lab.acessKeySecret: is not a profile field' },
    { desc: '[Error] a key ID that would split the passwd line', text: 'credentials:\n  lab: {accessKeyId: "a:b", accessKeySecret: s}\n', expectedErr: 'credentials.lab.accessKeyId: must be printable ASCII without spaces or ":"' },
    { desc: '[Error] an inline secret with a newline', text: 'credentials:\n  lab: {accessKeyId: a, accessKeySecret: "s\\nbucket:x:y"}\n', expectedErr: 'credentials.lab.accessKeySecret: must be printable ASCII without spaces (the value is not shown)' },
    { desc: '[Error] relative secret file', text: 'credentials:\n  lab: {accessKeyId: a, accessKeySecretFile: secret.txt}\n', expectedErr: 'credentials.lab.accessKeySecretFile: must be an absolute path' },
  ])('$desc', ({ text, expectedErr }) => {
    let message = '';
    try {
      loadConfig(write(text), {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(expectedErr);
    expect(message).not.toMatch(/: s[,}]/);
  });

  it('masks inline secrets in `volplex config check`', () => {
    const file = write('credentials:\n  lab: {accessKeyId: a, accessKeySecret: TOPSECRET-123}\n');
    const result = spawnSync(process.execPath, [CLI, 'config', 'check', '--config', file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('accessKeySecret: <masked>');
    expect(result.stdout).not.toContain('TOPSECRET-123');
  });
});
