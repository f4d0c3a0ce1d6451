/**
 * `npm run test:lambda` (scripts/test-lambda.sh): on Lambda's Node.js major, the lifecycle suite through the prebuilt
 * bundles of @token-vault/cdk (as Lambda loads them) and the bundle checks of test/lambda/.
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['**/test/functions/lifecycle.test.ts', '**/test/lambda/**/*.test.ts'],
};
