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
};
