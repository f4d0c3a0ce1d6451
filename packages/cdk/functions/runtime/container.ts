/**
 * The core services of one container, built once at module scope of each handler and reused by every
 * invocation. Configuration (tunables, applications) is read at construction, so a bad environment fails the
 * cold start naming the variable; each client and service is built on first use, so a function gets only what
 * it needs (connect has no KMS key in its environment, and needs none).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../src/definitions/env';
import { millis, type TunableValues } from '../../src/definitions/tunables';
import type { ApplicationConfig } from '../../src/definitions/applications';
import { AuditTrail } from '../core/audit/audit-trail';
import { FingerprintKeyLoader } from '../core/audit/fingerprint-key';
import { EnvelopeCipher } from '../core/crypto/envelope';
import { DeliveringPublisher, NO_EVENTS, type EventPublisher } from '../core/events/publisher';
import { EventBridgeBus, SqsRetryQueue } from './event-transport';
import { TokenSealer } from '../core/crypto/token-sealer';
import type { RefreshTiming } from '../core/refresh/budget';
import type { ProactiveRefresh } from '../core/refresh/policy';
import { RefreshCoordinator } from '../core/refresh/coordinator';
import { Refresher } from '../core/refresh/refresher';
import { RefreshSchedule } from '../core/refresh/schedule';
import { ClientSecretLoader } from '../core/secrets/client-secret-loader';
import { ConnectionStore } from '../core/store/connection-store';
import { LeaseStore } from '../core/store/lease-store';
import { FlowStore } from '../core/store/flow-store';
import { ImportClaims } from '../core/store/import-claims';
import { PendingRevocations } from '../core/store/pending-revocations';
import { StateStore } from '../core/store/state-store';
import { SYSTEM_CLOCK, type Clock } from '../core/time/clock';
import { ApplicationRegistry } from '../core/vault/applications';
import { AuthorizationService } from '../core/vault/authorization';
import { RegistryProviderGateway } from '../core/vault/provider-gateway';
import { RevocationService } from '../core/vault/revocation';
import { ConnectionSaver } from '../core/vault/connection-saver';
import { ImportService } from '../core/vault/import';
import { StatusService } from '../core/vault/status';
import { TokenService } from '../core/vault/token-service';
import type { FunctionKey } from '../../src/definitions/functions';
import {
  loadApplications,
  loadProactiveRefresh,
  loadTunables,
  refreshTiming,
  requireBoundVariables,
  requireEnv,
} from './config';
import { once } from './once';
import { vaultLogger, vaultMetrics } from './powertools';
import { eventBridgeClientConfig, sdkClientConfig } from './sdk-config';

export class Container {
  readonly tunables: TunableValues;
  readonly timing: RefreshTiming;
  readonly applicationConfigs: readonly ApplicationConfig[];
  readonly proactiveRefresh: ProactiveRefresh;
  readonly clock: Clock = SYSTEM_CLOCK;

  readonly applications = once(
    () =>
      new ApplicationRegistry(this.applicationConfigs, {
        timeoutMs: this.timing.providerTimeoutMs,
        onWarning: (message) => vaultLogger.warn(message),
      }),
  );
  /** The SDK clients, public so that the tests and the bench can count calls with a middleware. */
  readonly dynamoDbClient = once(() => new DynamoDBClient(sdkClientConfig(this.timing.awsCallMs)));
  /** The hot read's client: middleware stack resolved once (see ConnectionStore's `readClient`). */
  readonly dynamoDbReadClient = once(
    () => new DynamoDBClient({ ...sdkClientConfig(this.timing.awsCallMs), cacheMiddleware: true }),
  );
  readonly kmsClient = once(() => new KMSClient(sdkClientConfig(this.timing.awsCallMs)));
  readonly secretsManagerClient = once(() => new SecretsManagerClient(sdkClientConfig(this.timing.awsCallMs)));
  readonly eventBridgeClient = once(() => new EventBridgeClient(eventBridgeClientConfig(this.timing.awsCallMs)));
  readonly sqsClient = once(() => new SQSClient(sdkClientConfig(this.timing.awsCallMs)));
  readonly eventBus = once(() => new EventBridgeBus(this.eventBridgeClient(), requireEnv(ENV.EVENT_BUS, this.env)));
  readonly eventRetries = once(() => new SqsRetryQueue(this.sqsClient(), requireEnv(ENV.EVENT_RETRY_QUEUE, this.env)));
  /** Whether this function publishes lifecycle events (the construct sets the bus for those that do). */
  readonly publishesEvents: boolean;
  readonly events = once((): EventPublisher =>
    this.publishesEvents
      ? new DeliveringPublisher({
          bus: this.eventBus(),
          retries: this.eventRetries(),
          vault: this.env[ENV.VAULT_NAME] || 'token-vault',
          callMs: this.timing.awsCallMs,
          metrics: vaultMetrics,
          logger: vaultLogger,
        })
      : NO_EVENTS,
  );
  private readonly documentClient = once(() =>
    DynamoDBDocumentClient.from(this.dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } }),
  );
  readonly connections = once(
    () =>
      new ConnectionStore({
        client: this.documentClient(),
        readClient: this.dynamoDbReadClient(),
        tableName: requireEnv(ENV.CONNECTIONS_TABLE, this.env),
        callTimeoutMs: this.timing.awsCallMs,
      }),
  );
  readonly leases = once(() => new LeaseStore(this.connections().table));
  readonly pending = once(() => new PendingRevocations(this.connections().table));
  /** The states table's stores: pending authorizations, parked flows, import claims. */
  private readonly statesTable = () => ({
    client: this.documentClient(),
    tableName: requireEnv(ENV.STATES_TABLE, this.env),
    callTimeoutMs: this.timing.awsCallMs,
  });
  readonly states = once(() => new StateStore(this.statesTable()));
  readonly flows = once(() => new FlowStore(this.statesTable()));
  readonly importClaims = once(() => new ImportClaims(this.statesTable()));
  readonly cipher = once(
    () =>
      new EnvelopeCipher({
        kms: this.kmsClient(),
        keyId: requireEnv(ENV.KEY_ID, this.env),
        callTimeoutMs: this.timing.awsCallMs,
      }),
  );
  readonly sealer = once(
    () =>
      new TokenSealer(
        this.cipher(),
        {
          defaultAccessTokenTtlMs: millis(this.tunables, 'defaultAccessTokenTtlSeconds'),
          defaultRefreshTokenTtlMs: millis(this.tunables, 'defaultRefreshTokenTtlSeconds'),
        },
        { maxWrites: this.tunables.dataKeyMaxWrites, maxAgeMs: millis(this.tunables, 'dataKeyMaxAgeSeconds') },
      ),
  );
  readonly secrets = once(
    () => new ClientSecretLoader({ client: this.secretsManagerClient(), callTimeoutMs: this.timing.awsCallMs }),
  );
  readonly provider = once(() => new RegistryProviderGateway(this.applications(), this.secrets()));
  /** The proactive policy and the keep-alive track (idle limits from the applications' profiles). */
  readonly schedule = once(
    () =>
      new RefreshSchedule({
        policy: this.proactiveRefresh,
        marginMs: millis(this.tunables, 'refreshMarginSeconds'),
        keepAliveLeadMs: millis(this.tunables, 'keepAliveLeadSeconds'),
        idleLimitMs: (applicationId) => {
          const seconds = this.applicationConfigs.find(
            (a) => a.applicationId === applicationId,
          )?.refreshTokenIdleExpirySeconds;
          return seconds === undefined ? undefined : seconds * 1000;
        },
      }),
  );
  readonly refresher = once(
    () =>
      new Refresher({
        connections: this.connections(),
        leases: this.leases(),
        pending: this.pending(),
        sealer: this.sealer(),
        provider: this.provider(),
        timing: this.timing,
        marginMs: millis(this.tunables, 'refreshMarginSeconds'),
        cooldownMs: millis(this.tunables, 'refreshCooldownSeconds'),
        schedule: this.schedule(),
        clock: this.clock,
        random: Math.random,
        metrics: vaultMetrics,
        logger: vaultLogger,
        events: this.events(),
      }),
  );
  readonly coordinator = once(
    () =>
      new RefreshCoordinator({
        connections: this.connections(),
        leases: this.leases(),
        sealer: this.sealer(),
        refresher: this.refresher(),
        timing: this.timing,
        policy: {
          marginMs: millis(this.tunables, 'refreshMarginSeconds'),
          waitMs: millis(this.tunables, 'refreshWaitSeconds'),
          forcedRefreshMinIntervalMs: millis(this.tunables, 'forcedRefreshMinIntervalSeconds'),
        },
        schedule: this.schedule(),
        clock: this.clock,
        random: Math.random,
        metrics: vaultMetrics,
        logger: vaultLogger,
        events: this.events(),
      }),
  );
  readonly tokens = once(() => new TokenService(this.coordinator(), this.applications(), { metrics: vaultMetrics }));
  readonly authorization = once(
    () =>
      new AuthorizationService({
        applications: this.applications(),
        states: this.states(),
        completion: {
          connections: this.connections(),
          pending: this.pending(),
          provider: this.provider(),
          sealer: this.sealer(),
          timing: this.timing,
          marginMs: millis(this.tunables, 'refreshMarginSeconds'),
          flows: this.flows(),
        },
        metrics: vaultMetrics,
        logger: vaultLogger,
        events: this.events(),
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
        pending: this.pending(),
        cipher: this.cipher(),
        provider: this.provider(),
        timing: this.timing,
        metrics: vaultMetrics,
        logger: vaultLogger,
        events: this.events(),
      }),
  );

  /** status reads one Query's metadata: no key, no secrets. */
  readonly status = once(() => new StatusService(this.connections(), this.applications()));

  /** import saves as the callback does (ConnectionSaver) and publishes `Connection Connected`. */
  readonly importer = once(
    () =>
      new ImportService({
        applications: this.applications(),
        connections: this.connections(),
        provider: this.provider(),
        saver: new ConnectionSaver({
          connections: this.connections(),
          pending: this.pending(),
          provider: this.provider(),
          sealer: this.sealer(),
          timing: this.timing,
          marginMs: millis(this.tunables, 'refreshMarginSeconds'),
          events: this.events(),
          logger: vaultLogger,
        }),
        claims: this.importClaims(),
        timing: this.timing,
        logger: vaultLogger,
      }),
  );

  /**
   * The audit trail (README "Audit trail"). Its fingerprint key is read, or made, through the connections table and
   * the vault key, on first use only: functions that hand out no token never touch it.
   */
  readonly audit = once(
    () =>
      new AuditTrail({
        loadKey: (deadline) => new FingerprintKeyLoader(this.connections().table, this.cipher()).load(deadline),
        logger: vaultLogger,
      }),
  );

  /**
   * @param env where the configuration is read from
   * @param fn the function this container serves: the variables it is bound to are checked here, at cold start,
   *   instead of on the first call that needs them; without it (tests, bench) they are read on first use
   * @throws ConfigurationError naming the variable, for a missing or invalid one
   */
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    fn?: FunctionKey,
  ) {
    if (fn !== undefined) requireBoundVariables(fn, env);
    this.tunables = loadTunables(env);
    this.timing = refreshTiming(this.tunables);
    this.applicationConfigs = loadApplications(env);
    this.proactiveRefresh = loadProactiveRefresh(env);
    this.publishesEvents = Boolean(env[ENV.EVENT_BUS]);
    // The bus without its retry queue would lose every failed put: refused at cold start, naming the variable.
    if (this.publishesEvents) requireEnv(ENV.EVENT_RETRY_QUEUE, env);
  }
}
