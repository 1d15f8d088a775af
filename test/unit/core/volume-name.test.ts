import { describe, expect, it } from '@jest/globals';

import { assertValidVolumeName, isValidVolumeName } from '../../../src/core/volume-name.js';

describe(isValidVolumeName.name, () => {
  it.each(['x', 'data', 'my_project_db', 'a1', 'v.2-x', 'f'.repeat(64), 'A'.repeat(255)])('accepts %s', (name) => {
    expect(isValidVolumeName(name)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a slash', 'a/b'],
    ['dot dot', '..'],
    ['a path climbing out', '../../etc'],
    ['a leading dot', '.hidden'],
    ['a NUL byte', 'ab\0cd'],
    ['a space', 'a b'],
    ['a newline', 'ab\n'],
    ['300 characters', 'x'.repeat(300)],
    ['non-ASCII', 'données'],
  ])('rejects %s', (_desc, name) => {
    expect(isValidVolumeName(name)).toBe(false);
  });

  it('explains the rule in the error', () => {
    expect(() => { assertValidVolumeName('a/b'); }).toThrow('invalid volume name "a/b": use 1 to 255 characters from [a-zA-Z0-9_.-], starting with a letter or digit');
  });
});
