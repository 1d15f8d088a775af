// Tests run compiled (dist/test) in jest's ESM mode: `node --experimental-vm-modules`.
export default {
  testEnvironment: 'node',
  // prom-client's default metrics observe the event loop and GC from globals that must outlive a test file.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 60_000,
  maxWorkers: 1,
};
