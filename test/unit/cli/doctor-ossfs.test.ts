import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { checkOssfs } from '../../../src/cli/doctor-ossfs.js';
import { makeTempDir, removeTempDir } from '../../support/harness.js';

describe(checkOssfs.name, () => {
  let dir: string;
  const program = (name: string, script: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  beforeAll(() => {
    dir = makeTempDir('doctor-ossfs');
  });

  afterAll(() => {
    removeTempDir(dir);
  });

  it.each<{ desc: string; binary: () => string; level: string; text: (binary: string) => string }>([
    { desc: 'names the version of an ossfs that runs', binary: () => program('ossfs', 'echo "Alibaba Cloud Open Storage Service File System V1.91.10 (commit:unknown) with OpenSSL"'), level: 'ok', text: (binary) => `ossfs 1.91.10 is ${binary}` },
    { desc: '[Error] says where to get one when there is none', binary: () => 'volplex-no-such-ossfs', level: 'FAIL', text: () => "volplex-no-such-ossfs is not installed: get Aliyun's ossfs release package for your distribution (https://github.com/aliyun/ossfs/releases), or build it from its source with packaging/build-ossfs.sh; or point backends.ossfs.binary at one" },
    { desc: '[Error] says so when it cannot run (a library missing)', binary: () => program('broken-ossfs', 'echo "ossfs: error while loading shared libraries: libcurl.so.4: cannot open shared object file" >&2; exit 127'), level: 'FAIL', text: (binary) => `${binary} is installed but does not run (\`${binary} --version\` exited with status 127: ossfs: error while loading shared libraries: libcurl.so.4: cannot open shared object file): is a library it needs missing (libfuse2, libcurl4, libxml2, libssl3)?` },
    { desc: 'tells another client (the s3fs stand-in) from ossfs', binary: () => program('stand-in', 'echo "Amazon Simple Storage Service File System V1.90 (commit:unknown) with GnuTLS(gcrypt)"'), level: 'info', text: (binary) => `${binary} is not Aliyun's ossfs by its --version ("Amazon Simple Storage Service File System V1.90 (commit:unknown) with GnuTLS(gcrypt)"); for OSS, get Aliyun's ossfs release package` },
  ])('$desc', async ({ binary, level, text }) => {
    const path = binary();
    const finding = await checkOssfs(path);
    expect(finding.level).toBe(level);
    expect(finding.area).toBe('ossfs');
    expect(finding.text).toContain(text(path));
  });
});
