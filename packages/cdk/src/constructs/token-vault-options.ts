/**
 * The options of the vault's stateless half ({@link TokenVaultOptions}) and their validation: tunables checked
 * against their bounds and each other, the sweep interval, the alarm destination. Nothing is built before they pass.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { timingProblems } from '../definitions/budget';
import { ANSWER_RESERVE_MS } from '../definitions/time';
import { functionTimeouts, refreshTiming } from '../definitions/timing';
import {
  TUNABLES,
  TunableError,
  checkTunable,
  defaultTunables,
  type TunableName,
  type TunableValues,
} from '../definitions/tunables';
import { DEFAULT_WORKER_MAX_CONCURRENCY } from '../definitions/queues';
import { TokenVaultConfigError } from './errors';

/** Which connections the proactive refresh keeps ahead of expiry. */
export enum ProactiveRefreshPolicy {
  /** Connections whose current access token was fetched (a session in progress); idle ones are only kept alive. */
  USED = 'used',
  /** Every connection, used or not (one provider refresh per connection per token lifetime). */
  ALL = 'all',
  /** None: callers refresh on demand; idle connections are still kept alive. */
  NONE = 'none',
}

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
   * Which connections the proactive refresh keeps ahead of expiry: those in use (`USED`: the current token was
   * fetched), every one (`ALL`), or none (`NONE`: callers refresh on demand). Under each, an idle connection is
   * refreshed before its refresh token would expire or hit the provider's idle limit.
   * @default ProactiveRefreshPolicy.USED
   */
  readonly proactiveRefresh?: ProactiveRefreshPolicy;
  /**
   * An idle connection is refreshed this many seconds before its refresh token would expire or hit the
   * provider's idle limit.
   * @default 172800 (2 days)
   */
  readonly keepAliveLeadSeconds?: number;
  /**
   * A connection's data key is reused for at most this many writes (a fresh IV each time); 1: a new key per write.
   * @default 100
   */
  readonly dataKeyMaxWrites?: number;
  /**
   * A connection's data key is reused only while younger than this many seconds.
   * @default 86400
   */
  readonly dataKeyMaxAgeSeconds?: number;
  /**
   * Most refresh-worker invocations at once (the SQS event source's `MaximumConcurrency`, 2 to 1,000), each with
   * up to 10 refreshes in flight: about 24 refreshes per second each at 0.4 s per refresh. It bounds the load on the
   * provider; raise it when the `RefreshBacklogAge` alarm fires without provider errors.
   * @default 2
   */
  readonly refreshWorkerMaxConcurrency?: number;
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
   * Retention of the audit log group (README "Audit trail"); the group is retained when the stack goes.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly auditLogRetention?: logs.RetentionDays;
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

/** Tunables with defaults applied, checked against each other and against the function timeouts. */
interface Tunables {
  readonly values: TunableValues;
  readonly sweepInterval: Duration;
  readonly sweepMaxEventAge: Duration;
  readonly refreshWorkerMaxConcurrency: number;
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
    throw new TokenVaultConfigError(
      `sweepInterval: ${sweepInterval.toHumanString()} must be a whole number of minutes from 1 to 60.`,
    );
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
  const refreshWorkerMaxConcurrency = props.refreshWorkerMaxConcurrency ?? DEFAULT_WORKER_MAX_CONCURRENCY;
  if (
    !Number.isInteger(refreshWorkerMaxConcurrency) ||
    refreshWorkerMaxConcurrency < 2 ||
    refreshWorkerMaxConcurrency > 1000
  ) {
    throw new TokenVaultConfigError(
      `refreshWorkerMaxConcurrency: ${refreshWorkerMaxConcurrency} must be an integer from 2 to 1000 (the SQS event source's MaximumConcurrency).`,
    );
  }
  // Audit records are INFO lines: a function logging at WARN or above would drop them before CloudWatch.
  const level = props.applicationLogLevel;
  if (
    level !== undefined &&
    ![lambda.ApplicationLogLevel.TRACE, lambda.ApplicationLogLevel.DEBUG, lambda.ApplicationLogLevel.INFO].includes(
      level,
    )
  ) {
    throw new TokenVaultConfigError(
      `applicationLogLevel: ${level} would drop the audit trail's INFO records; use INFO, DEBUG or TRACE.`,
    );
  }
  if (props.alarmTopic !== undefined && props.alarmEmail !== undefined) {
    throw new TokenVaultConfigError(
      'alarmTopic and alarmEmail are mutually exclusive: subscribe the address to your topic yourself.',
    );
  }
  if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
    throw new TokenVaultConfigError(`alarmEmail: "${props.alarmEmail}" is not an e-mail address.`);
  }
  return {
    values: tunables,
    sweepInterval,
    // EventBridge accepts 60 s at least; an event older than one interval is superseded by the next sweep.
    sweepMaxEventAge: Duration.seconds(Math.max(60, sweepInterval.toSeconds() - 60)),
    refreshWorkerMaxConcurrency,
  };
}
