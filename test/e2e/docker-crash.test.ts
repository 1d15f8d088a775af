import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { readMountinfo } from '../../src/system/mountinfo.js';
import { CLI, startDaemon, type RunningDaemon } from '../support/daemon.js';
import { BUSYBOX } from '../support/docker.js';
import { makeTempDir, removeTempDir, testConfig } from '../support/harness.js';
import { callPlugin, goJson } from '../support/plugin-client.js';
import { killContainer, PrivateDockerd, sleep, unmountBelow } from '../support/private-dockerd.js';

// A plugin name of its own: only this file's private engines ever use it.
const PLUGIN = 'volplex-crash';
const SOCKET = `/run/docker/plugins/${PLUGIN}.sock`;
const MINUTE = 60_000;

interface Observation {
  readonly calls: string;
  readonly final: string;
}

/**
 * dockerd is killed with kill -9 (with its containerd) and started again, as in issue 14.
 * Each scenario prints the plugin calls volplex saw from the crash on and the final state.
 */
describe('references left by a crashed dockerd (private engines, kill -9)', () => {
  let root: string;
  let engine: PrivateDockerd;
  let daemon: RunningDaemon;
  const config = (): ReturnType<typeof testConfig> => testConfig(root, { socket: SOCKET, log: { level: 'debug' } });
  // Environment, so that the same file measures volplex before the holder checks existed.
  const settings = (dockerSocket: string): Record<string, string> => ({ VOLPLEX_DOCKER_SOCKET: dockerSocket, VOLPLEX_DOCKER_STALE_GRACE: '2' });
  const startVolplex = async (dockerSocket: string): Promise<void> => {
    daemon = await startDaemon(config(), undefined, settings(dockerSocket));
  };

  /** The volplex command line, with the configuration the daemon runs with. */
  const volplex = (args: readonly string[]): string =>
    spawnSync(process.execPath, [CLI, ...args, '--config', join(root, 'volplex.yaml')], { encoding: 'utf8', env: { ...process.env, VOLPLEX_CONFIG: '', ...settings(engine.socket) } }).stdout;

  const device = (name: string): string => {
    const path = join(root, 'devices', name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const createVolume = (name: string): void => {
    engine.dockerOk(['volume', 'create', '-d', PLUGIN, '-o', `device=${device(name)}`, name]);
  };
  const runHolder = (name: string, volume: string, extra: readonly string[] = []): string => {
    const id = engine.dockerOk(['run', '-d', '--name', name, '--network', 'none', ...extra, '-v', `${volume}:/data`, BUSYBOX, 'sh', '-c', `echo ${name} > /data/${name}; exec sleep 600`]);
    return id;
  };
  const status = (volume: string): Record<string, unknown> =>
    (JSON.parse(engine.dockerOk(['volume', 'inspect', volume])) as Array<{ Status: Record<string, unknown> }>)[0]?.Status ?? {};
  const state = (container: string): string => engine.dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}', container]);
  const mountsBelow = async (dir: string): Promise<string[]> =>
    (await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${dir}/`)).map((entry) => entry.mountPoint);
  const backendMounts = (): Promise<string[]> => mountsBelow(config().mountRoot);

  /** Polls Status until `references` is `wanted` or the time is up; returns the last value. */
  const referencesUntil = async (volume: string, wanted: number, timeoutMs: number): Promise<unknown> => {
    const deadline = Date.now() + timeoutMs;
    let references = status(volume).references;
    while (references !== wanted && Date.now() < deadline) {
      await sleep(500);
      references = status(volume).references;
    }
    return references;
  };

  // docker runs synchronously: let the daemon's log lines of the calls it caused arrive first.
  const mark = async (): Promise<number> => {
    await sleep(300);
    return daemon.output().length;
  };

  /** The plugin calls in the daemon's request log after `mark`, one word each, runs of one call folded. */
  const callsSince = (from: number): string => {
    const calls: string[] = [];
    for (const line of daemon.output().slice(from).split('\n')) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (entry.msg === 'dropping a reference no running container holds') {
        calls.push(`[dropped ${String(entry.id).slice(0, 6)}×${String(entry.count)} at ${String(entry.trigger)}, ${String(entry.holders)} holder(s) by ${String(entry.source)}]`);
        continue;
      }
      if (entry.msg !== 'request') {
        continue;
      }
      const endpoint = String(entry.endpoint).replace(/^\/(VolumeDriver|Plugin)\./, '');
      const id = typeof entry.id === 'string' && entry.id !== '' ? `(${entry.id.slice(0, 6)})` : '';
      const failed = entry.status === 200 ? '' : `→${String(entry.status)}${entry.status === 404 ? ` ${String(entry.volume)}` : ''}`;
      calls.push(`${endpoint}${id}${failed}`);
    }
    const folded: string[] = [];
    for (const call of calls) {
      const last = folded[folded.length - 1];
      const match = last === undefined ? null : /^(.*?)(?:×(\d+))?$/.exec(last);
      if (match?.[1] === call) {
        folded[folded.length - 1] = `${call}×${Number(match[2] ?? '1') + 1}`;
      } else {
        folded.push(call);
      }
    }
    return folded.join(' ');
  };

  const report = (scenario: string, observation: Observation): void => {
    process.stdout.write(`crash scenario ${scenario}\n  calls from the crash on: ${observation.calls}\n  final: ${observation.final}\n`);
  };

  /** `docker volume rm`, then what is left: its outcome and the backend mounts. */
  const removeAndObserve = async (volume: string, from: number, before: string): Promise<{ removed: boolean; left: string[]; observation: Observation }> => {
    const removal = engine.docker(['volume', 'rm', volume]);
    const left = await backendMounts();
    await sleep(300);
    const outcome = removal.status === 0 ? 'volume rm succeeded' : `volume rm failed: ${removal.stderr.replace(/^Error response from daemon: /, '')}`;
    return { removed: removal.status === 0, left, observation: { calls: callsSince(from), final: `${before}; ${outcome}; backend mounts left: ${left.length}` } };
  };

  beforeAll(async () => {
    root = makeTempDir('crash');
    engine = new PrivateDockerd(join(root, 'engine'));
    await engine.start({ liveRestore: false });
    engine.importBusybox();
    await startVolplex(engine.socket);
  }, 2 * MINUTE);

  afterAll(async () => {
    await engine.stop();
    await daemon.stop();
    unmountBelow(root);
    removeTempDir(root);
  }, 2 * MINUTE);

  describe('without --live-restore', () => {
    it('a container dockerd lost: after the restart and docker rm, docker volume rm succeeds and nothing stays mounted', async () => {
      createVolume('lost');
      runHolder('lost-c', 'lost');
      const listed = volplex(['ls']);
      const from = await mark();
      await engine.crash();
      await engine.restart();
      const exited = state('lost-c');
      const references = await referencesUntil('lost', 0, 20_000);
      engine.dockerOk(['rm', '-f', 'lost-c']);
      const { removed, left, observation } = await removeAndObserve('lost', from, `container after restart: ${exited}; references 20 s after restart: ${String(references)}`);
      report('1 (no live-restore, container stopped by dockerd)', observation);
      expect(listed).toMatch(/^lost +local +yes +1 +lost-c:\/data$/m);
      expect(exited).toMatch(/^exited 137 /);
      expect(references).toBe(0);
      expect(removed).toBe(true);
      expect(left).toEqual([]);
    }, 2 * MINUTE);

    it('a container whose processes died with dockerd: docker volume rm succeeds and nothing stays mounted', async () => {
      createVolume('killed');
      const id = runHolder('killed-c', 'killed');
      const from = await mark();
      await engine.crash();
      await killContainer(id);
      await engine.restart();
      const exited = state('killed-c');
      engine.dockerOk(['rm', '-f', 'killed-c']);
      const { removed, left, observation } = await removeAndObserve('killed', from, `container after restart: ${exited}`);
      report('2 (no live-restore, container processes killed too)', observation);
      expect(removed).toBe(true);
      expect(left).toEqual([]);
    }, 2 * MINUTE);

    it('two containers, one restarted after the crash: the count is what the live one holds, and rm of both frees the volume', async () => {
      createVolume('pair');
      runHolder('pair-a', 'pair', ['--restart', 'always']);
      runHolder('pair-b', 'pair');
      expect(status('pair').references).toBe(2);
      // Past docker.staleGrace (2 s here): references that young are left alone, as a container may still be starting.
      await sleep(2500);
      const from = await mark();
      await engine.crash();
      await engine.restart();
      let restarted = state('pair-a');
      for (let tries = 0; tries < 40 && !restarted.startsWith('running'); tries += 1) {
        await sleep(250);
        restarted = state('pair-a');
      }
      const references = await referencesUntil('pair', 1, 15_000);
      const readable = engine.docker(['exec', 'pair-a', 'cat', '/data/pair-a']).stdout;
      engine.dockerOk(['rm', '-f', 'pair-a', 'pair-b']);
      const { removed, left, observation } = await removeAndObserve('pair', from, `restarted container: ${restarted}; references with it running: ${String(references)}`);
      report('4 (no live-restore, two containers, one restarted by its policy)', observation);
      expect(restarted).toMatch(/^running /);
      expect(readable).toBe('pair-a');
      expect(references).toBe(1);
      expect(removed).toBe(true);
      expect(left).toEqual([]);
    }, 2 * MINUTE);

    it('a reference of this lifetime no container holds (an Unmount that never came): doctor shows it stale, docker volume rm drops it', async () => {
      createVolume('orphan');
      const mounted = await callPlugin(SOCKET, '/VolumeDriver.Mount', goJson({ Name: 'orphan', ID: 'f'.repeat(64) }));
      expect(mounted.body.Err).toBe('');
      const doctor = volplex(['doctor']);
      // Past docker.staleGrace (2 s here): a reference that young is a client that just mounted, and Remove is refused.
      await sleep(2500);
      const from = await mark();
      const { removed, left, observation } = await removeAndObserve('orphan', from, 'counted in this lifetime, held by none');
      report('a reference whose Unmount never came (no crash)', observation);
      expect(doctor).toContain(`ok   crash recovery: running containers are found through Docker API at ${engine.socket}`);
      expect(doctor).toContain('info references: orphan: 1 reference(s), held by no running container: 1 stale (no running container accounts for them)');
      expect(removed).toBe(true);
      expect(left).toEqual([]);
    });

    it('with the Docker socket hidden from volplex, the kernel scan of /proc frees the volume of a lost container', async () => {
      await daemon.stop();
      await startVolplex(join(root, 'no-such-docker.sock'));
      createVolume('kernel');
      runHolder('kernel-c', 'kernel');
      const from = await mark();
      await engine.crash();
      await engine.restart();
      const references = await referencesUntil('kernel', 0, 20_000);
      engine.dockerOk(['rm', '-f', 'kernel-c']);
      const { removed, left, observation } = await removeAndObserve('kernel', from, `references 20 s after restart: ${String(references)}`);
      report('1 again, kernel scan (no Docker API)', observation);
      expect(references).toBe(0);
      expect(daemon.output().slice(from)).toMatch(/"volume":"kernel".*"source":"kernel".*"msg":"dropping a reference no running container holds"/);
      expect(removed).toBe(true);
      expect(left).toEqual([]);
      await daemon.stop();
      await startVolplex(engine.socket);
    }, 2 * MINUTE);
  });

  describe('with --live-restore', () => {
    beforeAll(async () => {
      await engine.stop();
      await engine.start({ liveRestore: true });
    }, MINUTE);

    it('keeps a running container\'s data readable throughout, and drops only the reference of the one whose processes died', async () => {
      createVolume('restored');
      runHolder('restored-alive', 'restored');
      const doomed = runHolder('restored-doomed', 'restored');
      const alivePid = state('restored-alive').split(' ')[2] ?? '';
      const readAlive = (): string => readFileSync(`/proc/${alivePid}/root/data/restored-alive`, 'utf8').trim();
      expect(readAlive()).toBe('restored-alive');
      const from = await mark();
      await engine.crash();
      await killContainer(doomed);
      const whileDown = readAlive();
      await engine.restart();
      const afterRestart = state('restored-alive');
      const references = await referencesUntil('restored', 1, 20_000);
      const mountedWhileAlive = (await backendMounts()).length;
      engine.dockerOk(['rm', '-f', 'restored-doomed']);
      const readable = engine.docker(['exec', 'restored-alive', 'cat', '/data/restored-alive']).stdout;
      const stillRead = readAlive();
      engine.dockerOk(['rm', '-f', 'restored-alive']);
      const { removed, left, observation } = await removeAndObserve('restored', from, `survivor after restart: ${afterRestart}; references: ${String(references)}; backend mounts while it ran: ${mountedWhileAlive}`);
      report('3 (live-restore, one container survives, the other\'s processes killed)', observation);
      expect(whileDown).toBe('restored-alive');
      expect(afterRestart).toBe(`running 0 ${alivePid}`);
      expect(references).toBe(1);
      expect(mountedWhileAlive).toBe(1);
      expect(readable).toBe('restored-alive');
      expect(stillRead).toBe('restored-alive');
      expect(removed).toBe(true);
      expect(left).toEqual([]);
    }, 2 * MINUTE);

    it('counts the second Mount of docker cp as its own reference, before and after a dockerd restart', async () => {
      createVolume('copied');
      runHolder('copied-c', 'copied');
      const file = join(root, 'to-copy');
      writeFileSync(file, 'copied in\n');
      const from = await mark();
      engine.dockerOk(['cp', file, 'copied-c:/data/first']);
      const afterFirst = status('copied').references;
      await engine.crash();
      await engine.restart();
      engine.dockerOk(['cp', file, 'copied-c:/data/second']);
      const afterSecond = status('copied').references;
      const mountedAfter = (await backendMounts()).length;
      const readable = engine.docker(['exec', 'copied-c', 'cat', '/data/first', '/data/second']).stdout;
      await sleep(300);
      const counted = daemon.output().slice(from).split('\n').filter((line) => line.includes('"msg":"mount counted"') && line.includes('"volume":"copied"')).map((line) => (JSON.parse(line) as { references: number }).references);
      engine.dockerOk(['rm', '-f', 'copied-c']);
      const { removed, left, observation } = await removeAndObserve('copied', from, `references counted at each cp Mount: ${counted.join(', ')}; after each cp: ${String(afterFirst)}, ${String(afterSecond)}`);
      report('docker cp into a running container (live-restore, before and after a crash)', observation);
      // One docker cp mounts twice (to look, then to copy); after the restart dockerd took a new ID for the second.
      expect(counted.length).toBeGreaterThanOrEqual(2);
      expect(counted.every((references) => references === 2)).toBe(true);
      expect(afterFirst).toBe(1);
      expect(afterSecond).toBe(1);
      expect(mountedAfter).toBe(1);
      expect(readable).toBe('copied in\ncopied in');
      expect(removed).toBe(true);
      expect(left).toEqual([]);
    }, 2 * MINUTE);
  });
});
