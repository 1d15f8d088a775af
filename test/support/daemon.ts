import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { stringify } from 'yaml';

import type { VolplexConfig } from '../../src/config/config.js';
import { callPlugin } from './plugin-client.js';

/** The shipped daemon and CLI: the bundle that npm start, the plugin, the image and the systemd unit run. */
export const CLI = fileURLToPath(new URL('../../volplex.js', import.meta.url));

export interface RunningDaemon {
  readonly process: ChildProcess;
  readonly config: VolplexConfig;
  /** From spawn to the first answer on its socket (Capabilities, answered before the volumes load). */
  readonly answeredAfterMs: number;
  /** From spawn to the first answer that needs the volumes loaded (a Get). */
  readonly readyAfterMs: number;
  /** Everything the daemon wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash. */
  kill(): Promise<void>;
}

/** Starts the real `volplex serve` with `config` written to a YAML file, and waits until it answers with its volumes loaded. */
export async function startDaemon(config: VolplexConfig, configFile = join(config.stateDir, '..', 'volplex.yaml'), env: Readonly<Record<string, string>> = {}): Promise<RunningDaemon> {
  writeFileSync(configFile, stringify({ ...config, log: { level: config.log.level === 'silent' ? 'info' : config.log.level } }));
  const spawned = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VOLPLEX_CONFIG: '', ...env } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const since = (): number => Number(process.hrtime.bigint() - spawned) / 1e6;
  // Capabilities, not Activate: Activate means a new dockerd lifetime to volplex.
  await waitUntilAnswering(config.socket, '/VolumeDriver.Capabilities', '{}', child, () => output);
  const answeredAfterMs = since();
  // A Get waits for the volumes (and everything started with them, the metrics listener too).
  await waitUntilAnswering(config.socket, '/VolumeDriver.Get', '{"Name":"volplex-test-readiness"}', child, () => output);
  return {
    process: child,
    config,
    answeredAfterMs,
    readyAfterMs: since(),
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitUntilAnswering(socket: string, endpoint: string, body: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`volplex exited with ${child.exitCode}: ${output()}`);
    }
    const answered = await callPlugin(socket, endpoint, body).then(() => true, () => false);
    if (answered) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`volplex did not answer on ${socket} within 10 s: ${output()}`);
}
