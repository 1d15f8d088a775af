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
