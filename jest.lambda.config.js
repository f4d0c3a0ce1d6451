/**
 * `npm run test:lambda` (scripts/test-lambda.sh): on Lambda's Node.js major, the functions' suites (test/functions/,
 * every handler loaded from the prebuilt bundles of @token-vault/cdk, as Lambda loads them; the core's unit suites
 * from the sources) and the bundle checks of test/lambda/.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['**/test/functions/**/*.test.ts', '**/test/lambda/**/*.test.ts'],
};
