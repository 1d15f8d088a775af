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
