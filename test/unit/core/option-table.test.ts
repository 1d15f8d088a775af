import { describe, expect, it } from '@jest/globals';

import { booleanOption, isAbsolutePath, isInteger, isOneOf, isSubdir } from '../../../src/core/option-checks.js';
import { resolveOptions, type OptionTable } from '../../../src/core/option-table.js';

const table: OptionTable = [
  { name: 'volume', description: 'gluster volume name', required: true },
  { name: 'path', description: 'a directory', check: isAbsolutePath },
  { name: 'subdir', description: 'below the mount', check: isSubdir },
  { name: 'version', description: 'protocol', check: isOneOf('3', '4.1') },
  { name: 'port', description: 'TCP port', check: isInteger(1, 65535) },
  { name: 'secret', description: 'access key secret', sensitive: true, check: (value) => (value.length >= 8 ? undefined : 'must be at least 8 characters') },
  booleanOption('ro', 'read-only', false),
];

interface Row {
  readonly desc: string;
  readonly given: Record<string, string>;
}

describe(resolveOptions.name, () => {
  describe.each<Row & { expected: Record<string, string> }>([
    { desc: 'applies defaults and normalizes booleans', given: { volume: 'gv0', ro: 'YES' }, expected: { volume: 'gv0', ro: 'true' } },
    { desc: 'keeps valid values', given: { volume: 'gv0', path: '/srv/a', subdir: 'a/b', version: '4.1', port: '2049' }, expected: { volume: 'gv0', path: '/srv/a', subdir: 'a/b', version: '4.1', port: '2049', ro: 'false' } },
  ])('having valid options: $desc', ({ given, expected }) => {
    it('returns the resolved options', () => {
      expect(resolveOptions('demo', table, given)).toEqual(expected);
    });
  });

  describe.each<Row & { expectedErr: string }>([
    { desc: '[Error] unknown option lists the valid ones', given: { volume: 'gv0', bukcet: 'x' }, expectedErr: 'unknown option "bukcet" for type demo; valid: volume, path, subdir, version, port, secret, ro' },
    { desc: '[Error] missing required option', given: {}, expectedErr: 'option "volume" is required for type demo: gluster volume name' },
    { desc: '[Error] relative path', given: { volume: 'v', path: 'srv' }, expectedErr: 'option "path" for type demo must be an absolute path (got "srv")' },
    { desc: '[Error] subdir escaping with ..', given: { volume: 'v', subdir: 'a/../../etc' }, expectedErr: 'option "subdir" for type demo must not contain ".."' },
    { desc: '[Error] absolute subdir', given: { volume: 'v', subdir: '/etc' }, expectedErr: 'option "subdir" for type demo must be a relative path' },
    { desc: '[Error] value outside a set', given: { volume: 'v', version: '2' }, expectedErr: 'option "version" for type demo must be one of 3, 4.1 (got "2")' },
    { desc: '[Error] number out of range', given: { volume: 'v', port: '70000' }, expectedErr: 'must be a whole number from 1 to 65535' },
    { desc: '[Error] bad boolean', given: { volume: 'v', ro: 'maybe' }, expectedErr: 'option "ro" for type demo must be true or false (got "maybe")' },
  ])('$desc', ({ given, expectedErr }) => {
    it('throws InvalidParameter naming the option', () => {
      expect(() => resolveOptions('demo', table, given)).toThrow(expectedErr);
    });
  });

  describe('having a sensitive option with a bad value', () => {
    it('does not echo the value', () => {
      let message = '';
      try {
        resolveOptions('demo', table, { volume: 'v', secret: 'short' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe('option "secret" for type demo must be at least 8 characters');
      expect(message).not.toContain('short');
    });
  });
});
