import { existsSync, readFileSync } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parse } from 'yaml';

import { createContainer, createHolderFinder } from '../app/container.js';
import { TOKENS } from '../app/tokens.js';
import type { VolplexConfig } from '../config/config.js';
import { loadConfig, userConfigFile } from '../config/load.js';
import { VolplexError } from '../core/errors.js';
import { HolderReconciler } from '../core/holder-reconciler.js';
import { createLogger } from '../log/logger.js';
import { STORE_FILE } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { ExecaCommandRunner } from '../system/execa-command-runner.js';
import { HEALTH_REPORT_FILE, type HealthSnapshot } from './health-report.js';
import { checkDaemonStatus, checkHostBinds } from './doctor-daemon.js';
import { describeReachability, findProgram, kernelSupports, listNfsExports, tcpReachability } from '../system/preflight.js';
import { crashRecoveryFindings, type Finding } from './doctor-findings.js';
import { checkOssfs } from './doctor-ossfs.js';

const REACH_TIMEOUT_MS = 3000;

/** `volplex doctor`: what this host can mount, checked the way Mount will. Exit 1 if anything fails. */
export async function doctor(configFile: string | undefined): Promise<number> {
  const { config, problem } = loadForDoctor(configFile);
  const findings = [...problem, ...checkDaemonStatus(config), ...(await checkHostBinds(config)), ...(await checkFuse()), ...(await checkGluster(config)), ...(await checkObjectStores(config)), ...(await checkNfs(config)), ...(await checkMounts(config)), ...(await checkCrashRecovery(config))];
  for (const finding of findings) {
    process.stdout.write(`${finding.level.padEnd(4)} ${finding.area}: ${finding.text}\n`);
  }
  return findings.some((finding) => finding.level === 'FAIL') ? 1 : 0;
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

async function checkFuse(): Promise<Finding[]> {
  const device = await access('/dev/fuse').then(() => true, () => false);
  return [{ level: device && (await kernelSupports('fuse')) ? 'ok' : 'FAIL', area: 'fuse', text: device ? '/dev/fuse is present' : '/dev/fuse is missing (glusterfs, s3fs and ossfs need it)' }];
}

async function checkGluster(config: VolplexConfig): Promise<Finding[]> {
  const servers = config.backends.glusterfs.servers;
  return [await program('glusterfs', 'mount.glusterfs', 'Debian package glusterfs-client'), ...(await Promise.all(servers.map((server) => reach('glusterfs', 'gluster server', server, 24007))))];
}

async function checkObjectStores(config: VolplexConfig): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const type of ['s3fs', 'ossfs'] as const) {
    const backend = config.backends[type];
    findings.push(type === 's3fs' ? await program(type, backend.binary, 'Debian package s3fs') : await checkOssfs(backend.binary));
    if (backend.url !== '') {
      const url = new URL(backend.url);
      findings.push(await reach(type, 'endpoint', url.hostname, Number(url.port || (url.protocol === 'https:' ? 443 : 80))));
    }
  }
  return findings;
}

async function checkNfs(config: VolplexConfig): Promise<Finding[]> {
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
async function checkCrashRecovery(config: VolplexConfig): Promise<Finding[]> {
  if (!existsSync(join(config.stateDir, STORE_FILE))) {
    return crashRecoveryFindings(await createHolderFinder(config).find([]), []);
  }
  const container = createContainer(config, createLogger('silent'));
  try {
    const { report, volumes } = await container.get(HolderReconciler).inspect();
    return crashRecoveryFindings(report, volumes);
  } finally {
    container.get<Store>(TOKENS.store).close();
  }
}
