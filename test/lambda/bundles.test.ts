/**
 * The functions as @token-vault/cdk ships them (packages/cdk/assets), on Lambda's Node.js major (`npm run
 * test:lambda` runs this file on Node 24): each bundle is a self-contained folder, and it runs from a folder of its
 * own, with no node_modules anywhere above it (as in /var/task), when the AWS SDK's default credential chain has to
 * go past the environment variables: the chain then loads the shared-config provider with import(), which must be
 * inside the bundle (Lambda's own SDK is not reachable from an ESM import: NODE_PATH does not apply to it).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLING, FUNCTIONS } from '@token-vault/cdk/lib/definitions/functions';
import { EMULATOR_CREDENTIALS } from '../../local/aws-clients';
import { functionEnvironment } from '../../local/provision';
import { freshResources, type FreshResources } from '../support/aws';
import { HANDLER_BUNDLES } from '../support/vault';

const ASSETS = join(__dirname, '..', '..', 'packages', 'cdk', 'assets');

it('runs on the Node.js major the functions are built for (BUNDLING.target), through the bundles', () => {
  expect(`node${process.versions.node.split('.')[0]}`).toBe(BUNDLING.target);
  expect(HANDLER_BUNDLES).toBe(ASSETS);
});

it('ships one folder per function with the bundle and its source map only', () => {
  expect(readdirSync(ASSETS).sort()).toEqual(
    Object.values(FUNCTIONS)
      .map((f) => f.name)
      .sort(),
  );
  for (const definition of Object.values(FUNCTIONS)) {
    expect(readdirSync(join(ASSETS, definition.name)).sort()).toEqual(['index.js', 'index.js.map']);
  }
});

describe('a bundle alone in its folder, credentials from a shared credentials file', () => {
  let resources: FreshResources;
  let task: string;
  beforeAll(async () => {
    resources = await freshResources();
    task = mkdtempSync(join(tmpdir(), 'token-vault-task-'));
  });
  afterAll(() => {
    resources.close();
    rmSync(task, { recursive: true, force: true });
  });

  it.each(['token-fetch', 'revoke'])('%s answers from the emulator', (name) => {
    const dir = join(task, name);
    cpSync(join(ASSETS, name), dir, { recursive: true });
    const credentials = join(task, `${name}.credentials`);
    writeFileSync(
      credentials,
      `[vault]\naws_access_key_id = ${EMULATOR_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${EMULATOR_CREDENTIALS.secretAccessKey}\n`,
    );
    const application = {
      applicationId: 'default',
      authorizeUrl: 'https://idp.example.test/authorize',
      tokenUrl: 'https://idp.example.test/token',
      revocationUrl: 'https://idp.example.test/revoke',
      clientId: 'client',
      clientSecretId: resources.secretIds.default!,
      redirectUri: 'https://vault.example.test/oauth/callback',
    };
    const payload = name === 'revoke' ? { userId: 'nobody', reason: 'user_disconnected' } : { userId: 'nobody' };
    const script = `require('./index.js').handler(${JSON.stringify(payload)}, { getRemainingTimeInMillis: () => 20000, functionName: '${name}', awsRequestId: 'r1' })
      .then((answer) => process.stdout.write('@@answer ' + JSON.stringify(answer) + '\\n'), (error) => { process.stdout.write('@@error ' + String(error && error.stack) + '\\n'); process.exitCode = 1; })`;
    // No AWS_ACCESS_KEY_ID: the default chain passes fromEnv and loads fromIni (an import() inside the bundle).
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: task,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: resources.endpoint,
      AWS_PROFILE: 'vault',
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: join(task, 'no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...functionEnvironment(resources, [application]),
    };
    const result = spawnSync(process.execPath, ['-e', script], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    const line = result.stdout.split('\n').find((l) => l.startsWith('@@'));
    expect(result.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module/);
    expect(line).toBeDefined();
    const answer = JSON.parse(line!.replace(/^@@answer /, '')) as Record<string, unknown>;
    expect(answer).toEqual(
      name === 'revoke'
        ? { ok: true, revoked: 0, providerPending: 0 }
        : expect.objectContaining({ ok: false, error: expect.objectContaining({ code: 'not_connected' }) }),
    );
  });
});
