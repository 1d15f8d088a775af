import { spawn } from 'node:child_process';
import { join } from 'node:path';

import type { VolplexConfig } from '../src/config/config.js';
import { startDaemon, type RunningDaemon } from '../test/support/daemon.js';
import { callPlugin } from '../test/support/plugin-client.js';
import { median, rssMb } from './process-stats.js';

export interface StartupTimes {
  /** The daemon started last, left running. */
  readonly daemon: RunningDaemon;
  /** To the first answer (Activate and Capabilities answer before the volumes load). */
  readonly volplexMs: number;
  /** To the first answer that needs the volumes loaded (a Get). */
  readonly volplexReadyMs: number;
  readonly floorMs: number;
  readonly volplexRssMb: number;
  readonly floorRssMb: number;
}

/** Spawns the express floor and times it to its first answer; its RSS then. */
async function floorStartup(script: string, socket: string): Promise<{ ms: number; rss: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [script, socket], { stdio: 'ignore' });
  while (!(await callPlugin(socket, '/VolumeDriver.Capabilities', '{}').then(() => true, () => false))) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rss = rssMb(child.pid ?? 0);
  child.kill('SIGKILL');
  return { ms, rss };
}

/**
 * Restarts the daemon `rounds` times (its volumes and mounts stay) and times each start to its
 * first answer; the express floor likewise. Medians.
 */
export async function timeStartup(running: RunningDaemon, config: VolplexConfig, rounds: number, floorScript: string, root: string): Promise<StartupTimes> {
  let daemon = running;
  const volplex: Array<{ ms: number; readyMs: number; rss: number }> = [];
  const floor: Array<{ ms: number; rss: number }> = [];
  for (let round = 0; round < rounds; round += 1) {
    await daemon.stop();
    daemon = await startDaemon(config);
    volplex.push({ ms: daemon.answeredAfterMs, readyMs: daemon.readyAfterMs, rss: rssMb(daemon.process.pid ?? 0) });
    floor.push(await floorStartup(floorScript, join(root, `floor-start-${round}.sock`)));
  }
  return {
    daemon,
    volplexMs: median(volplex.map((run) => run.ms)),
    volplexReadyMs: median(volplex.map((run) => run.readyMs)),
    floorMs: median(floor.map((run) => run.ms)),
    volplexRssMb: median(volplex.map((run) => run.rss)),
    floorRssMb: median(floor.map((run) => run.rss)),
  };
}
