// Tests run compiled (dist/test) in jest's ESM mode: `node --experimental-vm-modules`.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 60_000,
  maxWorkers: 1,
};
