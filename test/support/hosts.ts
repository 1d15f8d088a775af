import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import type { VolplexConfig } from '../../src/config/config.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import type { RunningDaemon } from './daemon.js';
import { testConfig, type ConfigOverrides } from './harness.js';
import { callPlugin, goJson } from './plugin-client.js';

/** A volplex instance of a host sharing an etcd cluster: its own hostId, socket, state dir and mount root below `root/<host>`. */
export function hostConfig(root: string, host: string, endpoints: readonly string[], overrides: ConfigOverrides & { leaseTtl?: number; prefix?: string } = {}): VolplexConfig {
  const { leaseTtl = 5, prefix = '/volplex-test', ...rest } = overrides;
  mkdirSync(join(root, host), { recursive: true });
  return testConfig(join(root, host), {
    hostId: host,
    log: { level: 'info' },
    store: { kind: 'etcd', etcd: { endpoints, prefix, leaseTtl, tls: { ca: '', cert: '', key: '' } } },
    ...rest,
  });
}

export interface PluginAnswer {
  readonly Err: string;
  readonly [field: string]: unknown;
}

/** One protocol call to a daemon, as dockerd makes it; the decoded answer. */
export async function plugin(daemon: RunningDaemon, method: string, body: object = {}): Promise<PluginAnswer> {
  const response = await callPlugin(daemon.config.socket, `/VolumeDriver.${method}`, goJson(body));
  return response.body as unknown as PluginAnswer;
}

/** Like plugin(), but throws with the Err unless the call succeeded. */
export async function pluginOk(daemon: RunningDaemon, method: string, body: object = {}): Promise<PluginAnswer> {
  const answer = await plugin(daemon, method, body);
  if (answer.Err !== '') {
    throw new Error(`${method} ${JSON.stringify(body)} failed: ${answer.Err}`);
  }
  return answer;
}

/** A volume's Status as Get shows it (undefined while Get says not found). */
export async function statusOf(daemon: RunningDaemon, name: string): Promise<Record<string, unknown> | undefined> {
  const answer = await plugin(daemon, 'Get', { Name: name });
  return answer.Err === '' ? (answer.Volume as { Status: Record<string, unknown> }).Status : undefined;
}

/** Until `check` passes, or throws its last failure after `timeoutMs`. */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Mount points below a daemon's mount root, of one filesystem type if given. */
export async function mountsOf(daemon: RunningDaemon, fsType?: string): Promise<string[]> {
  return (await readMountinfo())
    .filter((entry) => entry.mountPoint.startsWith(`${daemon.config.mountRoot}/`) && (fsType === undefined || entry.fsType === fsType))
    .map((entry) => entry.mountPoint);
}
