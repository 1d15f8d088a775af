import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import { ConfigReloader } from '../../../src/config/config-reloader.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log/logger.js';
import type { ReloadRecord } from '../../../src/store/status-file.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

const SECRET = 'reload-SECRET-77ab';

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 5000) {
      throw new Error(`not within 5 s: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe(ConfigReloader.name, () => {
  let dir: string;
  let file: string;
  let live: LiveConfig;
  let reloader: ConfigReloader;
  let logged: string;
  let records: ReloadRecord[];
  let applied: number;
  const base = (root: string): Record<string, unknown> => ({ socket: join(root, 'v.sock'), stateDir: join(root, 'state'), mountRoot: join(root, 'state', 'm'), credentials: {} });
  const replaceFile = (content: Record<string, unknown>): void => {
    writeFileSync(join(dir, '.config.yaml.tmp'), stringify(content));
    renameSync(join(dir, '.config.yaml.tmp'), file);
  };

  beforeEach(() => {
    dir = makeTempDir('reload');
    file = join(dir, 'config.yaml');
    writeFileSync(file, stringify(base(dir)));
    live = new LiveConfig(loadConfig(file, {}));
    logged = '';
    records = [];
    applied = 0;
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    reloader = new ConfigReloader({
      file,
      live,
      log: createLogger('info', stream),
      load: () => loadConfig(file, {}),
      record: (record) => records.push(record),
      applied: async () => { applied += 1; },
    });
    reloader.start();
  });

  afterEach(() => {
    reloader.stop();
    removeTempDir(dir);
  });

  it('applies a file replaced by rename (editors, the plugin config mount) without a signal', async () => {
    replaceFile({ ...base(dir), credentials: { lab: { accessKeyId: 'LAB', accessKeySecret: SECRET } } });
    await until(() => records.length > 0, 'a reload');
    expect(records).toEqual([expect.objectContaining({ trigger: 'file change', ok: true, changed: ['credentials'], keptFixed: [] })]);
    expect(Object.keys(live.current.credentials)).toEqual(['lab']);
    expect(applied).toBe(1);
    expect(logged).toContain('configuration reloaded: credentials apply to new Creates and Mounts; existing mounts stay as they are');
    expect(logged).not.toContain(SECRET);
  });

  it('keeps the old configuration on an invalid edit, says exactly what is wrong, and applies the next valid edit', async () => {
    writeFileSync(file, stringify({ ...base(dir), credentials: { lab: { accessKeyId: 'LAB', accessKeySecret: SECRET, accessKeySecretFile: '/run/s' } } }));
    await until(() => records.length > 0, 'a refused reload');
    expect(records[0]).toEqual(expect.objectContaining({ ok: false, error: 'configuration: credentials.lab: needs exactly one of accessKeySecret, accessKeySecretFile, accessKeySecretEnv (found accessKeySecret, accessKeySecretFile)' }));
    expect(live.current.credentials).toEqual({});
    expect(logged).toContain('configuration not reloaded, the previous one stays in force: configuration: credentials.lab: needs exactly one of');
    expect(logged).not.toContain(SECRET);
    replaceFile({ ...base(dir), credentials: { lab: { accessKeyId: 'LAB', accessKeySecretEnv: 'LAB_SECRET' } } });
    await until(() => records.length > 1, 'the next reload');
    expect(records[1]).toEqual(expect.objectContaining({ ok: true, changed: ['credentials'] }));
    expect(live.current.credentials).toEqual({ lab: { accessKeyId: 'LAB', accessKeySecretEnv: 'LAB_SECRET' } });
  });

  it('reloads on SIGHUP what no watched directory shows (a symlink into another directory)', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'real.yaml'), stringify(base(dir)));
    symlinkSync(join(elsewhere, 'real.yaml'), join(dir, 'link.yaml'));
    renameSync(join(dir, 'link.yaml'), file);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const before = records.length;
    writeFileSync(join(elsewhere, 'real.yaml'), stringify({ ...base(dir), defaultType: 's3fs' }));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(records).toHaveLength(before);
    process.emit('SIGHUP', 'SIGHUP');
    await until(() => records.length > before, 'the SIGHUP reload');
    expect(records.at(-1)).toEqual(expect.objectContaining({ trigger: 'SIGHUP', ok: true, changed: ['defaultType'] }));
    expect(live.current.defaultType).toBe('s3fs');
  });

  it('names the settings that cannot change while running and leaves them alone', async () => {
    replaceFile({ ...base(dir), socket: join(dir, 'other.sock'), stateDir: join(dir, 'other'), mountRoot: join(dir, 'other', 'm'), log: { level: 'debug' } });
    await until(() => records.length > 0, 'a reload');
    expect(records[0]).toEqual(expect.objectContaining({ ok: true, changed: ['log'], keptFixed: ['socket', 'stateDir', 'mountRoot'] }));
    expect(live.current.socket).toBe(join(dir, 'v.sock'));
    expect(live.current.log.level).toBe('debug');
    expect(logged).toContain('configuration reloaded, but socket, stateDir, mountRoot cannot change while volplex runs: restart it to apply them');
  });

  it('logs a file event that changes nothing only once, but answers every SIGHUP', async () => {
    writeFileSync(file, stringify(base(dir)));
    writeFileSync(join(dir, 'unrelated'), 'x');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(records).toEqual([]);
    const record = await reloader.reload('SIGHUP');
    expect(record).toEqual(expect.objectContaining({ ok: true, changed: [] }));
    expect(logged).toContain('configuration reloaded: nothing changed');
  });
});
