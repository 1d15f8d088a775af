import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CommandOutcome {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The DOCKER_HOST of the private engine test/run-all.sh started; a test without it must fail, not skip. */
export function dockerHost(): string {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === '') {
    throw new Error('DOCKER_HOST is not set: run the tests through `npm test`, which starts a private dockerd');
  }
  return host;
}

/** Runs a docker CLI command (or docker-compose, with `binary`) against the private engine (or `host`). */
export function docker(args: readonly string[], options: { binary?: string; cwd?: string; timeoutMs?: number; host?: string } = {}): CommandOutcome {
  const result = spawnSync(options.binary ?? 'docker', args, {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: options.host ?? dockerHost() },
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: result.status ?? -1, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** Like docker(), but throws with the command's stderr unless it exited 0. */
export function dockerOk(args: readonly string[], options: { binary?: string; cwd?: string } = {}): string {
  const outcome = docker(args, options);
  if (outcome.status !== 0) {
    throw new Error(`${options.binary ?? 'docker'} ${args.join(' ')} failed (${outcome.status}): ${outcome.stderr}`);
  }
  return outcome.stdout;
}

/** The legacy plugin name the end-to-end tests serve, so they never touch a volplex the machine runs. */
export const E2E_PLUGIN = 'volplex-e2e';
export const E2E_SOCKET = `/run/docker/plugins/${E2E_PLUGIN}.sock`;
export const BUSYBOX = 'local/busybox:latest';

/** `docker run --rm` a busybox shell script with the volume at /data; returns its stdout. */
export function runWithVolume(volume: string, script: string): string {
  return dockerOk(['run', '--rm', '--network', 'none', '-v', `${volume}:/data`, BUSYBOX, 'sh', '-c', script]);
}

/** Starts a detached busybox container that holds the volume at /data until stopped. */
export function startHolder(name: string, volume: string): void {
  dockerOk(['run', '-d', '--name', name, '--network', 'none', '-v', `${volume}:/data`, BUSYBOX, 'sleep', '600']);
}

/** Writes a compose project using one volplex volume and runs `up`; returns the project directory. */
export function composeUp(directory: string, project: string, driverOpts: Record<string, string>, script: string): void {
  const opts = Object.entries(driverOpts).map(([key, value]) => `      ${key}: ${JSON.stringify(value)}`);
  const file = ['version: "3.7"', 'services:', '  app:', `    image: ${BUSYBOX}`, '    network_mode: none', `    command: ["sh", "-c", ${JSON.stringify(script)}]`, '    volumes: ["shared:/data"]', 'volumes:', '  shared:', `    driver: ${E2E_PLUGIN}`, '    driver_opts:', ...opts, ''];
  writeFileSync(join(directory, 'docker-compose.yml'), file.join('\n'));
  dockerOk(['-p', project, 'up', '--no-color', '--abort-on-container-exit'], { binary: 'docker-compose', cwd: directory });
}

export function composeDown(directory: string, project: string): void {
  dockerOk(['-p', project, 'down', '-v'], { binary: 'docker-compose', cwd: directory });
}
