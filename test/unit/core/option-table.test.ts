import { describe, expect, it } from '@jest/globals';

import { VolplexError } from '../../../src/core/errors.js';
import { ABSOLUTE_PATH, ACCESS_KEY_SECRET, booleanOption, HOST, HOST_LIST, HTTP_URL, integer, oneOf, SUBDIR, word } from '../../../src/core/option-checks.js';
import { resolveOptions, type OptionTable } from '../../../src/core/option-table.js';

const table: OptionTable = [
  { name: 'volume', description: 'gluster volume name', required: true, grammar: word(/^[a-z0-9]+$/, 'a name of [a-z0-9]', 64) },
  { name: 'path', description: 'a directory', grammar: ABSOLUTE_PATH },
  { name: 'subdir', description: 'below the mount', grammar: SUBDIR },
  { name: 'version', description: 'protocol', grammar: oneOf('3', '4.1') },
  { name: 'port', description: 'TCP port', grammar: integer(1, 65535), joined: true },
  { name: 'host', description: 'a server', grammar: HOST },
  { name: 'servers', description: 'servers', grammar: HOST_LIST },
  { name: 'url', description: 'endpoint', grammar: HTTP_URL, joined: true },
  { name: 'secret', description: 'access key secret', sensitive: true, grammar: ACCESS_KEY_SECRET },
  booleanOption('ro', 'read-only', false),
];

interface Row {
  readonly desc: string;
  readonly given: Record<string, string>;
}

const messageOf = (given: Record<string, string>): string => {
  try {
    resolveOptions('demo', table, given);
  } catch (error) {
    expect(VolplexError.is(error, 'InvalidParameter')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('resolveOptions accepted the options');
};

describe(resolveOptions.name, () => {
  describe.each<Row & { expected: Record<string, string> }>([
    { desc: 'applies defaults and normalizes booleans', given: { volume: 'gv0', ro: 'YES' }, expected: { volume: 'gv0', ro: 'true' } },
    { desc: 'keeps valid values', given: { volume: 'gv0', path: '/srv/a b', subdir: 'a/b', version: '4.1', port: '2049' }, expected: { volume: 'gv0', path: '/srv/a b', subdir: 'a/b', version: '4.1', port: '2049', ro: 'false' } },
    { desc: 'keeps URLs with a port, a path and an IPv6 host', given: { volume: 'v', url: 'https://[::1]:9000/s3/' }, expected: { volume: 'v', url: 'https://[::1]:9000/s3/', ro: 'false' } },
    { desc: 'keeps unicode in paths that are never joined', given: { volume: 'v', path: '/srv/données/日本' }, expected: { volume: 'v', path: '/srv/données/日本', ro: 'false' } },
  ])('having valid options: $desc', ({ given, expected }) => {
    it('returns the resolved options', () => {
      expect(resolveOptions('demo', table, given)).toEqual(expected);
    });
  });

  describe.each<Row & { expectedErr: string }>([
    { desc: '[Error] unknown option lists the valid ones', given: { volume: 'gv0', bukcet: 'x' }, expectedErr: 'unknown option "bukcet" for type demo; valid: volume, path, subdir, version, port, host, servers, url, secret, ro' },
    { desc: '[Error] unknown option with a control character is escaped', given: { volume: 'gv0', 'a\u001b[2Jb': 'x' }, expectedErr: 'unknown option "a\\u001b[2Jb" for type demo' },
    { desc: '[Error] missing required option', given: {}, expectedErr: 'option "volume" is required for type demo: gluster volume name' },
    { desc: '[Error] relative path', given: { volume: 'v', path: 'srv' }, expectedErr: 'option "path" for type demo must be an absolute path (got "srv")' },
    { desc: '[Error] subdir escaping with ..', given: { volume: 'v', subdir: 'a/../../etc' }, expectedErr: 'option "subdir" for type demo must not contain ".."' },
    { desc: '[Error] absolute subdir', given: { volume: 'v', subdir: '/etc' }, expectedErr: 'option "subdir" for type demo must be a relative path' },
    { desc: '[Error] value outside a set', given: { volume: 'v', version: '2' }, expectedErr: 'option "version" for type demo must be one of 3, 4.1 (got "2")' },
    { desc: '[Error] number out of range', given: { volume: 'v', port: '70000' }, expectedErr: 'must be a whole number from 1 to 65535' },
    { desc: '[Error] bad boolean', given: { volume: 'v', ro: 'maybe' }, expectedErr: 'option "ro" for type demo must be true or false (got "maybe")' },
    { desc: '[Error] empty value', given: { volume: 'v', host: '' }, expectedErr: 'option "host" for type demo must not be empty; valid: a host name or IPv4 address' },
    { desc: '[Error] a comma smuggling a second mount option into a URL', given: { volume: 'v', url: 'http://h,use_cache=/any/dir' }, expectedErr: 'option "url" for type demo must not contain "," (character 9): the value goes into a comma-separated mount option list; valid: an http:// or https:// URL' },
    { desc: '[Error] "=" in a joined value', given: { volume: 'v', url: 'http://h/a=b' }, expectedErr: 'option "url" for type demo must not contain "=" (character 11): the value goes into a comma-separated mount option list' },
    { desc: '[Error] a query in a URL', given: { volume: 'v', url: 'http://h/?a' }, expectedErr: 'option "url" for type demo must not contain "?" (character 10); valid: an http:// or https:// URL' },
    { desc: '[Error] user info in a URL', given: { volume: 'v', url: 'http://user@h' }, expectedErr: 'must not contain "@" (character 12)' },
    { desc: '[Error] a comma after digits in a joined number', given: { volume: 'v', port: '2049,nolock' }, expectedErr: 'option "port" for type demo must not contain "," (character 5): the value goes into a comma-separated mount option list' },
    { desc: '[Error] a space in a joined value', given: { volume: 'v', url: 'http://h x' }, expectedErr: 'must not contain " " (character 9): the value goes into a comma-separated mount option list' },
    { desc: '[Error] a newline, shown escaped', given: { volume: 'v', path: '/srv/a\nb' }, expectedErr: 'option "path" for type demo must not contain "\\u000a" (character 7); valid: an absolute path of printable characters (got "/srv/a\\u000ab")' },
    { desc: '[Error] a NUL byte, shown escaped', given: { volume: 'v', subdir: 'a\u0000b' }, expectedErr: 'must not contain "\\u0000" (character 2)' },
    { desc: '[Error] a right-to-left override, shown escaped', given: { volume: 'v', path: '/srv/\u202eexe.txt' }, expectedErr: 'must not contain "\\u202e" (character 6)' },
    { desc: '[Error] a lone surrogate, shown escaped', given: { volume: 'v', path: '/srv/\ud800' }, expectedErr: 'must not contain "\\ud800" (character 6)' },
    { desc: '[Error] a host starting with "-" (an argv option)', given: { volume: 'v', host: '-oProxyCommand' }, expectedErr: 'option "host" for type demo must be a host name or IPv4 address' },
    { desc: '[Error] a host list naming an option', given: { volume: 'v', servers: 'h1,-x' }, expectedErr: 'option "servers" for type demo names "-x", which is not a host name or IPv4 address' },
    { desc: '[Error] a name longer than NAME_MAX', given: { volume: 'v', path: `/srv/${'n'.repeat(256)}` }, expectedErr: 'must not have a name longer than 255 bytes' },
    { desc: '[Error] a path longer than PATH_MAX', given: { volume: 'v', path: `/${'d/'.repeat(2500)}` }, expectedErr: 'option "path" for type demo must be at most 4095 characters long (it has 5001)' },
  ])('$desc', ({ given, expectedErr }) => {
    it('throws InvalidParameter naming the option, the character at fault and what is valid', () => {
      expect(messageOf(given)).toContain(expectedErr);
    });
  });

  it('cuts a huge value in the message with an ellipsis', () => {
    const message = messageOf({ volume: 'v', version: 'x'.repeat(100_000) });
    expect(message.length).toBeLessThan(400);
    expect(message).toContain(`(got "${'x'.repeat(200)}…")`);
  });

  describe.each<Row>([
    { desc: 'a NUL byte', given: { volume: 'v', secret: 'abc\u0000def' } },
    { desc: 'a character outside ASCII', given: { volume: 'v', secret: 'naïve-secret' } },
    { desc: 'a newline', given: { volume: 'v', secret: 'abc\notherbucket:id:key' } },
    { desc: 'a space', given: { volume: 'v', secret: 'super secret' } },
  ])('having a sensitive option with $desc', ({ given }) => {
    it('names the option and what is valid, and never shows the value or a character of it', () => {
      const message = messageOf(given);
      expect(message).toBe('option "secret" for type demo is not valid (the value is sensitive and not shown); valid: printable ASCII without spaces');
    });
  });
});
