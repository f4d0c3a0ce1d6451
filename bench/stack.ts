/**
 * The local stack the benchmark measures: moto (started here unless AWS_ENDPOINT_URL points at one), the
 * development OAuth provider (oidc-provider, rotation + reuse detection on), fresh resources provisioned from
 * the shared definitions, and the functions' core services built exactly as the handlers build them, but with
 * metrics and logs off so that nothing but the table reaches stdout.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dueAt } from '@token-vault/cdk/functions/core/refresh/policy';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { AuthorizationService } from '@token-vault/cdk/functions/core/vault/authorization';
import type { TokenService } from '@token-vault/cdk/functions/core/vault/token-service';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { FUNCTIONS } from '@token-vault/cdk/src/definitions/functions';
import { millis } from '@token-vault/cdk/src/definitions/tunables';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { parseCallbackQuery } from '@token-vault/cdk/functions/runtime/callback-query';
import { completeAuthorization } from '../local/authorize';
import { awsClientConfig, useEmulatorEnvironment } from '../local/aws-clients';
import { startDevProvider, type DevProvider } from '../local/dev-provider-process';
import { startEmulator, type Emulator } from '../local/emulator';
import { devProviderApplication } from '../local/dev-application';
import { functionEnvironment, provisionResources } from '../local/provision';
import { benchTokenService } from './token-service';

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/callback';

export interface BenchStack {
  readonly emulator: Emulator;
  readonly provider: DevProvider;
  /** The functions' environment (what the CDK construct sets in Lambda). */
  readonly env: Readonly<Record<string, string>>;
  /** A new "Lambda container": its own SDK clients, caches and in-flight maps. */
  newContainer(extraEnv?: Record<string, string>): Container;
  /**
   * token-fetch's service on a container, without metrics or logs; `coalesce: false` turns in-process coalescing
   * off; `caches: false` turns the container's caches off (data keys: DataKeyCache disabled; client secrets: max
   * age 0, so every read goes to Secrets Manager).
   */
  tokenService(container: Container, options?: { coalesce?: boolean; caches?: boolean }): TokenService;
  /** connect + provider + callback for a user (account id = user id at the provider). */
  connectUser(userId: string): Promise<void>;
  /** Makes the stored access token look `validForMs` from expiry (negative: expired), as if time had passed. */
  ageAccessToken(userId: string, validForMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  // The SDK clients of the functions resolve endpoint and credentials from the environment, as in Lambda.
  const emulator = await startEmulator();
  useEmulatorEnvironment(emulator.endpoint);

  const clientSecret = `bench-${randomBytes(24).toString('base64url')}`;
  const clientId = `bench-${randomBytes(4).toString('hex')}`;
  let provider: DevProvider | undefined;
  try {
    provider = await startDevProvider({
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [REDIRECT_URI] }],
    });
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const resources = await provisionResources({
      endpoint: emulator.endpoint,
      prefix,
      applications: [{ applicationId: 'default', clientSecret }],
    });
    // Measures the direct save (no returnTo page to complete a session-bound flow on).
    const application = {
      ...devProviderApplication(provider, {
        clientId,
        clientSecretId: resources.secretIds.default!,
        redirectUri: REDIRECT_URI,
        returnTo: [],
      }),
      sessionBinding: false,
    };
    const env = functionEnvironment(resources, [application]);
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(emulator.endpoint)));
    const setup = new Container({ ...process.env, ...env });
    const authorization = new AuthorizationService({
      applications: setup.applications(),
      states: setup.states(),
      completion: {
        connections: setup.connections(),
        pending: setup.pending(),
        provider: setup.provider(),
        sealer: setup.sealer(),
        timing: setup.timing,
        marginMs: millis(setup.tunables, 'refreshMarginSeconds'),
        flows: setup.flows(),
      },
    });
    /** The deadline of one invocation of `fn`, from its timeout (as at the start of a Lambda call). */
    const invocation = (fn: keyof typeof FUNCTIONS) =>
      Deadline.fromRemaining(FUNCTIONS[fn].timeoutSeconds * 1000, SYSTEM_CLOCK);
    const containers: Container[] = [setup];
    const started = provider;

    return {
      emulator,
      provider: started,
      env,
      newContainer: (extraEnv = {}) => {
        const container = new Container({ ...process.env, ...env, ...extraEnv });
        containers.push(container);
        return container;
      },
      tokenService: (container, options = {}) => benchTokenService(container, { ...options, keyId: env[ENV.KEY_ID]! }),
      connectUser: async (userId) => {
        const { authorizationUrl } = await authorization.start(
          { userId, applicationId: 'default' },
          invocation('connect'),
        );
        const redirect = await completeAuthorization(authorizationUrl, { loginHint: userId });
        const params = parseCallbackQuery({ rawQueryString: redirect.search.slice(1) });
        const outcome = params ? await authorization.complete(params, invocation('callback')) : undefined;
        if (outcome?.status !== 'connected')
          throw new Error(
            `bench: could not connect ${userId}: ${outcome?.status === 'error' ? outcome.reason : 'bad callback'}`,
          );
      },
      ageAccessToken: async (userId, validForMs) => {
        const now = Date.now();
        const times = { accessTokenIssuedAt: now - 60 * 60 * 1000, accessTokenExpiresAt: now + validForMs };
        await doc.send(
          new UpdateCommand({
            TableName: resources.connectionsTable,
            Key: { userId, applicationId: 'default' },
            UpdateExpression: 'SET accessTokenIssuedAt = :i, accessTokenExpiresAt = :e, refreshDueAt = :d',
            ExpressionAttributeValues: {
              ':i': times.accessTokenIssuedAt,
              ':e': times.accessTokenExpiresAt,
              ':d': dueAt(times, millis(setup.tunables, 'refreshMarginSeconds')),
            },
          }),
        );
      },
      close: async () => {
        for (const container of containers) {
          container.dynamoDbClient().destroy();
          container.dynamoDbReadClient().destroy();
          container.kmsClient().destroy();
          container.secretsManagerClient().destroy();
        }
        doc.destroy();
        await started.stop();
        await emulator.stop();
      },
    };
  } catch (error) {
    await provider?.stop();
    await emulator.stop();
    throw error;
  }
}
