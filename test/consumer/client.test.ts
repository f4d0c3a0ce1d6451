/**
 * @token-vault/client as a user installs it: `npm pack`, then a scratch Node project that installs only that
 * tarball (and so @aws-sdk/client-lambda from the registry), and calls getAccessToken and apiRequest against the
 * local stack, once through require() and once through import.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_CREDENTIALS } from '../../local/aws-clients';
import {
  connectUser,
  countingLambda,
  startClientStack,
  startResourceServer,
  type ClientStack,
  type ResourceServer,
} from '../client/helpers';
import { consumerEnv, npmPack, pinnedVersion, run, runAsync, scratchDir, tarballFiles } from './support';

let dir: string;
let tarball: string;
let stack: ClientStack;
let api: ResourceServer;

beforeAll(async () => {
  dir = scratchDir('client-consumer');
  tarball = npmPack('@token-vault/client', join(dir, 'tarballs'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'client-consumer', private: true, version: '1.0.0' }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir });
  stack = await startClientStack();
  api = await startResourceServer(stack.stack.devProvider!.introspectionUrl, stack.clientSecret);
  const lambda = countingLambda(stack.stack.baseUrl);
  try {
    await connectUser(stack.stack, lambda.client, 'consumer-cjs');
    await connectUser(stack.stack, lambda.client, 'consumer-esm');
  } finally {
    lambda.client.destroy();
  }
}, 600_000);

afterAll(async () => {
  await api?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('packs lib/ (CommonJS, ESM, declarations) and the README, no sources', () => {
  const files = tarballFiles(tarball);
  expect(files).toEqual(
    expect.arrayContaining([
      'package.json',
      'README.md',
      'lib/index.cjs',
      'lib/index.mjs',
      'lib/index.d.ts',
      'lib/contract.cjs',
      'lib/contract.mjs',
      'lib/contract.d.ts',
      'lib/retry-after.cjs',
      'lib/retry-after.mjs',
      'lib/retry-after.d.ts',
    ]),
  );
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
});

it('installs with @aws-sdk/client-lambda as its only dependency (no CDK)', () => {
  const tree = run('npm', ['ls', '--all', '--parseable'], { cwd: dir }).stdout;
  expect(tree).toContain('@token-vault/client');
  expect(tree).toContain('@aws-sdk/client-lambda');
  expect(tree).not.toMatch(/aws-cdk-lib|[/\\]constructs|@token-vault[/\\]cdk|zod/);
});

const USE = (kind: 'cjs' | 'mjs'): string => `
${kind === 'cjs' ? "const { TokenVaultClient, NotConnectedError } = require('@token-vault/client');\nconst { LambdaClient } = require('@aws-sdk/client-lambda');\nconst { createHash } = require('node:crypto');" : "import { TokenVaultClient, NotConnectedError } from '@token-vault/client';\nimport { LambdaClient } from '@aws-sdk/client-lambda';\nimport { createHash } from 'node:crypto';"}
const sha = (v) => createHash('sha256').update(v).digest('hex');
const lambda = new LambdaClient({ endpoint: process.env.VAULT_URL, region: 'us-east-1', credentials: { accessKeyId: process.env.KEY_ID, secretAccessKey: process.env.SECRET } });
const vault = new TokenVaultClient({ lambda, apiBaseUrl: process.env.API_URL });
const out = {};
const token = await vault.getAccessToken(process.env.USER_ID);
out.token = { sha: sha(token.accessToken), tokenType: token.tokenType, valid: Date.parse(token.expiresAt) > Date.now() };
const res = await vault.apiRequest(process.env.USER_ID, '/me');
out.api = { status: res.status, body: await res.json() };
try { await vault.getAccessToken('never-connected'); out.stranger = 'token'; } catch (e) { out.stranger = e instanceof NotConnectedError ? e.code : String(e); }
lambda.destroy();
process.stdout.write(JSON.stringify(out) + '\\n');
`;

it.each([
  ['cjs', 'consumer-cjs'],
  ['mjs', 'consumer-esm'],
] as const)('works from %s: getAccessToken, apiRequest with the Bearer token, typed errors', async (kind, userId) => {
  const file = join(dir, `use.${kind}`);
  writeFileSync(
    file,
    kind === 'cjs' ? `(async () => {${USE(kind)}})().catch((e) => { console.error(e); process.exit(1); });` : USE(kind),
  );
  // Asynchronously: the local stack that answers the child runs in this process.
  const stdout = await runAsync(process.execPath, [file], {
    cwd: dir,
    env: consumerEnv({
      VAULT_URL: stack.stack.baseUrl,
      API_URL: api.url,
      USER_ID: userId,
      KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      SECRET: EMULATOR_CREDENTIALS.secretAccessKey,
    }),
  });
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
    token: { sha: string; tokenType: string; valid: boolean };
    api: { status: number; body: { sub: string } };
    stranger: string;
  };
  expect(out.token).toEqual({ sha: expect.stringMatching(/^[0-9a-f]{64}$/), tokenType: 'Bearer', valid: true });
  expect(out.api).toEqual({ status: 200, body: expect.objectContaining({ sub: userId }) });
  expect(out.stranger).toBe('not_connected');
  // The resource server saw the same token the client got.
  expect(api.hits.some((hit) => hit.path === '/v1/me' && hit.tokenHash === out.token.sha)).toBe(true);
});

it('gives TypeScript users the contract types from both entry points', () => {
  writeFileSync(
    join(dir, 'typed.ts'),
    `import { TokenVaultClient, type TokenAnswer, type ErrorCode } from '@token-vault/client';
import { ERROR_CODES, type TokenFetchRequest } from '@token-vault/client/contract';
const request: TokenFetchRequest = { userId: 'u', minValiditySeconds: 60 };
const code: ErrorCode = ERROR_CODES[0];
export async function f(client: TokenVaultClient): Promise<TokenAnswer> { void request; void code; return client.getAccessToken('u'); }
`,
  );
  // A TypeScript Lambda project has Node's types (the SDK's declarations need them).
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--save-dev',
      `@types/node@${pinnedVersion('@types/node')}`,
    ],
    { cwd: dir },
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['typed.ts'],
    }),
  );
  const tsc = join(__dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
  run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir });
});
