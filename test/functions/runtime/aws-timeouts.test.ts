/**
 * AWS SDK calls really time out. A TCP server that accepts connections and never answers stands in for a
 * DynamoDB, KMS, Secrets Manager or Lambda endpoint that stalls: with the SDK settings the vault uses, every
 * call ends within its budget; with the SDK's defaults (or `requestTimeout` alone) it would hang until the
 * function is killed.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { defaultLambdaClient } from '../../../packages/client/src/client-options';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { sdkClientConfig } from '@token-vault/cdk/functions/runtime/sdk-config';
import { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EMULATOR_CREDENTIALS } from '../../../local/aws-clients';

let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts, reads, never writes a byte back.
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const base = { region: 'us-east-1', credentials: EMULATOR_CREDENTIALS };

/** Runs `call`, expecting a rejection; answers how long it took. */
async function elapsedUntilRejected(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
  throw new Error('the call against a silent endpoint succeeded');
}

describe("the vault's SDK settings", () => {
  const CALL_MS = 900;
  // Built when a test runs: the endpoint is known only after beforeAll.
  const config = () => ({ ...base, endpoint, ...sdkClientConfig(CALL_MS) });

  it.each([
    [
      'DynamoDB',
      () => new DynamoDBClient(config()).send(new GetItemCommand({ TableName: 't', Key: { k: { S: 'v' } } })),
    ],
    ['KMS', () => new KMSClient(config()).send(new GenerateDataKeyCommand({ KeyId: 'k', KeySpec: 'AES_256' }))],
    ['Secrets Manager', () => new SecretsManagerClient(config()).send(new GetSecretValueCommand({ SecretId: 's' }))],
  ])('%s: a stalled endpoint fails within the call budget (3 attempts of a third each)', async (_name, call) => {
    const { ms, error } = await elapsedUntilRejected(call);
    expect((error as Error).name).toBe('TimeoutError');
    // Three attempts of 300 ms plus the SDK's short backoffs.
    expect(ms).toBeGreaterThanOrEqual(CALL_MS - 50);
    expect(ms).toBeLessThan(CALL_MS + 1500);
  });

  it("a store call ends at the caller's deadline, as a StoreError the core answers", async () => {
    const ddb = new DynamoDBClient({ ...base, endpoint, ...sdkClientConfig(30_000) });
    const store = new ConnectionStore({
      client: DynamoDBDocumentClient.from(ddb),
      tableName: 't',
      callTimeoutMs: 30_000,
    });
    const { ms, error } = await elapsedUntilRejected(() =>
      store.get({ userId: 'u', applicationId: 'a' }, Deadline.fromRemaining(700, SYSTEM_CLOCK, 0)),
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('unavailable');
    expect(ms).toBeLessThan(1500);
    ddb.destroy();
  });
});

describe('without throwOnRequestTimeout (the defect this guards against)', () => {
  it('requestTimeout alone does not end a stalled call', async () => {
    const client = new DynamoDBClient({ ...base, endpoint, maxAttempts: 1, requestHandler: { requestTimeout: 300 } });
    const outcome = await Promise.race([
      client.send(new GetItemCommand({ TableName: 't', Key: { k: { S: 'v' } } })).then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1500)),
    ]);
    expect(outcome).toBe('still waiting');
    client.destroy();
  });
});

describe("the caller library's default Lambda client", () => {
  it('an Invoke of a stalled endpoint fails after its timeout', async () => {
    const lambda = defaultLambdaClient(400, { ...base, endpoint });
    const { ms, error } = await elapsedUntilRejected(() =>
      lambda.send(new InvokeCommand({ FunctionName: 'token-fetch', Payload: Buffer.from('{}') })),
    );
    expect((error as Error).name).toBe('TimeoutError');
    // Two attempts of 400 ms.
    expect(ms).toBeLessThan(3000);
    lambda.destroy();
  });
});
