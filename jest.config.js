/** One jest run covers every workspace; type-checking is `npm run typecheck`, so ts-jest only transpiles. */
module.exports = {
  // Shares the host's typed-array constructors so onnxruntime-node output tensors pass its own checks.
  testEnvironment: '<rootDir>/test/support/ort-environment.ts',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/out/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  reporters: [
    '<rootDir>/test/support/progress-reporter.mjs',
    '<rootDir>/test/support/closing-line-reporter.mjs',
  ],
  maxWorkers: 2,
  testTimeout: 30000,
};
