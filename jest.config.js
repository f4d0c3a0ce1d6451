/** Jest: TypeScript through ts-jest (transpile only; `npm run typecheck` does the type checking). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Run apart: on Node 24 through the bundles (npm run test:lambda), and against the packed packages (npm run test:consumer).
  testPathIgnorePatterns: ['/node_modules/', '/test/lambda/', '/test/consumer/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // @middy/core 6 is ESM-only; Jest on Node 20 cannot require ESM, so it is transpiled to CommonJS here.
    '/node_modules/@middy/.+\\.js$': [
      'ts-jest',
      {
        diagnostics: false,
        tsconfig: {
          allowJs: true,
          isolatedModules: true,
          module: 'commonjs',
          moduleResolution: 'node10',
          verbatimModuleSyntax: false,
        },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/capture-output.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
