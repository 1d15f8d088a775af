import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseMountinfo, MOUNTINFO_PATH } from '../../src/system/mountinfo.js';
import { BUSYBOX, docker, type CommandOutcome } from './docker.js';
import { processesWhere } from './processes.js';

const CONTAINERD_PIDFILE = join('exec', 'containerd', 'containerd.pid');

/** The busybox applets the test image links to /bin/busybox (as test/services/start-dockerd.sh does). */
const APPLETS = ['sh', 'ls', 'cat', 'echo', 'mkdir', 'touch', 'sleep', 'test', 'grep', 'rm', 'wc', 'stat', 'id'];

/**
 * A Docker Engine of the test's own (data-root, exec-root, pidfile and socket in `dir`), so it
 * can be crashed with kill -9 without touching the engine every other test shares.
 */
export class PrivateDockerd {
  public readonly dir: string;
  public readonly socket: string;
  #flags: readonly string[] = [];

  public constructor(dir: string) {
    this.dir = dir;
    this.socket = join(dir, 'docker.sock');
    mkdirSync(join(dir, 'data'), { recursive: true });
    mkdirSync(join(dir, 'exec'), { recursive: true });
  }

  public get host(): string {
    return `unix://${this.socket}`;
  }

  public docker(args: readonly string[]): CommandOutcome {
    return docker(args, { host: this.host });
  }

  public dockerOk(args: readonly string[]): string {
    const outcome = this.docker(args);
    if (outcome.status !== 0) {
      throw new Error(`docker ${args.join(' ')} failed (${outcome.status}): ${outcome.stderr}`);
    }
    return outcome.stdout;
  }

  /** Starts dockerd (with `--live-restore` if asked) and waits until its API answers. */
  public async start(options: { liveRestore: boolean }): Promise<void> {
    this.#flags = options.liveRestore ? ['--live-restore'] : [];
    await this.#launch();
  }

  /** Imports local/busybox from the host's busybox-static, once per data-root. */
  public importBusybox(): void {
    if (this.docker(['image', 'inspect', BUSYBOX]).status === 0) {
      return;
    }
    const image = join(this.dir, 'busybox-root');
    mkdirSync(join(image, 'bin'), { recursive: true });
    mkdirSync(join(image, 'tmp'), { recursive: true });
    copyFileSync('/bin/busybox', join(image, 'bin', 'busybox'));
    for (const applet of APPLETS) {
      rmSync(join(image, 'bin', applet), { force: true });
      symlinkSync('busybox', join(image, 'bin', applet));
    }
    const tar = spawnSync('tar', ['-C', image, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    const imported = spawnSync('docker', ['import', '-', BUSYBOX], { input: tar.stdout, env: { ...process.env, DOCKER_HOST: this.host }, encoding: 'utf8' });
    if (imported.status !== 0) {
      throw new Error(`docker import failed: ${imported.stderr}`);
    }
  }

  /**
   * kill -9 of dockerd and the containerd it started (the shims and containers live on), as
   * ENVIRONMENT.md stages a crash; waits until both are gone and removes the pidfiles.
   */
  public async crash(): Promise<void> {
    const pids = [this.#pidFrom('dockerd.pid'), this.#pidFrom(CONTAINERD_PIDFILE)].filter((pid): pid is number => pid !== undefined);
    pids.forEach((pid) => { kill(pid); });
    await waitGone(pids);
    rmSync(join(this.dir, 'dockerd.pid'), { force: true });
    // The killed containerd may stay a zombie for seconds here (PID 1 reaps late); dockerd would
    // take its pidfile for a live containerd and wait for it. A host's init reaps at once.
    rmSync(join(this.dir, CONTAINERD_PIDFILE), { force: true });
  }

  /** Starts dockerd again with the flags of the last start (after crash()). */
  public async restart(): Promise<void> {
    await this.#launch();
  }

  /** Removes every container, stops dockerd and unmounts what it left below its directory. */
  public async stop(): Promise<void> {
    if (existsSync(this.socket)) {
      const ids = this.docker(['ps', '-aq']).stdout.split('\n').filter((id) => id !== '');
      if (ids.length > 0) {
        this.docker(['rm', '-f', ...ids]);
      }
    }
    const pid = this.#pidFrom('dockerd.pid');
    if (pid !== undefined) {
      kill(pid, 'SIGTERM');
      await waitGone([pid], 20_000);
    }
    const containerd = this.#pidFrom(CONTAINERD_PIDFILE);
    if (containerd !== undefined) {
      kill(containerd);
      await waitGone([containerd]);
    }
    // Shims (and their containers) an engine that failed to come back could not stop.
    const address = join(this.dir, 'exec', 'containerd', 'containerd.sock');
    for (const shim of processesWhere((argv) => argv[0]?.includes('containerd-shim') === true && argv.includes(address))) {
      const argv = readFileSync(`/proc/${shim}/cmdline`, 'utf8').split('\0');
      await killContainer(argv[argv.indexOf('-id') + 1] ?? '');
      kill(shim);
      await waitGone([shim]);
    }
    unmountBelow(this.dir);
  }

  async #launch(): Promise<void> {
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    const child = spawn(
      'dockerd',
      ['--storage-driver=vfs', '--iptables=false', '--bridge=none', ...this.#flags, '--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'), '--pidfile', join(this.dir, 'dockerd.pid'), '-H', this.host],
      { stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    child.unref();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.docker(['version', '--format', '{{.Server.Version}}']).status === 0) {
        return;
      }
      if (child.exitCode !== null) {
        break;
      }
      await sleep(200);
    }
    throw new Error(`private dockerd did not start: ${readFileSync(join(this.dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n')}`);
  }

  #pidFrom(file: string): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, file), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}

/** PIDs whose cgroup names the container (its processes), and the shim that runs it. */
export function containerProcesses(containerId: string): { processes: number[]; shim: number | undefined } {
  const processes = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(containerId);
      } catch {
        return false;
      }
    })
    .map(Number);
  const init = processes[0];
  const parent = init === undefined ? undefined : Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${init}/status`, 'utf8'))?.[1]);
  const shim = parent !== undefined && readFileSync(`/proc/${parent}/comm`, 'utf8').startsWith('containerd-shim') ? parent : undefined;
  return { processes, shim };
}

/** kill -9 of the container's processes and of its shim, as when they die together with dockerd. */
export async function killContainer(containerId: string): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(containerId)) {
    throw new Error(`not a container ID: ${containerId}`);
  }
  const { processes, shim } = containerProcesses(containerId);
  const all = [...processes, ...(shim === undefined ? [] : [shim])];
  all.forEach((pid) => { kill(pid); });
  await waitGone(all);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Waits until none of the PIDs runs (a zombie counts as gone). */
async function waitGone(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const running = (pid: number): boolean => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  while (pids.some(running)) {
    if (Date.now() > deadline) {
      throw new Error(`processes still running: ${pids.filter(running).join(', ')}`);
    }
    await sleep(50);
  }
}

/** Unmounts everything below dir, deepest first (lazily if busy), until nothing is left. */
export function unmountBelow(dir: string): void {
  for (let round = 0; round < 5; round += 1) {
    const below = parseMountinfo(readFileSync(MOUNTINFO_PATH, 'utf8'))
      .map((entry) => entry.mountPoint)
      .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
    if (below.length === 0) {
      return;
    }
    for (const mountPoint of below) {
      if (spawnSync('umount', [mountPoint]).status !== 0) {
        spawnSync('umount', ['-l', mountPoint]);
      }
    }
  }
}
