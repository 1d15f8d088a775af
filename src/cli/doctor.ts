import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { VolplexConfig } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import { ExecaCommandRunner } from '../system/execa-command-runner.js';
import { describeReachability, findProgram, kernelSupports, listNfsExports, tcpReachability } from '../system/preflight.js';

const REACH_TIMEOUT_MS = 3000;

interface Finding {
  readonly level: 'ok' | 'FAIL' | 'info';
  readonly area: string;
  readonly text: string;
}

/** `volplex doctor`: what this host can mount, checked the way Mount will. Exit 1 if anything fails. */
export async function doctor(configFile: string | undefined): Promise<number> {
  const config = loadConfig(configFile);
  const findings = [...(await checkFuse()), ...(await checkGluster(config)), ...(await checkObjectStores(config)), ...(await checkNfs(config))];
  for (const finding of findings) {
    process.stdout.write(`${finding.level.padEnd(4)} ${finding.area}: ${finding.text}\n`);
  }
  return findings.some((finding) => finding.level === 'FAIL') ? 1 : 0;
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
    findings.push(await program(type, backend.binary, type === 's3fs' ? 'Debian package s3fs' : "Aliyun's ossfs release"));
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
