import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { containerIdOf, KernelHolderFinder } from '../../../src/system/kernel-holders.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const ID_SELF = 'c'.repeat(64);
const TARGET = '/var/lib/volplex/mounts/local-0123456789abcdef01234567';
const BACKEND = `61 27 254:0 /srv/app ${TARGET} rw,relatime - ext4 /dev/vda rw`;
const line = (id: number, device: string, root: string, mountPoint: string): string => `${id} 1 ${device} ${root} ${mountPoint} rw - ext4 /dev/vda rw`;

/** A /proc of our own making: one directory per process with comm, cgroup and mountinfo. */
describe(KernelHolderFinder.name, () => {
  let proc: string;
  const addProcess = (pid: string, files: { comm?: string; cgroup?: string; mountinfo?: string }): void => {
    mkdirSync(join(proc, pid), { recursive: true });
    writeFileSync(join(proc, pid, 'comm'), `${files.comm ?? 'sh'}\n`);
    writeFileSync(join(proc, pid, 'cgroup'), files.cgroup ?? '0::/user.slice\n');
    writeFileSync(join(proc, pid, 'mountinfo'), files.mountinfo ?? `${BACKEND}\n`);
  };
  const find = (subdir = ''): ReturnType<KernelHolderFinder['find']> => new KernelHolderFinder(proc).find([{ name: 'data', backendTarget: TARGET, subdir }]);

  beforeEach(() => {
    proc = makeTempDir('proc');
    addProcess('self', { mountinfo: `${line(20, '254:0', '/', '/')}\n${BACKEND}\n` });
    addProcess('1', { comm: 'init' });
    addProcess('100', { comm: 'dockerd' });
  });

  afterEach(() => {
    removeTempDir(proc);
  });

  it('finds the containers that bind the backend at its root, one mount table per container', async () => {
    addProcess('200', { cgroup: `12:pids:/docker/${ID_A}\n`, mountinfo: `${line(70, '254:0', '/data/vfs/dir/x', '/')}\n${line(71, '254:0', '/srv/app', '/data')}\n` });
    addProcess('201', { cgroup: `12:pids:/docker/${ID_A}\n`, mountinfo: `${line(71, '254:0', '/srv/app', '/data')}\n` });
    addProcess('300', { cgroup: `0::/system.slice/docker-${ID_B}.scope\n`, mountinfo: `${line(80, '254:0', '/srv/app', '/a')}\n${line(81, '254:0', '/srv/app', '/b')}\n` });
    const report = await find();
    expect(report).toEqual(expect.objectContaining({ known: true, source: 'kernel' }));
    expect(report.known && report.holders.get('data')).toEqual([
      { container: ID_A.slice(0, 12), destination: '/data' },
      { container: ID_B.slice(0, 12), destination: '/a' },
      { container: ID_B.slice(0, 12), destination: '/b' },
    ]);
  });

  it('matches a subdir volume only on binds of that subdir or below it', async () => {
    addProcess('200', { cgroup: `1:name=systemd:/docker/${ID_A}\n`, mountinfo: `${line(71, '254:0', '/srv/app/one', '/data')}\n` });
    addProcess('300', { cgroup: `1:name=systemd:/docker/${ID_B}\n`, mountinfo: `${line(81, '254:0', '/srv/app/two', '/data')}\n${line(82, '254:0', '/srv/app/onexyz', '/x')}\n` });
    const report = await find('one');
    expect(report.known && report.holders.get('data')).toEqual([{ container: ID_A.slice(0, 12), destination: '/data' }]);
  });

  it('does not take another device, a copy of the backend mount, host processes or its own container for holders', async () => {
    addProcess('200', { cgroup: `12:pids:/docker/${ID_A}\n`, mountinfo: `${line(71, '0:52', '/srv/app', '/data')}\n${line(72, '254:0', '/srv/app', `/host${TARGET}`)}\n` });
    addProcess('400', { mountinfo: `${line(90, '254:0', '/srv/app', '/srv/app')}\n` });
    addProcess('500', { cgroup: `12:pids:/docker/${ID_SELF}\n`, mountinfo: `${line(91, '254:0', '/srv/app', '/data')}\n` });
    writeFileSync(join(proc, 'self', 'cgroup'), `12:pids:/docker/${ID_SELF}\n`);
    const report = await find();
    expect(report.known && report.holders.get('data')).toEqual([]);
  });

  it('cannot tell a volume whose backend is not in its own mount table', async () => {
    writeFileSync(join(proc, 'self', 'mountinfo'), `${line(20, '254:0', '/', '/')}\n`);
    const report = await find();
    expect(report.known && report.holders.has('data')).toBe(true);
    expect(report.known && report.holders.get('data')).toBeUndefined();
  });

  it('cannot tell at all when no Docker Engine process is visible (not the host PID namespace)', async () => {
    writeFileSync(join(proc, '100', 'comm'), 'node\n');
    await expect(find()).resolves.toEqual({ known: false, reason: expect.stringContaining('no dockerd or containerd-shim process is visible') as unknown as string });
  });

  it('takes a containerd shim for proof too (live-restore with dockerd down)', async () => {
    writeFileSync(join(proc, '100', 'comm'), 'containerd-shim\n');
    await expect(find()).resolves.toEqual(expect.objectContaining({ known: true }));
  });
});

describe(containerIdOf.name, () => {
  it.each([
    ['cgroupfs driver (v1)', `12:pids:/docker/${ID_A}\n11:memory:/docker/${ID_A}\n`, ID_A],
    ['systemd driver', `0::/system.slice/docker-${ID_A}.scope\n`, ID_A],
    ['seen from another cgroup namespace', `0::/../../docker-${ID_A}.scope\n`, ID_A],
    ['a host service', '0::/system.slice/volplex.service\n', undefined],
    ['no cgroup file', '', undefined],
  ])('%s', (_desc, cgroup, expected) => {
    expect(containerIdOf(cgroup)).toBe(expected);
  });
});
