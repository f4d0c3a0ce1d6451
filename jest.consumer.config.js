/**
 * `npm run test:consumer`: the packages as a consumer gets them (npm pack, a fresh install in a temp folder, the
 * Python wheel from jsii-pacmak in a virtual environment). `npm run build` first; the npm script makes the wheel.
 */
const base = require('./jest.config.js');

// These suites need the emulator (the caller library against the local stack), not Keycloak.
process.env.TOKEN_VAULT_TEST_KEYCLOAK = 'off';

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['**/test/consumer/**/*.test.ts'],
  // Installs and synths: give them time.
  testTimeout: 900000,
};
