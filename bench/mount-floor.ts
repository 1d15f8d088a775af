import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { execa } from 'execa';

/**
 * The floor for a bind Mount and Unmount: a minimal node process that spawns the bare
 * `mount --bind` and `umount` with execa, `count` of each, `concurrency` at a time. Prints
 * its own CPU time (children excluded, as for the daemon) per mount and per umount, as JSON.
 */
const [dir = '/tmp/volplex-floor', countText = '200', concurrencyText = '16'] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const pairs = Array.from({ length: count }, (_, index) => ({ source: join(dir, `src-${index}`), target: join(dir, `tgt-${index}`) }));
pairs.forEach(({ source, target }) => {
  mkdirSync(source, { recursive: true });
  mkdirSync(target, { recursive: true });
});

async function phase(run: (pair: { source: string; target: string }) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let pair = pairs[next++]; pair !== undefined; pair = pairs[next++]) {
        await run(pair);
      }
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

const mountMicros = await phase(({ source, target }) => execa('mount', ['--bind', source, target]));
const umountMicros = await phase(({ target }) => execa('umount', [target]));
process.stdout.write(`${JSON.stringify({ mountMicros, umountMicros })}\n`);
