import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { callPlugin } from '../support/plugin-client.js';
import { docker, dockerHost, dockerOk, E2E_PLUGIN, runWithVolume } from '../support/docker.js';
import { makeTempDir, removeTempDir } from '../support/harness.js';
import { ossService, realOssfs, s3Service } from '../support/services.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MINUTES = 60_000;
const s3 = s3Service();
const oss = ossService();
const ossfs = realOssfs();

/** Runs a packaging script; its progress lines (stderr) are echoed and returned with its stdout. */
function run(script: string, args: readonly string[], env: Record<string, string> = {}): { stdout: string; steps: string[] } {
  const result = spawnSync('bash', [join(REPO, script), ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost(), ...env }, timeout: 15 * MINUTES });
  if (result.status !== 0) {
    throw new Error(`${script} failed (${result.status}): ${result.stderr}`);
  }
  process.stdout.write(result.stderr);
  return { stdout: result.stdout.trim(), steps: result.stderr.split('\n').filter((line) => line !== '') };
}

const sh = (script: string, args: readonly string[], env: Record<string, string> = {}): string => run(script, args, env).stdout;

// One line per step: the script, the seconds since the outermost script started, what it does.
const STEP_LINE = /^(create|build|build-ossfs)\.sh \[ *\d+\.\d s\] \S/;

async function untilAnswering(socket: string): Promise<void> {
  for (let tries = 0; tries < 100 && (await callPlugin(socket, '/Plugin.Activate', '').then(() => false, () => true)); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `volplex doctor` on this host (the checkout), for a daemon whose state directory is given. */
function doctorOnHost(stateDir: string): { status: number; stdout: string } {
  const result = spawnSync(process.execPath, [join(REPO, 'dist/volplex.js'), 'doctor'], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '', VOLPLEX_STATE_DIR: stateDir } });
  return { status: result.status ?? -1, stdout: result.stdout };
}

/** The daemon records its start-up check a moment after its socket answers. */
async function doctorOnHostUntil(stateDir: string, text: string): Promise<{ status: number; stdout: string }> {
  let report = doctorOnHost(stateDir);
  for (let tries = 0; tries < 20 && !report.stdout.includes(text); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    report = doctorOnHost(stateDir);
  }
  return report;
}

const dockerdLog = (): string => readFileSync(join(dirname(dockerHost().replace('unix://', '')), 'dockerd.log'), 'utf8');

const secondsSince = (started: bigint): string => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);

describe('shipping volplex', () => {
  let work: string;
  let rootfs: string;
  // The plugin runs on the host network: the OSS dialect front's <bucket>.s3.localhost is its loopback too.
  const s3Config = {
    credentials: { lab: { accessKeyId: s3.keyId, accessKeySecret: s3.keySecret }, oss: { accessKeyId: oss.keyId, accessKeySecret: oss.keySecret } },
    backends: { s3fs: { url: s3.url, pathStyle: true, credentials: 'lab' }, ossfs: { url: oss.url, credentials: 'oss' } },
  };

  beforeAll(() => {
    work = makeTempDir('packaging');
    rootfs = join(work, 'rootfs');
    const started = process.hrtime.bigint();
    const size = sh('packaging/rootfs/build.sh', [rootfs]);
    process.stdout.write(`packaging: root filesystem ${size}, built in ${secondsSince(started)} s\n`);
  }, 15 * MINUTES);

  (ossfs.binary === undefined ? it.skip : it)(`has Aliyun's ossfs built from its source and its run-time libraries, not the toolchain${ossfs.missing === undefined ? '' : ` (skipped: ${ossfs.missing})`}`, () => {
    const version = spawnSync('chroot', [rootfs, '/usr/local/bin/ossfs', '--version'], { encoding: 'utf8' });
    expect(version.stdout).toContain('Alibaba Cloud Open Storage Service File System V1.91.10');
    expect(readFileSync(join(rootfs, 'usr/local/share/doc/ossfs/COPYING'), 'utf8')).toContain('GNU GENERAL PUBLIC LICENSE');
    for (const tool of ['usr/bin/gcc', 'usr/bin/g++', 'usr/bin/make', 'usr/bin/autoconf', 'usr/include/fuse.h', 'usr/include/curl/curl.h']) {
      expect(existsSync(join(rootfs, tool)) ? tool : '').toBe('');
    }
  });

  afterAll(() => {
    removeTempDir(work);
  });

  describe('as a managed plugin (docker plugin create / enable)', () => {
    const plugin = 'volplex-managed:latest';
    let state: string;
    let config: string;
    let devices: string;
    const create = (): string[] => run('packaging/plugin/create.sh', [plugin, join(work, 'bundle')], { VOLPLEX_PLUGIN_STATE: state, VOLPLEX_PLUGIN_CONFIG: config, VOLPLEX_PLUGIN_DEVICES: devices }).steps;

    beforeAll(() => {
      state = join(work, 'plugin-state');
      config = join(work, 'plugin-config');
      devices = join(work, 'plugin-devices');
      mkdirSync(config, { recursive: true });
      mkdirSync(join(devices, 'app'), { recursive: true });
      writeFileSync(join(config, 'config.yaml'), stringify(s3Config));
      const steps = create();
      expect(steps.every((line) => STEP_LINE.test(line))).toBe(true);
      expect(steps.some((line) => line.includes('docker plugin create'))).toBe(true);
      expect(existsSync(join(work, 'bundle'))).toBe(false);
    }, 10 * MINUTES);

    afterAll(() => {
      docker(['volume', 'rm', '-f', 'managed-local', 'managed-s3', 'managed-device', 'managed-fresh', 'managed-s3-reloaded', 'managed-oss']);
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
      // The host's process table, to see which containers hold a volume when no Docker API is mounted.
      expect(dockerOk(['plugin', 'inspect', '-f', '{{.Config.PidHost}}', plugin])).toBe('true');
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

    (ossfs.binary === undefined ? it.skip : it)(`mounts a type=ossfs volume with the ossfs in its root filesystem: a container writes, the object is in the bucket${ossfs.missing === undefined ? '' : ` (skipped: ${ossfs.missing})`}`, () => {
      dockerOk(['volume', 'create', '-d', plugin, '-o', 'type=ossfs', '-o', `bucket=${s3.bucket}`, '-o', 'prefix=managed', 'managed-oss']);
      runWithVolume('managed-oss', 'echo through-real-ossfs > /data/oss-object && mkdir /data/dir && mv /data/oss-object /data/dir/moved');
      expect(runWithVolume('managed-oss', 'cat /data/dir/moved')).toBe('through-real-ossfs');
      expect(readFileSync(join(s3.data, s3.bucket, 'managed', 'dir', 'moved._S3rver_object'), 'utf8')).toBe('through-real-ossfs\n');
      expect(JSON.stringify(JSON.parse(dockerOk(['volume', 'inspect', 'managed-oss'])))).not.toContain(oss.keySecret);
      dockerOk(['volume', 'rm', 'managed-oss']);
    });

    it('keeps a new device directory (create=true) on the host across disable -f / enable', () => {
      dockerOk(['volume', 'create', '-d', plugin, '-o', 'type=local', '-o', 'device=/srv/fresh/data', '-o', 'create=true', 'managed-fresh']);
      runWithVolume('managed-fresh', 'echo kept-by-the-host > /data/f');
      // What the README says: without -f, dockerd refuses while the plugin has volumes.
      expect(docker(['plugin', 'disable', plugin]).stderr).toContain('is in use');
      dockerOk(['plugin', 'disable', '-f', plugin]);
      expect(readFileSync(join(devices, 'fresh', 'data', 'f'), 'utf8')).toBe('kept-by-the-host\n');
      enable();
      expect(runWithVolume('managed-fresh', 'cat /data/f')).toBe('kept-by-the-host');
      dockerOk(['volume', 'rm', 'managed-fresh']);
      expect(readFileSync(join(devices, 'fresh', 'data', 'f'), 'utf8')).toBe('kept-by-the-host\n');
    });

    it('reloads a config.yaml replaced in its config mount: a new credentials profile works without disable/enable', async () => {
      writeFileSync(join(config, 'config.yaml.tmp'), stringify({ ...s3Config, credentials: { ...s3Config.credentials, lab2: s3Config.credentials.lab } }));
      renameSync(join(config, 'config.yaml.tmp'), join(config, 'config.yaml'));
      let created = docker(['volume', 'create', '-d', plugin, '-o', 'type=s3fs', '-o', `bucket=${s3.bucket}`, '-o', 'credentials=lab2', 'managed-s3-reloaded']);
      for (let tries = 0; created.status !== 0 && tries < 50; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        created = docker(['volume', 'create', '-d', plugin, '-o', 'type=s3fs', '-o', `bucket=${s3.bucket}`, '-o', 'credentials=lab2', 'managed-s3-reloaded']);
      }
      expect(created.stderr).toBe('');
      runWithVolume('managed-s3-reloaded', 'echo after-reload > /data/reloaded-object');
      expect(readFileSync(join(s3.data, s3.bucket, 'reloaded-object._S3rver_object'), 'utf8')).toBe('after-reload\n');
      expect(doctorOnHost(state).stdout).toMatch(/ok {3}config: the last reload \(file change at \S+\) was applied: credentials/);
      dockerOk(['volume', 'rm', 'managed-s3-reloaded']);
    });

    it('names an allowed root outside its devices mount, in the log and in doctor on the host', async () => {
      dockerOk(['plugin', 'disable', '-f', plugin]);
      dockerOk(['plugin', 'set', plugin, 'VOLPLEX_LOCAL_ALLOWED_ROOTS=/srv,/data']);
      enable();
      const report = await doctorOnHostUntil(state, 'found by the plugin daemon');
      expect(report.status).toBe(1);
      expect(report.stdout).toMatch(/FAIL local: allowed root \/data is not bound from the host: it lies on the plugin's own root filesystem, not its devices mount .* \(found by the plugin daemon at \S+\)/);
      expect(report.stdout).not.toContain('allowed root /srv is not bound');
      expect(dockerdLog()).toContain('allowed root /data is not bound from the host');
      dockerOk(['plugin', 'disable', '-f', plugin]);
      dockerOk(['plugin', 'set', plugin, 'VOLPLEX_LOCAL_ALLOWED_ROOTS=/srv']);
      enable();
      expect((await doctorOnHostUntil(state, 'the plugin daemon found every allowed root')).stdout).toContain('ok   local: the plugin daemon found every allowed root mounted from the host');
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
    let devices: string;
    // The test engine's own socket stands for /var/run/docker.sock.
    const env = (): Record<string, string> => ({ VOLPLEX_IMAGE: 'volplex:test', VOLPLEX_PLUGIN_NAME: plugin, VOLPLEX_STATE_DIR: state, VOLPLEX_CONFIG_DIR: config, VOLPLEX_DEVICES_DIR: devices, VOLPLEX_DOCKER_SOCKET: dockerHost().replace(/^unix:\/\//, '') });
    const socket = `/run/docker/plugins/${plugin}.sock`;
    const exec = (args: string[]): { status: number; stdout: string } => {
      const result = spawnSync('docker-compose', ['-f', join(REPO, 'docker-compose.yml'), '-p', 'volplexsvc', 'exec', '-T', ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: dockerHost(), ...env() } });
      return { status: result.status ?? -1, stdout: result.stdout };
    };
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
      devices = join(work, 'compose-devices');
      mkdirSync(state, { recursive: true });
      mkdirSync(config, { recursive: true });
      mkdirSync(devices, { recursive: true });
      writeFileSync(join(config, 'config.yaml'), '{}\n');
      // This host's / is a private mount: share the state and devices directories, as the README's step says.
      for (const directory of [state, devices]) {
        spawnSync('mount', ['--bind', directory, directory]);
        spawnSync('mount', ['--make-rshared', directory]);
      }
      sh('packaging/rootfs/import-image.sh', [rootfs, 'volplex:test']);
    }, 5 * MINUTES);

    afterAll(() => {
      docker(['rm', '-f', 'volplexsvc_volplex_1', 'volplex-unbound-probe']);
      docker(['volume', 'rm', '-f', 'compose-device']);
      spawnSync('umount', [state]);
      spawnSync('umount', [devices]);
    });

    it('runs volplex, serves a compose service a volume whose data is on the host, and leaves no mount on down', async () => {
      compose(['up', '-d']);
      await untilAnswering(socket);
      const app = join(work, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'docker-compose.yml'), ['version: "3.7"', 'services:', '  writer:', '    image: local/busybox:latest', '    network_mode: none', '    command: ["sh", "-c", "echo from-compose-service > /data/out"]', '    volumes: ["appdata:/data"]', 'volumes:', '  appdata:', `    driver: ${plugin}`, ''].join('\n'));
      dockerOk(['-p', 'appsvc', 'up', '--no-color', '--abort-on-container-exit'], { binary: 'docker-compose', cwd: app });
      expect(readFileSync(join(state, 'volumes', 'appsvc_appdata', 'out'), 'utf8')).toBe('from-compose-service\n');
      dockerOk(['-p', 'appsvc', 'down', '-v'], { binary: 'docker-compose', cwd: app });
      // It reached the Docker API through the read-only socket mount (crash recovery, issue 14).
      expect(dockerOk(['logs', 'volplexsvc_volplex_1'])).toMatch(/"source":"docker".*crash recovery: running containers are found through this source/);
      compose(['down']);
      const stray = (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${state}/`));
      expect(stray).toEqual([]);
      expect(existsSync(socket)).toBe(false);
    }, 5 * MINUTES);

    it('keeps a type=local device volume (create=true) on the host across docker-compose down and up', async () => {
      compose(['up', '-d']);
      await untilAnswering(socket);
      const device = join(devices, 'app-data');
      dockerOk(['volume', 'create', '-d', plugin, '-o', 'type=local', '-o', `device=${device}`, '-o', 'create=true', 'compose-device']);
      runWithVolume('compose-device', 'echo written-in-container-mode > /data/f');
      compose(['down']);
      expect(readFileSync(join(device, 'f'), 'utf8')).toBe('written-in-container-mode\n');
      compose(['up', '-d']);
      await untilAnswering(socket);
      expect(runWithVolume('compose-device', 'cat /data/f')).toBe('written-in-container-mode');
      expect(dockerOk(['logs', 'volplexsvc_volplex_1'])).toContain('every allowed root is a mount from the host');
      expect(exec(['volplex', 'volplex', 'doctor']).stdout).toContain(`ok   local: allowed roots ${devices} are mounts from the host`);
      const unbound = exec(['-e', `VOLPLEX_LOCAL_ALLOWED_ROOTS=${devices},/data`, 'volplex', 'volplex', 'doctor']);
      expect(unbound.status).toBe(1);
      expect(unbound.stdout).toContain("FAIL local: allowed root /data is not bound from the host: it lies on the container's own filesystem");
      dockerOk(['volume', 'rm', 'compose-device']);
      compose(['down']);
      expect((await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${state}/`) || entry.mountPoint.startsWith(`${devices}/`))).toEqual([]);
      expect(readFileSync(join(device, 'f'), 'utf8')).toBe('written-in-container-mode\n');
    }, 5 * MINUTES);

    it('logs at start that an allowed root is the container\'s own directory (the image run without the binds)', async () => {
      dockerOk(['run', '-d', '--name', 'volplex-unbound-probe', '--network', 'none', '-e', 'VOLPLEX_SOCKET=/run/volplex-probe.sock', '-e', 'VOLPLEX_LOCAL_ALLOWED_ROOTS=/srv', 'volplex:test']);
      let logs = '';
      for (let tries = 0; tries < 100 && !logs.includes('is not bound from the host'); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        logs = docker(['logs', 'volplex-unbound-probe']).stdout;
      }
      expect(logs).toContain("allowed root /srv is not bound from the host: it lies on the container's own filesystem, so data written there is lost with the container");
      docker(['rm', '-f', 'volplex-unbound-probe']);
    });
  });

  // No systemd runs on these machines: the unit's settings are checked, and its ExecStart is run
  // as systemd would run it after the README's install steps (the checkout at /opt/volplex).
  describe('as a systemd service', () => {
    const unit = readFileSync(join(REPO, 'packaging/systemd/volplex.service'), 'utf8').split('\n');
    const setting = (key: string): string => unit.find((line) => line.startsWith(`${key}=`))?.slice(key.length + 1) ?? '';

    it('starts before dockerd, restarts on failure and spares FUSE clients on stop', () => {
      for (const line of ['Before=docker.service', 'Restart=on-failure', 'KillMode=process', 'WantedBy=multi-user.target', 'RequiredBy=docker.service', 'ExecReload=/bin/kill -HUP $MAINPID']) {
        expect(unit).toContain(line);
      }
    });

    it('runs a daemon that answers on its socket from its ExecStart and Environment', async () => {
      const [node = '', ...args] = setting('ExecStart').split(' ');
      expect(node).toBe('/usr/bin/node');
      expect(args).toEqual(['/opt/volplex/dist/volplex.js', 'serve']);
      expect(setting('Environment')).toBe('VOLPLEX_CONFIG=/etc/volplex/config.yaml');
      const root = join(work, 'systemd');
      mkdirSync(root);
      writeFileSync(join(root, 'config.yaml'), stringify({ socket: join(root, 'volplex.sock'), stateDir: join(root, 'state'), mountRoot: join(root, 'state', 'mounts') }));
      const argv = args.map((arg) => arg.replace('/opt/volplex/', REPO));
      const daemon = spawn(node, argv, { env: { VOLPLEX_CONFIG: join(root, 'config.yaml'), PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      daemon.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        let answered = false;
        for (let tries = 0; tries < 100 && !answered; tries += 1) {
          answered = await callPlugin(join(root, 'volplex.sock'), '/Plugin.Activate', '').then((reply) => reply.status === 200, () => false);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(answered).toBe(true);
        // What ExecReload sends.
        daemon.kill('SIGHUP');
        for (let tries = 0; tries < 50 && !output.includes('configuration reloaded'); tries += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(output).toContain('configuration reloaded: nothing changed');
      } finally {
        daemon.kill('SIGTERM');
        await new Promise((resolve) => daemon.once('exit', resolve));
      }
    });
  });
});
