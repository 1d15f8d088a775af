import { spawnSync } from 'node:child_process';

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

/** Runs a docker CLI command (or docker-compose, with `binary`) against the private engine. */
export function docker(args: readonly string[], options: { binary?: string; cwd?: string; timeoutMs?: number } = {}): CommandOutcome {
  const result = spawnSync(options.binary ?? 'docker', args, {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: dockerHost() },
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
