/** A value test/run-all.sh exported for a real service; a test without it fails, never skips. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests through \`npm test\`, which starts the real services`);
  }
  return value;
}

export function glusterService(): { server: string; volume: string; secondVolume: string; bricks: string } {
  return {
    server: requiredEnv('VOLPLEX_TEST_GLUSTER_SERVER'),
    volume: requiredEnv('VOLPLEX_TEST_GLUSTER_VOLUME'),
    secondVolume: requiredEnv('VOLPLEX_TEST_GLUSTER_SECOND_VOLUME'),
    bricks: requiredEnv('VOLPLEX_TEST_GLUSTER_BRICKS'),
  };
}

export function s3Service(): { url: string; bucket: string; secondBucket: string; data: string; keyId: string; keySecret: string } {
  return {
    url: requiredEnv('VOLPLEX_TEST_S3_URL'),
    bucket: requiredEnv('VOLPLEX_TEST_S3_BUCKET'),
    secondBucket: requiredEnv('VOLPLEX_TEST_S3_SECOND_BUCKET'),
    data: requiredEnv('VOLPLEX_TEST_S3_DATA'),
    keyId: requiredEnv('VOLPLEX_TEST_S3_KEY_ID'),
    keySecret: requiredEnv('VOLPLEX_TEST_S3_KEY_SECRET'),
  };
}

export function nfsService(): { server: string; share: string } {
  return { server: requiredEnv('VOLPLEX_TEST_NFS_SERVER'), share: requiredEnv('VOLPLEX_TEST_NFS_SHARE') };
}

/** The OSS dialect front before the test S3 server (test/services/oss-dialect-proxy.ts), with the one key it accepts. */
export function ossService(): { url: string; pathStyleUrl: string; keyId: string; keySecret: string } {
  return {
    url: requiredEnv('VOLPLEX_TEST_OSS_URL'),
    pathStyleUrl: requiredEnv('VOLPLEX_TEST_OSS_PATH_STYLE_URL'),
    keyId: requiredEnv('VOLPLEX_TEST_OSS_KEY_ID'),
    keySecret: requiredEnv('VOLPLEX_TEST_OSS_KEY_SECRET'),
  };
}

/**
 * Aliyun's real ossfs as test/services/build-ossfs.sh built it, or why there is none: without
 * its source tarball the real-ossfs tests are skipped (by name). A failed build fails them.
 */
export function realOssfs(): { readonly binary: string; readonly missing?: undefined } | { readonly binary?: undefined; readonly missing: string } {
  const failed = process.env.VOLPLEX_TEST_OSSFS_BUILD_FAILED;
  if (failed !== undefined && failed !== '') {
    throw new Error(`building ossfs from its source failed: ${failed}`);
  }
  const missing = process.env.VOLPLEX_TEST_OSSFS_MISSING;
  return missing !== undefined && missing !== '' ? { missing } : { binary: requiredEnv('VOLPLEX_TEST_OSSFS_BINARY') };
}
