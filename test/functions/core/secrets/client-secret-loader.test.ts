/**
 * Client secrets against moto (packages/cdk/functions/core/secrets/client-secret-loader.ts): read through the
 * in-memory cache, re-read when asked fresh (a rotation), failures named by the SDK error's name only, and never
 * past the caller's deadline.
 */
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../../../../local/aws-clients';
import { ClientSecretError, ClientSecretLoader } from '@token-vault/cdk/functions/core/secrets/client-secret-loader';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { freshResources, type FreshResources } from '../../../support/aws';
import { testDeadline } from '../../../support/refresh';

let aws: FreshResources;
beforeAll(async () => {
  aws = await freshResources();
}, 60_000);
afterAll(() => aws?.close());

async function secret(value: string): Promise<string> {
  const name = `${aws.prefix}-secret-${Math.random().toString(36).slice(2)}`;
  await aws.secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return name;
}

async function failure(promise: Promise<unknown>): Promise<ClientSecretError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ClientSecretError)) throw new Error(`expected a ClientSecretError, got ${String(error)}`);
  return error;
}

describe('ClientSecretLoader', () => {
  it('serves the secret from memory until asked for a fresh one', async () => {
    const id = await secret('first-secret-value');
    const loader = new ClientSecretLoader({ client: aws.secrets });
    expect(await loader.get(id, testDeadline())).toBe('first-secret-value');
    await aws.secrets.send(new PutSecretValueCommand({ SecretId: id, SecretString: 'rotated-secret-value' }));
    expect(await loader.get(id, testDeadline())).toBe('first-secret-value');
    expect(await loader.get(id, testDeadline(), { fresh: true })).toBe('rotated-secret-value');
    expect(await loader.get(id, testDeadline())).toBe('rotated-secret-value');
  });

  it('names a missing secret by the SDK error only', async () => {
    const error = await failure(
      new ClientSecretLoader({ client: aws.secrets }).get(`${aws.prefix}-no-such-secret`, testDeadline()),
    );
    expect(error).toMatchObject({ code: 'unavailable', cause: { name: 'ResourceNotFoundException' } });
    expect(error.message).toBe('Secrets Manager could not provide the client secret (ResourceNotFoundException).');
    expect(error.message).not.toContain(aws.prefix);
  });

  it('stops waiting at the deadline', async () => {
    const id = await secret('late-secret-value');
    const spent = Deadline.fromRemaining(0, SYSTEM_CLOCK, 0);
    const error = await failure(new ClientSecretLoader({ client: aws.secrets }).get(id, spent));
    expect(error).toMatchObject({ code: 'unavailable', cause: { name: 'TimeoutError' } });
  });

  it('stops waiting after its call budget, long before a distant deadline', async () => {
    const id = await secret('slow-secret-value');
    // A client whose every request waits 2 s before it is sent: slower than the 300 ms budget.
    const slow = new SecretsManagerClient({ ...awsClientConfig(aws.endpoint) });
    slow.middlewareStack.add(
      (next) => async (args) => {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    try {
      const started = Date.now();
      const error = await failure(
        new ClientSecretLoader({ client: slow, callTimeoutMs: 300 }).get(id, testDeadline(20_000)),
      );
      expect(error).toMatchObject({ code: 'unavailable', cause: { name: 'TimeoutError' } });
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      slow.destroy();
    }
  });
});
