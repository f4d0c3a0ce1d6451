/**
 * `TokenVault`: the whole vault as one construct for your own CDK app. It builds the functions, the callback
 * HTTP API and the refresh schedule, and either builds the stateful resources ({@link TokenVaultData}) itself or
 * uses ones you built in another stack (as infra/app.ts does).
 */
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import { CONNECTIONS_TABLE, STATES_TABLE } from '../definitions/tables';
import { bindApplications, bindKey, bindTable } from './vault-function';
import { TUNABLES, TunableError, checkTunable, defaultTunables, type TunableName, type TunableValues } from '../definitions/tunables';
import { timingProblems } from '../definitions/budget';
import { ANSWER_RESERVE_MS } from '../definitions/time';
import { functionTimeouts, refreshTiming } from '../definitions/timing';
import { FUNCTION_ACCESS, FUNCTION_KEYS } from './access';
import { AlarmTopic } from './alarm-topic';
import { applicationIdOf, estimateApplicationsJsonBytes, toApplicationConfigs, validateApplications } from './application-config';
import { CallbackApi } from './callback-api';
import { ConnectionEvents } from './connection-events';
import { DeadLetterQueue } from './dead-letter-queue';
import { TokenVaultConfigError } from './errors';
import { VaultMonitoring } from './monitoring';
import { ScheduledInvocation } from './scheduled-invocation';
import { TokenVaultData } from './token-vault-data';
import type { TokenVaultApplication } from './applications';
import type { VaultTableEncryption } from './vault-tables';
import { VaultFunction, type VaultFunctionKey } from './vault-function';

/** Payload of the scheduled refresh sweep (the refresh function's contract). */
export const SWEEP_PAYLOAD = { sweep: true } as const;

/** Lambda's limit on the total size of a function's environment variables. */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
/** Room kept for the other variables (names, table names, key ARN, tunables). */
const OTHER_VARIABLES_BUDGET_BYTES = 1024;

/** Settings of the stateless half, the same whether the vault builds its data or is handed it. */
export interface TokenVaultOptions {
  /**
   * `returnTo` allow-list for applications that do not set their own: a value is allowed when its origin and path
   * equal one entry's.
   * @default [] - no `returnTo` allowed; the callback renders a small page instead of redirecting
   */
  readonly returnTo?: string[];
  /**
   * Topic that alarms notify. Mutually exclusive with `alarmEmail`.
   * @default - a topic is created when `alarmEmail` is set, else none
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * E-mail address subscribed to a new, encrypted alarm topic. Mutually exclusive with `alarmTopic`.
   * @default - no e-mail subscription
   */
  readonly alarmEmail?: string;
  /**
   * Refresh an access token this many seconds before it expires (never sooner than half its lifetime).
   * @default 300
   */
  readonly refreshMarginSeconds?: number;
  /**
   * How far ahead the scheduled sweep looks for connections due; at least the sweep interval, so that no
   * connection falls between two sweeps.
   * @default 600
   */
  readonly sweepLookaheadSeconds?: number;
  /**
   * Interval of the proactive refresh sweep (EventBridge schedule, payload `{"sweep": true}`), 1 to 60 minutes.
   * @default Duration.minutes(5)
   */
  readonly sweepInterval?: Duration;
  /**
   * Seconds a connection cools down after a failed refresh (one provider call per window).
   * @default 30
   */
  readonly refreshCooldownSeconds?: number;
  /**
   * Lifetime assumed for access tokens answered without `expires_in`.
   * @default 3600
   */
  readonly defaultAccessTokenTtlSeconds?: number;
  /**
   * Lifetime assumed for refresh tokens answered without `refresh_token_expires_in`.
   * @default 2592000 (30 days)
   */
  readonly defaultRefreshTokenTtlSeconds?: number;
  /**
   * Timeout of one HTTP attempt at the provider. With `awsCallTimeoutMs` it must fit the refresh time model (a
   * whole refresh inside token-fetch's timeout, one attempt and its write inside the lease); synthesis fails
   * naming the rule otherwise.
   * @default 5000
   */
  readonly providerTimeoutMs?: number;
  /**
   * Timeout of one AWS call (DynamoDB, KMS, Secrets Manager), the SDK's three attempts included.
   * @default 2000
   */
  readonly awsCallTimeoutMs?: number;
  /**
   * Length of a refresh lease and of each extension: how long a crashed holder can delay the next refresh.
   * @default 25
   */
  readonly refreshLeaseSeconds?: number;
  /**
   * How long a caller waits for another container's refresh (never past its own deadline).
   * @default 12
   */
  readonly refreshWaitSeconds?: number;
  /**
   * Within this long of a forced refresh, a caller rejecting the token it issued gets `rate_limited`: a token
   * rejected right after a forced refresh is not cured by another.
   * @default 30
   */
  readonly forcedRefreshMinIntervalSeconds?: number;
  /**
   * Throttling of the callback route (the HTTP API's default stage).
   * @default { rateLimit: 20, burstLimit: 40 }
   */
  readonly callbackThrottle?: apigwv2.ThrottleSettings;
  /**
   * Retention of the function and access log groups.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Application log level of the functions.
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevel?: lambda.ApplicationLogLevel;
  /**
   * X-Ray tracing of the functions ($5 per million traces recorded beyond the free tier).
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;
  /**
   * Bus the connection lifecycle events go to (source `token-vault`). A bus of another account needs a resource
   * policy there that lets the vault's function roles put events.
   * @default - a new bus named `<vault name>-connection-events`
   */
  readonly eventBus?: events.IEventBus;
}

/**
 * Either the stateful resources built elsewhere (`data`), or what the vault needs to build them
 * (`applications`, and optionally `name`, `removalPolicy`, `tableEncryption`). Checked at synthesis.
 */
export interface TokenVaultProps extends TokenVaultOptions {
  /**
   * Stateful resources built elsewhere, e.g. by a {@link TokenVaultDataStack} with termination protection. With
   * `data`, leave out `applications`, `name`, `removalPolicy` and `tableEncryption` (they are the data's; giving
   * them too fails the synthesis).
   * @default - built by the vault from `applications`
   */
  readonly data?: TokenVaultData;
  /**
   * The OAuth applications, one per client registration at a provider; each gets a client secret unless it names
   * an existing one. Required unless `data` is given.
   * @default - those of `data`
   */
  readonly applications?: TokenVaultApplication[];
  /**
   * Short name of this vault (1-32 chars of `[A-Za-z0-9-]`). The function roles are named `NAME-FUNCTION-REGION`
   * so that the key policy can name them; two vaults in one account and region need different names. Only without
   * `data`.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * What happens to the tables, the key and the secrets when they leave the stack. Only without `data`.
   * @default RemovalPolicy.RETAIN (tables also deletion-protected)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Table encryption at rest; the tokens inside are envelope-encrypted under the vault key either way. Only without
   * `data`.
   * @default VaultTableEncryption.AWS_OWNED
   */
  readonly tableEncryption?: VaultTableEncryption;
}

/** The vault's functions. */
export interface VaultFunctions {
  /** `connect`. */
  readonly connect: VaultFunction;
  /** `callback` (behind the HTTP API). */
  readonly callback: VaultFunction;
  /** `token-fetch`. */
  readonly tokenFetch: VaultFunction;
  /** `refresh`. */
  readonly refresh: VaultFunction;
  /** `revoke`. */
  readonly revoke: VaultFunction;
  /** `status`. */
  readonly status: VaultFunction;
  /** `import` (migrations). */
  readonly importConnection: VaultFunction;
}

/**
 * The whole vault: the five functions (connect, callback, token-fetch, refresh, revoke; prebuilt, nodejs24.x on
 * arm64, each with a role of its own), the callback HTTP API, the proactive refresh schedule with its dead-letter
 * queue, the dashboard and alarms, and the stateful resources: built here from `applications`, or handed in as
 * `data` (a {@link TokenVaultData} in another stack). Other Lambdas get access with `grantFetch`, `grantRefresh`,
 * `grantConnect` and `grantRevoke`.
 *
 * @example
 * const vault = new TokenVault(this, 'TokenVault', {
 *   applications: [{ clientId: 'your-client-id', scopes: ['read'] }],
 *   returnTo: ['https://app.example.com/integrations/otesse'],
 * });
 * vault.grantFetch(apiHandler);
 */
export class TokenVault extends Construct {
  /** Tables, key and client secrets. */
  public readonly data: TokenVaultData;
  /** The functions. */
  public readonly functions: VaultFunctions;
  /** The HTTP API serving `GET /oauth/callback`. */
  public readonly callbackApi: CallbackApi;
  /** Redirect URI to register at the provider (unless an application sets its own). */
  public readonly callbackUrl: string;
  /** Proactive refresh sweep. */
  public readonly refreshSweep: ScheduledInvocation;
  /** Failed schedule deliveries and failed asynchronous refresh invocations. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** Topic for alarms, when configured. */
  public readonly alarmTopic?: sns.ITopic;
  /** Dashboard and alarms. */
  public readonly monitoring: VaultMonitoring;
  /** The bus the connection lifecycle events go to. */
  public readonly eventBus: events.IEventBus;
  /** The bus, the event retry queue (drained by the sweep) and its dead-letter queue. */
  public readonly connectionEvents: ConnectionEvents;

  public constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    const tunables = validateOptions(props);
    const returnTo = props.returnTo ?? [];
    if (props.data !== undefined && (props.applications !== undefined || props.name !== undefined || props.removalPolicy !== undefined || props.tableEncryption !== undefined)) {
      throw new TokenVaultConfigError('With `data`, leave out applications, name, removalPolicy and tableEncryption: they belong to the TokenVaultData.');
    }
    const applications = props.data?.applications ?? props.applications;
    if (applications === undefined) {
      throw new TokenVaultConfigError('Either `data` or `applications` is required.');
    }
    validateApplications(applications, returnTo);
    const applicationsBytes = estimateApplicationsJsonBytes(applications, returnTo);
    if (applicationsBytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES - OTHER_VARIABLES_BUDGET_BYTES) {
      throw new TokenVaultConfigError(
        `applications: their configuration takes about ${applicationsBytes} bytes, more than the ${LAMBDA_ENVIRONMENT_LIMIT_BYTES - OTHER_VARIABLES_BUDGET_BYTES} ` +
          'that fit in a Lambda environment next to the other variables; deploy several vaults, or shorten returnTo lists and scopes.',
      );
    }

    this.data =
      props.data ??
      new TokenVaultData(this, 'Data', {
        applications,
        ...(props.name !== undefined ? { name: props.name } : {}),
        ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
        ...(props.tableEncryption !== undefined ? { tableEncryption: props.tableEncryption } : {}),
      });

    const environment = Object.fromEntries((Object.keys(TUNABLES) as TunableName[]).map((name) => [TUNABLES[name].env, String(tunables.values[name])]));
    const functions = {} as Record<FunctionKey, VaultFunction>;
    for (const key of FUNCTION_KEYS) {
      functions[key] = new VaultFunction(this, FUNCTIONS[key].name, {
        functionKey: key as VaultFunctionKey,
        roleName: this.data.functionRoleName(key as VaultFunctionKey),
        environment,
        ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
        ...(props.applicationLogLevel !== undefined ? { applicationLogLevel: props.applicationLogLevel } : {}),
        ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      });
    }
    this.functions = functions;

    this.callbackApi = new CallbackApi(this, 'CallbackApi', {
      handler: functions.callback.function,
      ...(props.callbackThrottle !== undefined ? { throttle: props.callbackThrottle } : {}),
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
    });
    this.callbackUrl = this.callbackApi.callbackUrl;

    const applicationsJson = Stack.of(this).toJsonString(
      toApplicationConfigs(applications, {
        clientSecretArn: (applicationId) => this.data.clientSecret(applicationId).secretArn,
        callbackUrl: this.callbackUrl,
        returnTo,
      }),
    );
    const secrets = Object.values(this.data.clientSecrets);
    this.connectionEvents = new ConnectionEvents(this, 'ConnectionEvents', { vaultName: this.data.name, ...(props.eventBus !== undefined ? { eventBus: props.eventBus } : {}) });
    this.eventBus = this.connectionEvents.eventBus;
    for (const key of FUNCTION_KEYS) {
      const access = FUNCTION_ACCESS[key];
      const fn = functions[key];
      if (access.statesTable.length > 0) {
        bindTable(fn, { table: this.data.statesTable, definition: STATES_TABLE, actions: [...access.statesTable] });
      }
      if (access.connectionsTable.length > 0 || access.connectionsIndexes.length > 0) {
        bindTable(fn, {
          table: this.data.connectionsTable,
          definition: CONNECTIONS_TABLE,
          actions: [...access.connectionsTable],
          queryIndexes: [...access.connectionsIndexes],
        });
      }
      bindKey(fn, this.data.key, [...access.key]);
      bindApplications(fn, applicationsJson, secrets, access.readsClientSecrets);
      if (access.publishesEvents) this.connectionEvents.bindPublisher(fn);
      if (access.drainsEventRetries) this.connectionEvents.bindDrainer(fn);
    }

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');
    this.refreshSweep = new ScheduledInvocation(this, 'RefreshSweep', {
      target: functions.refresh.function,
      schedule: events.Schedule.rate(tunables.sweepInterval),
      payload: SWEEP_PAYLOAD,
      deadLetterQueue: this.deadLetterQueue.queue,
      description: 'token-vault: refresh access tokens ahead of expiry',
      maxEventAge: tunables.sweepMaxEventAge,
    });
    // A failed sweep is not retried by Lambda: the next sweep picks the same connections up. Failures are kept.
    functions.refresh.function.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: tunables.sweepMaxEventAge,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue.queue),
    });

    this.alarmTopic = props.alarmTopic ?? (props.alarmEmail !== undefined ? new AlarmTopic(this, 'Alarms', { email: props.alarmEmail }).topic : undefined);
    this.monitoring = new VaultMonitoring(this, 'Monitoring', {
      functions,
      applicationIds: applications.map(applicationIdOf),
      deadLetterQueue: this.deadLetterQueue.queue,
      eventDeadLetterQueue: this.connectionEvents.deadLetterQueue,
      ...(this.alarmTopic !== undefined ? { alarmTopic: this.alarmTopic } : {}),
    });
  }

  /** Lets `grantee` call the connect function (lambda:InvokeFunction on its ARN). */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    return this.functions.connect.grantInvoke(grantee);
  }

  /** Lets `grantee` call token-fetch. */
  public grantFetch(grantee: iam.IGrantable): iam.Grant {
    return this.functions.tokenFetch.grantInvoke(grantee);
  }

  /** Lets `grantee` call refresh (after a 401 `invalid_token`). */
  public grantRefresh(grantee: iam.IGrantable): iam.Grant {
    return this.functions.refresh.grantInvoke(grantee);
  }

  /** Lets `grantee` call revoke. */
  public grantRevoke(grantee: iam.IGrantable): iam.Grant {
    return this.functions.revoke.grantInvoke(grantee);
  }

  /**
   * Lets `grantee` call import: store refresh tokens issued elsewhere as connections (migrations). Give it to a
   * migration job only, never to a normal caller.
   */
  public grantImport(grantee: iam.IGrantable): iam.Grant {
    return this.functions.importConnection.grantInvoke(grantee);
  }

  /** Lets `grantee` call status (a user's connections and their state; never a token). */
  public grantStatus(grantee: iam.IGrantable): iam.Grant {
    return this.functions.status.grantInvoke(grantee);
  }
}

/** Tunables with defaults applied, checked against each other and against the function timeouts. */
interface Tunables {
  readonly values: TunableValues;
  readonly sweepInterval: Duration;
  readonly sweepMaxEventAge: Duration;
}

/** Validates the options before anything is built (or bundled) and applies the defaults of the shared definitions. */
export function validateOptions(props: TokenVaultOptions): Tunables {
  const values: Record<string, number> = { ...defaultTunables() };
  for (const name of Object.keys(TUNABLES) as TunableName[]) {
    const value = (props as Record<string, unknown>)[name];
    if (value === undefined) continue;
    try {
      values[name] = checkTunable(name, value as number, name);
    } catch (error) {
      if (error instanceof TunableError) throw new TokenVaultConfigError(`${error.message}`);
      throw error;
    }
  }
  const tunables = values as TunableValues;
  const sweepInterval = props.sweepInterval ?? Duration.minutes(5);
  const sweepMinutes = sweepInterval.toSeconds() / 60;
  if (!Number.isInteger(sweepMinutes) || sweepMinutes < 1 || sweepMinutes > 60) {
    throw new TokenVaultConfigError(`sweepInterval: ${sweepInterval.toHumanString()} must be a whole number of minutes from 1 to 60.`);
  }
  if (tunables.sweepLookaheadSeconds < sweepInterval.toSeconds()) {
    throw new TokenVaultConfigError(
      `sweepLookaheadSeconds: ${tunables.sweepLookaheadSeconds} is shorter than the sweep interval (${sweepInterval.toSeconds()} s); connections due between two sweeps would be missed.`,
    );
  }
  const problems = timingProblems(refreshTiming(tunables), functionTimeouts(), ANSWER_RESERVE_MS);
  if (problems.length > 0) {
    throw new TokenVaultConfigError(
      `providerTimeoutMs, awsCallTimeoutMs and refreshLeaseSeconds break the refresh time model: ${problems.map((p) => p.message).join('; ')}. Lower the timeouts or lengthen the lease.`,
    );
  }
  if (props.alarmTopic !== undefined && props.alarmEmail !== undefined) {
    throw new TokenVaultConfigError('alarmTopic and alarmEmail are mutually exclusive: subscribe the address to your topic yourself.');
  }
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    throw new TokenVaultConfigError(`alarmEmail: "${props.alarmEmail}" is not an e-mail address.`);
  }
  return {
    values: tunables,
    sweepInterval,
    // EventBridge accepts 60 s at least; an event older than one interval is superseded by the next sweep.
    sweepMaxEventAge: Duration.seconds(Math.max(60, sweepInterval.toSeconds() - 60)),
  };
}
