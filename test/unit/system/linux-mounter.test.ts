import { describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { LinuxMounter } from '../../../src/system/linux-mounter.js';
import { MountTable } from '../../../src/system/mount-table.js';
import { ScriptedRunner } from '../../fakes/scripted-runner.js';

const line = (id: number, mountPoint: string, fsType: string, source: string): string => `${id} 1 0:${id} / ${mountPoint} rw,relatime shared:1 - ${fsType} ${source} rw`;
const tableOf = (...lines: string[]): MountTable => new MountTable(() => Promise.resolve(`${lines.join('\n')}\n`));
const PROBE = /^\/m\/s3\/\.volplex-probe-[0-9a-f-]{36}$/;

describe(LinuxMounter.name, () => {
  describe('.mount', () => {
    it.each([
      { desc: 'a bind mount', args: ['/srv/a', '/m/t', '', ['bind']], argv: ['mount', '-o', 'bind', '--', '/srv/a', '/m/t'] },
      { desc: 'a read-only bind mount', args: ['/srv/a', '/m/t', '', ['bind', 'ro']], argv: ['mount', '-o', 'bind,ro', '--', '/srv/a', '/m/t'] },
      { desc: 'a typed mount', args: ['h:/gv0', '/m/t', 'glusterfs', ['backup-volfile-servers=h2']], argv: ['mount', '-t', 'glusterfs', '-o', 'backup-volfile-servers=h2', '--', 'h:/gv0', '/m/t'] },
      { desc: 'no options', args: ['tmpfs', '/m/t', 'tmpfs', []], argv: ['mount', '-t', 'tmpfs', '--', 'tmpfs', '/m/t'] },
    ] as const)('runs exactly the argv for $desc', async ({ args, argv }) => {
      const runner = new ScriptedRunner().expect(argv);
      await new LinuxMounter(runner, { table: tableOf(line(1, '/', 'ext4', '/dev/sda1')) }).mount(args[0], args[1], args[2], args[3]);
      expect(runner.pending).toBe(0);
    });

    it('passes sensitive values to the runner for masking', async () => {
      const runner = new ScriptedRunner().expect(['mount', '-t', 'cifs', '-o', 'password=s3cr3t', '--', '//h/s', '/m/t']);
      await new LinuxMounter(runner, { table: tableOf() }).mount('//h/s', '/m/t', 'cifs', ['password=s3cr3t'], ['s3cr3t']);
      expect(runner.calls[0]?.options.secrets).toEqual(['s3cr3t']);
    });

    it('knows its own mount at once, with the type of the bind source', async () => {
      const reads = { count: 0 };
      const table = new MountTable(() => {
        reads.count += 1;
        return Promise.resolve(`${line(1, '/', 'ext4', '/dev/sda1')}\n`);
      });
      const mounter = new LinuxMounter(new ScriptedRunner().expect(['mount', '-o', 'bind', '--', '/srv/a', '/m/t']), { table });
      await mounter.mount('/srv/a', '/m/t', '', ['bind']);
      await expect(mounter.probe('/m/t')).resolves.toEqual({ state: 'mounted' });
      await expect(mounter.isListed('/m/t')).resolves.toBe(true);
      expect(reads.count).toBe(1);
    });
  });

  describe('.unmount', () => {
    it('forces and detaches at once when lazy, without canonicalizing the path', async () => {
      const runner = new ScriptedRunner().expect(['umount', '-c', '-f', '-l', '--', '/m/t']);
      await new LinuxMounter(runner, { table: tableOf() }).unmount('/m/t', true);
      expect(runner.pending).toBe(0);
    });

    it('succeeds when the target is not mounted at all', async () => {
      const runner = new ScriptedRunner().expect(['umount', '-c', '--', '/m/never'], new VolplexError('System', 'umount: not mounted'));
      await expect(new LinuxMounter(runner, { table: tableOf() }).unmount('/m/never', false)).resolves.toBeUndefined();
    });

    it('fails when the mount is still listed', async () => {
      const runner = new ScriptedRunner().expect(['umount', '-c', '--', '/m/t'], new VolplexError('System', 'umount: target is busy'));
      await expect(new LinuxMounter(runner, { table: tableOf(line(2, '/m/t', 'ext4', '/dev/sdb')) }).unmount('/m/t', false)).rejects.toThrow('busy');
    });
  });

  describe('.probe', () => {
    it('reports the real root filesystem as mounted and a plain directory as absent', async () => {
      const mounter = new LinuxMounter(new ScriptedRunner());
      await expect(mounter.probe('/')).resolves.toEqual({ state: 'mounted' });
      await expect(mounter.probe('/usr/share')).resolves.toEqual({ state: 'absent' });
    });

    it('answers a local filesystem from the table alone, without a child', async () => {
      const runner = new ScriptedRunner();
      await expect(new LinuxMounter(runner, { table: tableOf(line(2, '/m/t', 'xfs', '/dev/sdb')) }).probe('/m/t')).resolves.toEqual({ state: 'mounted' });
      expect(runner.calls).toEqual([]);
    });

    it.each([
      { desc: 'a lookup answered "no such file"', outcome: new Error("stat: cannot statx '/m/s3/x': No such file or directory"), expected: { state: 'mounted' } },
      { desc: 'a disconnected FUSE client', outcome: new Error("stat: cannot statx '/m/s3/x': Transport endpoint is not connected"), expected: { state: 'stale', reason: 'Transport endpoint is not connected' } },
      { desc: 'a child that never answers', outcome: 'deadline' as const, expected: { state: 'stale', reason: 'no answer within 5 s' } },
    ])('asks a FUSE mount through a child: $desc', async ({ outcome, expected }) => {
      const runner = new ScriptedRunner().expect(['stat', '--format=%F', '--', PROBE], outcome);
      await expect(new LinuxMounter(runner, { table: tableOf(line(3, '/m/s3', 'fuse.s3fs', 's3fs')) }).probe('/m/s3')).resolves.toEqual(expected);
      expect(runner.pending).toBe(0);
    });
  });

  describe('.inspect', () => {
    it('looks inside a network mount only through a child', async () => {
      const runner = new ScriptedRunner().expect(['stat', '--format=%F', '--', '/m/nfs/team'], { stdout: 'directory\n', stderr: '' });
      await expect(new LinuxMounter(runner, { table: tableOf(line(1, '/', 'ext4', '/dev/sda1'), line(4, '/m/nfs', 'nfs4', 'h:/x')) }).inspect('/m/nfs/team')).resolves.toBe('directory');
      expect(runner.pending).toBe(0);
    });

    it('refuses with Unavailable when the network mount does not answer', async () => {
      const runner = new ScriptedRunner().expect(['stat', '--format=%F', '--', '/m/nfs/team'], 'deadline');
      await expect(new LinuxMounter(runner, { table: tableOf(line(4, '/m/nfs', 'nfs4', 'h:/x')) }).inspect('/m/nfs/team')).rejects.toMatchObject({ kind: 'Unavailable' });
    });
  });
});
