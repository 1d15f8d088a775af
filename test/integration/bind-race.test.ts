import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../src/core/errors.js';
import { LinuxMounter } from '../../src/system/linux-mounter.js';
import { readMountinfo } from '../../src/system/mountinfo.js';
import { createRealHarness, type Harness } from '../support/harness.js';

// Mount attempts run until the check after the bind has caught the swap a few times (about
// one attempt in 30 here), bounded in count and time.
const WANTED_CATCHES = 3;
const MAX_ATTEMPTS = 1500;
const TIME_LIMIT_MS = 40_000;

// Turns `path` into a symlink to `outside` and back as fast as it can, by renames alone: path is a
// directory, then missing, then the symlink, then missing, then the directory again.
const SWAPPER = `
const { renameSync } = require('node:fs');
const [path, outside] = process.argv.slice(1);
const away = path + '.away', link = path + '.link';
require('node:fs').symlinkSync(outside, link);
for (;;) { renameSync(path, away); renameSync(link, path); renameSync(path, link); renameSync(away, path); }
`;

interface Outcomes {
  mounted: number;
  refusedAtCheck: number;
  caughtAfterBind: number;
  otherFailures: string[];
}

describe('local volumes against a real symlink-swap race (root, real bind mounts)', () => {
  let harness: Harness<LinuxMounter>;
  let swapper: ChildProcess | undefined;

  beforeEach(() => {
    harness = createRealHarness();
  });

  afterEach(async () => {
    if (swapper !== undefined && swapper.exitCode === null) {
      const exited = new Promise((resolve) => swapper?.once('exit', resolve));
      swapper.kill('SIGKILL');
      await exited;
    }
    expect((await readMountinfo()).filter((entry) => entry.mountPoint.startsWith(`${harness.root}/`))).toEqual([]);
    harness.close();
  });

  // `swapped` is the path component that turns into a symlink; `device` is what the volume names.
  it.each([
    { desc: 'the device itself is swapped', swapped: 'sw', device: 'sw' },
    { desc: 'a directory above the device is swapped', swapped: 'parent', device: 'parent/data' },
  ])('never mounts the outside directory when $desc', async ({ swapped, device }) => {
    const devices = join(harness.root, 'devices');
    const outside = join(harness.root, 'outside');
    mkdirSync(join(devices, device), { recursive: true });
    mkdirSync(join(outside, 'data'), { recursive: true });
    writeFileSync(join(devices, device, 'inside-marker'), 'inside');
    writeFileSync(join(outside, 'outside-marker'), 'outside');
    writeFileSync(join(outside, 'data', 'outside-marker'), 'outside');
    const inside = statSync(join(devices, device));
    await harness.service.create('raced', { device: join(devices, device) });

    swapper = spawn(process.execPath, ['-e', SWAPPER, join(devices, swapped), outside], { stdio: 'ignore' });
    const outcomes: Outcomes = { mounted: 0, refusedAtCheck: 0, caughtAfterBind: 0, otherFailures: [] };
    const started = Date.now();
    const enough = (): boolean => outcomes.caughtAfterBind >= WANTED_CATCHES && outcomes.mounted >= WANTED_CATCHES;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && Date.now() - started < TIME_LIMIT_MS && !enough(); attempt += 1) {
      const result = await harness.service.mount('raced', `id-${attempt}`).then(
        (mountpoint) => mountpoint,
        (error: unknown) => error as Error,
      );
      if (result instanceof Error) {
        expect(VolplexError.is(result)).toBe(true);
        expect(harness.store.usage('raced').references).toBe(0);
        if (result.message.includes('changed while it was being mounted')) {
          outcomes.caughtAfterBind += 1;
        } else if (/outside the allowed roots|does not exist|changed while it was being checked|symbolic links|not a directory/.test(result.message)) {
          outcomes.refusedAtCheck += 1;
        } else {
          // mount(8) saw the path missing for a moment: a failed mount, nothing bound.
          outcomes.otherFailures.push(result.message);
        }
        continue;
      }
      outcomes.mounted += 1;
      // The one property that matters: what is mounted is the checked directory, never the outside one.
      const shown = statSync(result);
      expect({ dev: shown.dev, ino: shown.ino }).toEqual({ dev: inside.dev, ino: inside.ino });
      expect(readdirSync(result)).toEqual(['inside-marker']);
      await harness.service.unmount('raced', `id-${attempt}`);
    }
    process.stdout.write(`bind race (${device}): ${JSON.stringify({ ...outcomes, otherFailures: outcomes.otherFailures.length, ms: Date.now() - started })}\n`);
    expect(outcomes.otherFailures.every((message) => /exited with status|does not exist/.test(message))).toBe(true);
    expect(outcomes.mounted).toBeGreaterThan(0);
    // The race really happened: the check after the bind caught a swap at least once.
    expect(outcomes.caughtAfterBind).toBeGreaterThan(0);
  });
});
