import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { callPlugin } from '../support/plugin-client.js';
import { docker, dockerHost, dockerOk, E2E_PLUGIN, runWithVolume } from '../support/docker.js';
import { makeTempDir, removeTempDir } from '../support/harness.js';
import { s3Service } from '../support/services.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MINUTES = 60_000;
const s3 = s3Service();

function sh(script: string, args: readonly string[], env: Record<string, string> = {}): string {
  const result = spawnSync('bash', [join(REPO, script), ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost(), ...env }, timeout: 15 * MINUTES });
  if (result.status !== 0) {
    throw new Error(`${script} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout.trim();
}

const secondsSince = (started: bigint): string => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);

describe('shipping volplex', () => {
  let work: string;
  let rootfs: string;
  const s3Config = { credentials: { lab: { accessKeyId: s3.keyId, accessKeySecret: s3.keySecret } }, backends: { s3fs: { url: s3.url, pathStyle: true, credentials: 'lab' } } };

  beforeAll(() => {
    work = makeTempDir('packaging');
    rootfs = join(work, 'rootfs');
    const started = process.hrtime.bigint();
    const size = sh('packaging/rootfs/build.sh', [rootfs]);
    process.stdout.write(`packaging: root filesystem ${size}, built in ${secondsSince(started)} s\n`);
  }, 15 * MINUTES);

  afterAll(() => {
    removeTempDir(work);
  });

  describe('as a managed plugin (docker plugin create / enable)', () => {
    const plugin = 'volplex-managed:latest';
    let state: string;
    let config: string;
    let devices: string;
    const create = (): string => sh('packaging/plugin/create.sh', [plugin, join(work, 'bundle')], { VOLPLEX_PLUGIN_STATE: state, VOLPLEX_PLUGIN_CONFIG: config, VOLPLEX_PLUGIN_DEVICES: devices });

    beforeAll(() => {
      state = join(work, 'plugin-state');
      config = join(work, 'plugin-config');
      devices = join(work, 'plugin-devices');
      mkdirSync(config, { recursive: true });
      mkdirSync(join(devices, 'app'), { recursive: true });
      writeFileSync(join(config, 'config.yaml'), stringify(s3Config));
      create();
    }, 10 * MINUTES);

    afterAll(() => {
      docker(['volume', 'rm', '-f', 'managed-local', 'managed-s3', 'managed-device']);
      docker(['plugin', 'disable', '-f', plugin]);
      docker(['plugin', 'rm', '-f', plugin]);
    });

    const enable = (): void => {
      const started = process.hrtime.bigint();
      dockerOk(['plugin', 'enable', plugin]);
      process.stdout.write(`packaging: plugin enable to answering: ${secondsSince(started)} s\n`);
    };

    it('serves volumes whose Mountpoints lie below the propagated mount: managed, host device, s3fs', () => {
      enable();
      dockerOk(['volume', 'create', '-d', plugin, 'managed-local']);
      dockerOk(['volume', 'create', '-d', plugin, '-o', 'device=/srv/app', 'managed-device']);
      runWithVolume('managed-device', 'echo on-the-host > /data/d');
      expect(readFileSync(join(devices, 'app', 'd'), 'utf8')).toBe('on-the-host\n');
      const outside = docker(['volume', 'create', '-d', plugin, '-o', 'device=/etc', 'managed-outside']);
      expect(outside.stderr).toContain('device "/etc" is outside the allowed roots: /srv');
      dockerOk(['volume', 'create', '-d', plugin, '-o', 'type=s3fs', '-o', `bucket=${s3.bucket}`, 'managed-s3']);
      runWithVolume('managed-local', 'echo from-plugin > /data/p');
      expect(runWithVolume('managed-local', 'cat /data/p')).toBe('from-plugin');
      runWithVolume('managed-s3', 'echo object-from-plugin > /data/managed-object');
      expect(runWithVolume('managed-s3', 'cat /data/managed-object')).toBe('object-from-plugin');
      expect(readFileSync(join(s3.data, s3.bucket, 'managed-object._S3rver_object'), 'utf8')).toBe('object-from-plugin\n');
      for (const volume of JSON.parse(dockerOk(['volume', 'inspect', 'managed-local', 'managed-s3', 'managed-device'])) as Array<{ Mountpoint: string }>) {
        expect(volume.Mountpoint).toMatch(/^\/mnt\/volumes\/[a-z0-9]+-[0-9a-f]{24}$/);
      }
      expect(readFileSync(join(state, 'volumes', 'managed-local', 'p'), 'utf8')).toBe('from-plugin\n');
    });

    it('keeps its volumes across disable/enable and an upgrade (remove, create again)', () => {
      dockerOk(['plugin', 'disable', '-f', plugin]);
      enable();
      expect(runWithVolume('managed-local', 'cat /data/p')).toBe('from-plugin');
      dockerOk(['plugin', 'disable', '-f', plugin]);
      dockerOk(['plugin', 'rm', '-f', plugin]);
      create();
      enable();
      expect(runWithVolume('managed-local', 'cat /data/p')).toBe('from-plugin');
      dockerOk(['volume', 'rm', 'managed-local', 'managed-s3', 'managed-device']);
      expect(existsSync(join(state, 'volumes', 'managed-local'))).toBe(false);
    }, 10 * MINUTES);
  });

  describe('as a container from docker-compose.yml', () => {
    // The end-to-end tests' own plugin name: dockerd keeps asking every legacy plugin it has
    // seen (List, with retries), so a name whose socket never returns would slow later tests.
    const plugin = E2E_PLUGIN;
    let state: string;
    let config: string;
    const env = (): Record<string, string> => ({ VOLPLEX_IMAGE: 'volplex:test', VOLPLEX_PLUGIN_NAME: plugin, VOLPLEX_STATE_DIR: state, VOLPLEX_CONFIG_DIR: config });
    const compose = (args: string[]): string => {
      const result = spawnSync('docker-compose', ['-f', join(REPO, 'docker-compose.yml'), '-p', 'volplexsvc', ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost(), ...env() } });
      if (result.status !== 0) {
        throw new Error(`docker-compose ${args.join(' ')} failed: ${result.stderr}`);
      }
      return result.stdout;
    };

    beforeAll(() => {
      state = join(work, 'compose-state');
      config = join(work, 'compose-config');
      mkdirSync(state, { recursive: true });
      mkdirSync(config, { recursive: true });
      writeFileSync(join(config, 'config.yaml'), '{}\n');
      // This host's / is a private mount: share the state directory explicitly, as the compose file says.
      spawnSync('mount', ['--bind', state, state]);
      spawnSync('mount', ['--make-rshared', state]);
      sh('packaging/rootfs/import-image.sh', [rootfs, 'volplex:test']);
    }, 5 * MINUTES);

    afterAll(() => {
      docker(['rm', '-f', 'volplexsvc_volplex_1']);
      spawnSync('umount', [state]);
    });

    it('runs volplex, serves a compose service a volume whose data is on the host, and leaves no mount on down', async () => {
      compose(['up', '-d']);
      const socket = `/run/docker/plugins/${plugin}.sock`;
      for (let tries = 0; tries < 100 && (await callPlugin(socket, '/Plugin.Activate', '').then(() => false, () => true)); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const app = join(work, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'docker-compose.yml'), ['version: "3.7"', 'services:', '  writer:', '    image: local/busybox:latest', '    network_mode: none', '    command: ["sh", "-c", "echo from-compose-service > /data/out"]', '    volumes: ["appdata:/data"]', 'volumes:', '  appdata:', `    driver: ${plugin}`, ''].join('\n'));
      dockerOk(['-p', 'appsvc', 'up', '--no-color', '--abort-on-container-exit'], { binary: 'docker-compose', cwd: app });
      expect(readFileSync(join(state, 'volumes', 'appsvc_appdata', 'out'), 'utf8')).toBe('from-compose-service\n');
      dockerOk(['-p', 'appsvc', 'down', '-v'], { binary: 'docker-compose', cwd: app });
      compose(['down']);
      const stray = (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${state}/`));
      expect(stray).toEqual([]);
      expect(existsSync(socket)).toBe(false);
    }, 5 * MINUTES);
  });

  // No systemd runs on these machines: the unit's settings are checked, and its ExecStart is run
  // as systemd would run it after the README's install steps (the checkout at /opt/volplex).
  describe('as a systemd service', () => {
    const unit = readFileSync(join(REPO, 'packaging/systemd/volplex.service'), 'utf8').split('\n');
    const setting = (key: string): string => unit.find((line) => line.startsWith(`${key}=`))?.slice(key.length + 1) ?? '';

    it('starts before dockerd, restarts on failure and spares FUSE clients on stop', () => {
      for (const line of ['Before=docker.service', 'Restart=on-failure', 'KillMode=process', 'WantedBy=multi-user.target', 'RequiredBy=docker.service']) {
        expect(unit).toContain(line);
      }
    });

    it('runs a daemon that answers on its socket from its ExecStart and Environment', async () => {
      const [node = '', ...args] = setting('ExecStart').split(' ');
      expect(node).toBe('/usr/bin/node');
      expect(args).toEqual(['/opt/volplex/dist/src/cli/main.js', 'serve']);
      expect(setting('Environment')).toBe('VOLPLEX_CONFIG=/etc/volplex/config.yaml');
      const root = join(work, 'systemd');
      mkdirSync(root);
      writeFileSync(join(root, 'config.yaml'), stringify({ socket: join(root, 'volplex.sock'), stateDir: join(root, 'state'), mountRoot: join(root, 'state', 'mounts') }));
      const argv = args.map((arg) => arg.replace('/opt/volplex/', REPO));
      const daemon = spawn(node, argv, { env: { VOLPLEX_CONFIG: join(root, 'config.yaml'), PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
      try {
        let answered = false;
        for (let tries = 0; tries < 100 && !answered; tries += 1) {
          answered = await callPlugin(join(root, 'volplex.sock'), '/Plugin.Activate', '').then((reply) => reply.status === 200, () => false);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(answered).toBe(true);
      } finally {
        daemon.kill('SIGTERM');
        await new Promise((resolve) => daemon.once('exit', resolve));
      }
    });
  });
});
