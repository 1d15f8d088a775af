import { readFileSync } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';

import { createHolderFinder } from '../app/container.js';
import type { VolplexConfig } from '../config/config.js';
import { sameValue } from '../config/live-config.js';
import { loadConfig, userConfigFile } from '../config/load.js';
import { DriverRegistry } from '../core/driver-registry.js';
import { VolplexError } from '../core/errors.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { ExecaCommandRunner } from '../system/execa-command-runner.js';
import { openCliState, type CliState } from './cli-state.js';
import { HEALTH_REPORT_FILE, type HealthSnapshot } from './health-report.js';
import { checkDaemonStatus, checkHostBinds } from './doctor-daemon.js';
import { checkMetrics } from './doctor-metrics.js';
import { describeReachability, findProgram, kernelSupports, listNfsExports, tcpReachability } from '../system/preflight.js';
import { crashRecoveryFindings, type Finding } from './doctor-findings.js';
import { checkOssfs } from './doctor-ossfs.js';
import { checkStore } from './doctor-store.js';

const REACH_TIMEOUT_MS = 3000;

/** What every check may look at: the configuration, the backend types in use, and the daemon's store if there is one. */
interface DoctorContext {
  readonly config: VolplexConfig;
  /** Types the configuration or a volume uses: the others are `skipped`. */
  readonly used: ReadonlySet<string>;
  readonly state: CliState | undefined;
}

type Check = (context: DoctorContext) => Finding[] | Promise<Finding[]>;

/** Every check, in the order doctor prints them: a new check is one function and one line here. */
const CHECKS: readonly Check[] = [
  ({ config }) => checkDaemonStatus(config),
  ({ config }) => checkHostBinds(config),
  checkFuse,
  checkGluster,
  checkObjectStores,
  checkNfs,
  ({ config }) => checkMounts(config),
  checkCrashRecovery,
  ({ config }) => checkMetrics(config),
  ({ config }) => checkStore(config),
];

/**
 * `volplex doctor`: what this host can mount, checked the way Mount will, for the backends in
 * use. Exit 1 if anything fails (a container HEALTHCHECK). `json`: one document,
 * `{"ok": bool, "findings": [{level, area, text, …}]}`.
 */
export async function doctor(configFile: string | undefined, json = false): Promise<number> {
  const { config, problem } = loadForDoctor(configFile);
  const state = openCliState(config, true);
  const findings = [...problem];
  try {
    const context = { config, used: usedBackends(config, state), state };
    for (const check of CHECKS) {
      findings.push(...(await check(context)));
    }
  } finally {
    state?.close();
  }
  const ok = !findings.some((finding) => finding.level === 'FAIL');
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok, findings }, null, 2)}\n`);
  } else {
    for (const finding of findings) {
      process.stdout.write(`${finding.level.padEnd(4)} ${finding.area}: ${finding.text}\n`);
    }
  }
  return ok ? 0 : 1;
}

/** A backend is in use when the configuration sets it up (its section differs from the defaults, or it is defaultType) or a volume has its type. */
function usedBackends(config: VolplexConfig, state: CliState | undefined): Set<string> {
  const defaults = loadConfig('', {});
  const registry = state?.container.get(DriverRegistry);
  const used = new Set([registry?.find(config.defaultType)?.type ?? config.defaultType, ...(state?.store.counts().volumesByType.keys() ?? [])]);
  for (const type of ['glusterfs', 's3fs', 'ossfs', 'nfs'] as const) {
    if (!sameValue(config.backends[type], defaults.backends[type])) {
      used.add(type);
    }
  }
  return used;
}

/** The one line of a backend neither the configuration nor any volume uses. */
function skipped(area: string): Finding {
  return { level: 'skipped', area, text: `not checked: neither the configuration nor any volume uses ${area}` };
}

/** A file the daemon would refuse is a finding, not the end: doctor goes on with the defaults and environment. */
function loadForDoctor(configFile: string | undefined): { config: VolplexConfig; problem: Finding[] } {
  try {
    return { config: loadConfig(configFile), problem: [] };
  } catch (error) {
    if (!VolplexError.is(error)) {
      throw error;
    }
    const text = `${error.message}; a running daemon keeps its previous configuration; checking with the defaults, the environment and the file's stateDir only`;
    const stateDir = stateDirOf(userConfigFile(configFile));
    return { config: loadConfig('', stateDir === undefined ? process.env : { ...process.env, VOLPLEX_STATE_DIR: stateDir }), problem: [{ level: 'FAIL', area: 'config', text }] };
  }
}

/** The stateDir a file names, if it can be read at all: where the daemon's status is. */
function stateDirOf(file: string | undefined): string | undefined {
  try {
    const parsed: unknown = parse(readFileSync(file ?? '', 'utf8'));
    const stateDir = (parsed as { stateDir?: unknown } | null)?.stateDir;
    return process.env.VOLPLEX_STATE_DIR ?? (typeof stateDir === 'string' ? stateDir : undefined);
  } catch {
    return undefined;
  }
}

async function program(area: string, name: string, providedBy: string): Promise<Finding> {
  const path = await findProgram(name);
  return path === undefined ? { level: 'FAIL', area, text: `${name} is not installed (${providedBy})` } : { level: 'ok', area, text: `${name} is ${path}` };
}

async function reach(area: string, what: string, host: string, port: number): Promise<Finding> {
  const result = await tcpReachability(host, port, REACH_TIMEOUT_MS);
  return { level: result === 'open' ? 'ok' : 'FAIL', area, text: describeReachability(result, what, host, port, REACH_TIMEOUT_MS) };
}

async function checkFuse({ used }: DoctorContext): Promise<Finding[]> {
  if (!['glusterfs', 's3fs', 'ossfs'].some((type) => used.has(type))) {
    return [skipped('fuse')];
  }
  const device = await access('/dev/fuse').then(() => true, () => false);
  return [{ level: device && (await kernelSupports('fuse')) ? 'ok' : 'FAIL', area: 'fuse', text: device ? '/dev/fuse is present' : '/dev/fuse is missing (glusterfs, s3fs and ossfs need it)' }];
}

async function checkGluster({ config, used }: DoctorContext): Promise<Finding[]> {
  if (!used.has('glusterfs')) {
    return [skipped('glusterfs')];
  }
  const servers = config.backends.glusterfs.servers;
  return [await program('glusterfs', 'mount.glusterfs', 'Debian package glusterfs-client'), ...(await Promise.all(servers.map((server) => reach('glusterfs', 'gluster server', server, 24007))))];
}

async function checkObjectStores({ config, used }: DoctorContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const type of ['s3fs', 'ossfs'] as const) {
    if (!used.has(type)) {
      findings.push(skipped(type));
      continue;
    }
    const backend = config.backends[type];
    findings.push(type === 's3fs' ? await program(type, backend.binary, 'Debian package s3fs') : await checkOssfs(backend.binary));
    if (backend.url !== '') {
      const url = new URL(backend.url);
      findings.push(await reach(type, 'endpoint', url.hostname, Number(url.port || (url.protocol === 'https:' ? 443 : 80))));
    }
  }
  return findings;
}

async function checkNfs({ config, used }: DoctorContext): Promise<Finding[]> {
  if (!used.has('nfs')) {
    return [skipped('nfs')];
  }
  const kernel = await kernelSupports('nfs');
  const findings: Finding[] = [
    { level: kernel ? 'ok' : 'FAIL', area: 'nfs', text: kernel ? 'the kernel has an NFS client' : 'this kernel has no NFS client (/proc/filesystems lists no nfs): modprobe nfs' },
    await program('nfs', 'mount.nfs', 'Debian package nfs-common'),
  ];
  const server = config.backends.nfs.server;
  if (server !== '') {
    findings.push(await reach('nfs', 'NFS server', server, 2049));
    // Not the daemon's directory: the daemon may be running, and empties its own at start.
    const outputDir = await mkdtemp(join(tmpdir(), 'volplex-doctor-'));
    const exports = await listNfsExports(new ExecaCommandRunner(config.commandTimeout, outputDir), server).finally(() => rm(outputDir, { recursive: true, force: true }));
    findings.push({ level: 'info', area: 'nfs', text: exports === undefined ? `${server} does not list its exports (NFSv4-only servers do not)` : `${server} exports ${exports.length === 0 ? '(nothing)' : exports.join(', ')}` });
  }
  return findings;
}

/** The daemon's last health round, as it wrote it: doctor itself never touches a mount. */
async function checkMounts(config: VolplexConfig): Promise<Finding[]> {
  const text = await readFile(join(config.stateDir, HEALTH_REPORT_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) {
    return [{ level: 'info', area: 'mounts', text: `no health report in ${config.stateDir} (the daemon has not finished a health round)` }];
  }
  const snapshot = JSON.parse(text) as HealthSnapshot;
  const ageSeconds = Math.round((Date.now() - Date.parse(snapshot.writtenAt)) / 1000);
  const findings: Finding[] = [{ level: 'info', area: 'mounts', text: `health report of daemon pid ${snapshot.pid}, ${ageSeconds} s old: ${snapshot.backends.length} backend mount(s) held` }];
  for (const backend of snapshot.backends.filter((entry) => entry.health === 'unhealthy')) {
    const last = backend.lastAnswer === undefined ? 'no answer since the daemon started' : `last answered ${backend.lastAnswer}`;
    findings.push({ level: 'FAIL', area: 'mounts', text: `${backend.target} (volumes ${backend.volumes.join(', ')}) is not answering: ${backend.reason ?? 'unknown'}; ${last}` });
  }
  if (snapshot.stuckProbeChildren > 0) {
    findings.push({ level: 'FAIL', area: 'mounts', text: `${snapshot.stuckProbeChildren} probe child process(es) are stuck in the kernel on dead mounts` });
  }
  return findings;
}

/** Who holds the volumes in use (the daemon's own sources), and the references no running container holds. */
async function checkCrashRecovery({ config, state }: DoctorContext): Promise<Finding[]> {
  if (state === undefined) {
    return crashRecoveryFindings(await createHolderFinder(config).find([]), []);
  }
  const { report, volumes } = await state.container.get(HolderReconciler).inspect();
  return crashRecoveryFindings(report, volumes);
}
