/** jest 30 + ts-jest in ESM mode (package.json "test" sets --experimental-vm-modules). */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  // The server's tests and each SDK package's own (packages/<name>/test/).
  roots: ['<rootDir>/test', '<rootDir>/packages'],
  testMatch: ['**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist/'],
  moduleNameMapper: {
    // The SDK packages run from their source, as tsconfig.json's paths say.
    '^@baton/protocol$': '<rootDir>/src/protocol/index.ts',
    '^@baton/resource-server/express$':
      '<rootDir>/packages/resource-server/src/adapters/express.ts',
    '^@baton/mcp/express$': '<rootDir>/packages/mcp/src/adapters/express.ts',
    '^@baton/(agent|resource-server|mcp)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: { ignoreCodes: [151001] } }],
  },
  // Fails the run if its tests left keys on the shared Redis (test/support/global-teardown.ts).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
