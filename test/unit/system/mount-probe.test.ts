import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from '@jest/globals';

import { ExecaCommandRunner } from '../../../src/system/execa-command-runner.js';
import { MountProbe } from '../../../src/system/mount-probe.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

describe(MountProbe.name, () => {
  const root = makeTempDir('probe');
  const probe = new MountProbe(new ExecaCommandRunner(5, join(root, 'tmp')), 5000);
  afterAll(() => { removeTempDir(root); });

  describe('.processesNaming', () => {
    it('finds the processes that have the target as a whole argument, read by a child, and no others', async () => {
      const target = join(root, `mnt-${process.pid}`);
      const start = (argument: string): ReturnType<typeof spawn> => spawn('sh', ['-c', 'sleep 30', 'sh', argument], { stdio: 'ignore' });
      const naming = start(target);
      const below = start(`${target}/sub`);
      const prefixed = start(`x${target}`);
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await probe.processesNaming(target)).toEqual([naming.pid]);
        expect(await probe.processesNaming(join(root, 'nobody-names-this'))).toEqual([]);
      } finally {
        [naming, below, prefixed].forEach((child) => child.kill('SIGKILL'));
      }
    });
  });
});
