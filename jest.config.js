// Jest runs the TypeScript sources as native ES modules (oidc-provider and openid-client are ESM-only);
// @swc/jest strips types without type-checking (`npm run typecheck` does that).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023', experimental: { keepImportAttributes: true } },
      module: { type: 'es6' },
    }],
  },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Generous: on a busy two-core machine a real sign-in (argon2, several round trips) can take seconds, and a
  // test must not fail because the machine is slow (FerretDB suites get 120 s, test/support/ferretdb-timeout.ts).
  testTimeout: 90000,
  // One FerretDB for the whole run (unless MONGODB_URI names a real MongoDB); its URI reaches workers via env.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  // A worker keeps every ES module graph and transform of every file it ran (jest's ESM registry is per file but
  // V8 does not give the code back), so over the whole suite one worker's heap grew to V8's limit and crashed in
  // the 241st file. A worker whose heap passes this after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '1500MB',
};
