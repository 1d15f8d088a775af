import { describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { LinuxMounter } from '../../../src/system/linux-mounter.js';
import { ScriptedRunner } from '../../fakes/scripted-runner.js';

describe(LinuxMounter.name, () => {
  describe('.mount', () => {
    it.each([
      { desc: 'a bind mount', args: ['/srv/a', '/m/t', '', ['bind']], argv: ['mount', '-o', 'bind', '--', '/srv/a', '/m/t'] },
      { desc: 'a read-only bind mount', args: ['/srv/a', '/m/t', '', ['bind', 'ro']], argv: ['mount', '-o', 'bind,ro', '--', '/srv/a', '/m/t'] },
      { desc: 'a typed mount', args: ['h:/gv0', '/m/t', 'glusterfs', ['backup-volfile-servers=h2']], argv: ['mount', '-t', 'glusterfs', '-o', 'backup-volfile-servers=h2', '--', 'h:/gv0', '/m/t'] },
      { desc: 'no options', args: ['tmpfs', '/m/t', 'tmpfs', []], argv: ['mount', '-t', 'tmpfs', '--', 'tmpfs', '/m/t'] },
    ] as const)('runs exactly the argv for $desc', async ({ args, argv }) => {
      const runner = new ScriptedRunner().expect(argv);
      await new LinuxMounter(runner).mount(args[0], args[1], args[2], args[3]);
      expect(runner.pending).toBe(0);
    });

    it('passes sensitive values to the runner for masking', async () => {
      const runner = new ScriptedRunner().expect(['mount', '-t', 'cifs', '-o', 'password=s3cr3t', '--', '//h/s', '/m/t']);
      await new LinuxMounter(runner).mount('//h/s', '/m/t', 'cifs', ['password=s3cr3t'], ['s3cr3t']);
      expect(runner.calls[0]?.options.secrets).toEqual(['s3cr3t']);
    });
  });

  describe('.unmount', () => {
    it('forces and detaches at once when lazy', async () => {
      const runner = new ScriptedRunner().expect(['umount', '-f', '-l', '--', '/m/t']);
      await new LinuxMounter(runner).unmount('/m/t', true);
      expect(runner.pending).toBe(0);
    });

    it('succeeds when the target is not mounted at all', async () => {
      const runner = new ScriptedRunner().expect(['umount', '--', '/volplex-test-never-mounted'], new VolplexError('System', 'umount: not mounted'));
      await expect(new LinuxMounter(runner).unmount('/volplex-test-never-mounted', false)).resolves.toBeUndefined();
    });
  });

  describe('.probe', () => {
    it('reports the root filesystem as mounted and a plain directory as absent', async () => {
      const mounter = new LinuxMounter(new ScriptedRunner());
      await expect(mounter.probe('/')).resolves.toBe('mounted');
      await expect(mounter.probe('/usr/share')).resolves.toBe('absent');
    });
  });
});
