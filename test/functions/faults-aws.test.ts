/**
 * AWS faults (injected with SDK middleware: throttling, access denied and outages a real emulator can't produce
 * on demand) each get a defined answer, and none of them loses or burns the stored refresh token.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NO_LOGS } from '@token-vault/cdk/functions/core/observability';
import { errorAnswer } from '@token-vault/cdk/functions/runtime/answers';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { ageAccessToken, closeContainer, storedRecord, testDeadline } from '../support/refresh';
import { startVault, type Vault } from '../support/vault';

let vault: Vault;
const containers: Container[] = [];

beforeAll(async () => {
  vault = await startVault();
});
afterAll(async () => {
  for (const container of containers) closeContainer(container);
  await vault.close();
});

interface Fault {
  command: string;
  name: string;
  times: number;
}

/** Adds a middleware that fails the next `times` calls of `command` with an SDK-shaped error named `name`. */
function inject<C extends DynamoDBClient | KMSClient | SecretsManagerClient>(client: C, faults: Fault[]): C {
  // The three clients' stacks differ only in their input/output types, which this middleware never reads.
  (client.middlewareStack as DynamoDBClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const fault = faults.find((f) => f.command === context.commandName && f.times > 0);
      if (fault) {
        fault.times--;
        // SDK errors can quote the request; this one does, to prove the answer never repeats it.
        throw Object.assign(
          new Error(`injected ${fault.name} for request ${JSON.stringify(args.input).slice(0, 200)}`),
          { name: fault.name, $fault: 'server' },
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectFaults' },
  );
  return client;
}

/**
 * A fresh container (the functions' own wiring) whose SDK clients fail as `faults` say, with a 1-second
 * cool-down after a failed refresh.
 */
function services(faults: Fault[]) {
  const container = new Container({ ...process.env, ...vault.env, TOKEN_VAULT_REFRESH_COOLDOWN_SECONDS: '1' });
  containers.push(container);
  inject(container.dynamoDbClient(), faults);
  inject(container.dynamoDbReadClient(), faults);
  inject(container.kmsClient(), faults);
  inject(container.secretsManagerClient(), faults);
  return { tokens: container.tokens() };
}

async function answerOf(promise: Promise<unknown>) {
  try {
    await promise;
    return { ok: true as const };
  } catch (error) {
    return errorAnswer(error, NO_LOGS);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AWS faults', () => {
  it('DynamoDB throttling on read -> internal_error (retryable), no detail, nothing changed', async () => {
    await vault.connectUser('ddb-user');
    const before = await storedRecord(vault, 'ddb-user');
    const { tokens } = services([
      { command: 'GetItemCommand', name: 'ProvisionedThroughputExceededException', times: 1 },
    ]);
    const answer = await answerOf(
      tokens.fetch({ userId: 'ddb-user', applicationId: 'default', minValiditySeconds: 0 }, testDeadline()),
    );
    expect(answer).toEqual({
      ok: false,
      error: {
        code: 'internal_error',
        message: 'The vault could not complete the request; retry later.',
        retryable: true,
      },
    });
    expect(await storedRecord(vault, 'ddb-user')).toEqual(before);
  });

  it.each([
    ['KMS throttling', 'DecryptCommand', 'ThrottlingException'],
    ['KMS access denied', 'DecryptCommand', 'AccessDeniedException'],
    ['Secrets Manager unavailable', 'GetSecretValueCommand', 'InternalServiceError'],
  ])(
    '%s during a refresh -> internal_error, provider not called, refresh token intact, then recovers',
    async (_name, command, name) => {
      const userId = `fault-${name}`;
      await vault.connectUser(userId);
      await ageAccessToken(vault, userId, -1000);
      const before = (await storedRecord(vault, userId))!;
      await vault.provider.resetStats();
      const { tokens } = services([{ command, name, times: 1 }]);
      const answer = await answerOf(
        tokens.fetch({ userId, applicationId: 'default', minValiditySeconds: 0 }, testDeadline()),
      );
      expect(answer).toMatchObject({ ok: false, error: { code: 'internal_error', retryable: true } });
      expect(JSON.stringify(answer)).not.toContain('injected');
      expect((await vault.provider.stats()).tokenRequests).toBe(0);
      const after = (await storedRecord(vault, userId))!;
      expect(after.version).toBe(before.version);
      expect(Buffer.from(after.refreshToken!).equals(Buffer.from(before.refreshToken!))).toBe(true);
      expect(after.leaseOwner).toBeUndefined();
      // After the cool-down, the next call refreshes with the intact refresh token.
      await sleep(1100);
      expect(
        await answerOf(tokens.fetch({ userId, applicationId: 'default', minValiditySeconds: 0 }, testDeadline())),
      ).toEqual({ ok: true });
      expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
    },
  );
});
