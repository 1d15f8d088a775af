import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { makeTempDir, removeTempDir } from '../../support/harness.js';

const SCRIPT = fileURLToPath(new URL('../../../../packaging/rootfs/debian-mirror.sh', import.meta.url));

describe('packaging/rootfs/debian-mirror.sh', () => {
  let apt: string;

  const sources = (files: Record<string, string>): void => {
    mkdirSync(join(apt, 'sources.list.d'), { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(apt, name), text);
    }
  };
  const run = (env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } =>
    spawnSync('bash', [SCRIPT, apt], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });

  beforeEach(() => { apt = makeTempDir('apt'); });
  afterEach(() => { removeTempDir(apt); });

  it.each<{ desc: string; files: Record<string, string>; expected: string }>([
    {
      desc: 'a deb822 file: the main suite, past comments, deb-src, a disabled stanza and security',
      files: {
        'sources.list.d/debian.sources': [
          'Types: deb',
          '# http://snapshot.example.invalid/archive/debian/20250520T000000Z',
          'URIs: http://security.example.invalid/debian-security',
          'Suites: bookworm-security',
          '',
          'Types: deb-src',
          'URIs: http://src.example.invalid/debian',
          'Suites: bookworm',
          '',
          'Enabled: no',
          'Types: deb',
          'URIs: http://off.example.invalid/debian',
          'Suites: bookworm',
          '',
          'Types: deb',
          'URIs: http://mirror.example.invalid/debian',
          'Suites: bookworm bookworm-updates',
          'Components: main',
          '',
        ].join('\n'),
      },
      expected: 'http://mirror.example.invalid/debian',
    },
    {
      desc: 'the one-line sources.list, with options in brackets',
      files: { 'sources.list': '# a comment\ndeb-src http://src.example.invalid/debian bookworm main\ndeb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://one.example.invalid/debian bookworm main\n' },
      expected: 'http://one.example.invalid/debian',
    },
    {
      desc: 'a .list file in sources.list.d when the rest names only security',
      files: { 'sources.list': 'deb http://security.example.invalid/debian-security bookworm-security main\n', 'sources.list.d/mirror.list': 'deb http://list.example.invalid/debian bookworm main\n' },
      expected: 'http://list.example.invalid/debian',
    },
  ])('reads $desc', ({ files, expected }) => {
    sources(files);
    expect(run()).toEqual(expect.objectContaining({ status: 0, stdout: `${expected}\n` }));
  });

  it('takes VOLPLEX_DEBIAN_MIRROR over the host\'s sources', () => {
    sources({ 'sources.list': 'deb http://one.example.invalid/debian bookworm main\n' });
    expect(run({ VOLPLEX_DEBIAN_MIRROR: 'http://own.example.invalid/debian' }).stdout).toBe('http://own.example.invalid/debian\n');
  });

  it('fails naming the files it read and the override when no source names a mirror', () => {
    sources({ 'sources.list.d/other.sources.disabled': 'Types: deb\nURIs: http://x.example.invalid/debian\nSuites: bookworm\n' });
    const result = run();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no Debian mirror in');
    expect(result.stderr).toContain('set VOLPLEX_DEBIAN_MIRROR');
  });
});
