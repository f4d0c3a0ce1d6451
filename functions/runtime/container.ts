/**
 * The core services of one container, built once at module scope of each handler and reused by every
 * invocation. Each piece is built on first use, so a function gets only the clients and the configuration it
 * needs (connect has no KMS key in its environment, and needs none).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../definitions/env';
import { FUNCTIONS } from '../definitions/functions';
import { EnvelopeCipher } from '../core/crypto/envelope';
import { RefreshCoordinator } from '../core/refresh/coordinator';
import { DEFAULT_REFRESH_POLICY, type RefreshPolicy } from '../core/refresh/policy';
import { ClientSecretLoader } from '../core/secrets/client-secret-loader';
import { ConnectionStore } from '../core/store/connection-store';
import { StateStore } from '../core/store/state-store';
import { ApplicationRegistry } from '../core/vault/applications';
import { AuthorizationService } from '../core/vault/authorization';
import { RevocationService } from '../core/vault/revocation';
import { TokenService } from '../core/vault/token-service';
import { LEASE_RESERVE_MS, loadApplications, loadTunables, requireEnv, type Tunables } from './config';
import { vaultLogger, vaultMetrics } from './powertools';

/** SDK calls time out well inside the function timeout; the SDK's own retries handle throttling. */
const sdkClientConfig = (requestTimeoutMs: number) => ({ maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: requestTimeoutMs } }) as const;

function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export class Container {
  readonly tunables: () => Tunables = once(() => loadTunables(this.env));
  readonly applications = once(() => new ApplicationRegistry(loadApplications(this.env), { timeoutMs: this.tunables().providerTimeoutMs }));
  readonly policy = once((): RefreshPolicy => {
    const t = this.tunables();
    const policy: RefreshPolicy = {
      ...DEFAULT_REFRESH_POLICY,
      marginMs: t.refreshMarginMs,
      defaultAccessTokenTtlMs: t.defaultAccessTokenTtlMs,
      defaultRefreshTokenTtlMs: t.defaultRefreshTokenTtlMs,
      cooldownMs: t.cooldownMs,
      leaseMs: t.refreshLeaseMs,
      waitMs: t.refreshWaitMs,
      // No retry starts so late that its provider call and the write could outlast the lease (loadTunables
      // guarantees room for one call; 0 means exactly one attempt).
      providerBudgetMs: Math.min(DEFAULT_REFRESH_POLICY.providerBudgetMs, Math.max(0, t.refreshLeaseMs - t.providerTimeoutMs - LEASE_RESERVE_MS)),
    };
    // A caller takes the lease late in its call only if the whole refresh still ends before token-fetch times out.
    const refreshMs = policy.providerBudgetMs + t.providerTimeoutMs + LEASE_RESERVE_MS;
    return { ...policy, takeoverWindowMs: Math.max(0, FUNCTIONS.tokenFetch.timeoutSeconds * 1000 - refreshMs) };
  });
  /** The SDK clients, public so that the tests and the bench can count calls with a middleware. */
  readonly dynamoDbClient = once(() => new DynamoDBClient(sdkClientConfig(this.tunables().awsRequestTimeoutMs)));
  /** The hot read's client: middleware stack resolved once (see ConnectionStore's `readClient`). */
  readonly dynamoDbReadClient = once(() => new DynamoDBClient({ ...sdkClientConfig(this.tunables().awsRequestTimeoutMs), cacheMiddleware: true }));
  readonly kmsClient = once(() => new KMSClient(sdkClientConfig(this.tunables().awsRequestTimeoutMs)));
  readonly secretsManagerClient = once(() => new SecretsManagerClient(sdkClientConfig(this.tunables().awsRequestTimeoutMs)));
  private readonly documentClient = once(() =>
    DynamoDBDocumentClient.from(this.dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } }),
  );
  readonly connections = once(
    () =>
      new ConnectionStore({
        client: this.documentClient(),
        readClient: this.dynamoDbReadClient(),
        tableName: requireEnv(ENV.CONNECTIONS_TABLE, this.env),
        refreshMarginMs: this.tunables().refreshMarginMs,
      }),
  );
  readonly states = once(() => new StateStore({ client: this.documentClient(), tableName: requireEnv(ENV.STATES_TABLE, this.env) }));
  readonly cipher = once(() => new EnvelopeCipher({ kms: this.kmsClient(), keyId: requireEnv(ENV.KEY_ID, this.env) }));
  readonly secrets = once(() => new ClientSecretLoader({ client: this.secretsManagerClient() }));
  readonly coordinator = once(
    () =>
      new RefreshCoordinator({
        store: this.connections(),
        cipher: this.cipher(),
        secrets: this.secrets(),
        applications: this.applications(),
        policy: this.policy(),
        metrics: vaultMetrics,
        logger: vaultLogger,
      }),
  );
  readonly tokens = once(() => new TokenService(this.coordinator(), { metrics: vaultMetrics }));
  readonly authorization = once(
    () =>
      new AuthorizationService({
        applications: this.applications(),
        states: this.states(),
        completion: { connections: this.connections(), secrets: this.secrets(), coordinator: this.coordinator() },
        metrics: vaultMetrics,
        logger: vaultLogger,
      }),
  );
  /** connect only needs the state table and the applications: no KMS key, no token table. */
  readonly authorizationStart = once(
    () =>
      new AuthorizationService({
        applications: this.applications(),
        states: this.states(),
        metrics: vaultMetrics,
        logger: vaultLogger,
      }),
  );
  readonly revocation = once(
    () =>
      new RevocationService({
        applications: this.applications(),
        connections: this.connections(),
        cipher: this.cipher(),
        secrets: this.secrets(),
        metrics: vaultMetrics,
        logger: vaultLogger,
      }),
  );

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}
}
