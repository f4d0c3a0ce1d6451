/**
 * `TokenVault`: the whole vault as one construct for your own CDK app. It builds the functions, the callback
 * HTTP API and the refresh schedule, and either builds the stateful resources ({@link TokenVaultData}) itself or
 * uses ones you built in another stack (as infra/app.ts does).
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SCOPED_FUNCTION_KEYS, type ScopedFunctionKey } from '../definitions/aliases';
import { ENV } from '../definitions/env';
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import { TUNABLES, type TunableName } from '../definitions/tunables';
import { FUNCTION_ACCESS, FUNCTION_KEYS } from '../definitions/access';
import { AlarmTopic } from './alarm-topic';
import {
  applicationIdOf,
  estimateApplicationsJsonBytes,
  toApplicationConfigs,
  validateApplications,
} from './application-config';
import { addAuditTrail } from './audit-trail';
import { CallbackApi } from './callback-api';
import { ConnectionEvents } from './connection-events';
import { DeadLetterQueue } from './dead-letter-queue';
import { TokenVaultConfigError } from './errors';
import { bindAccess, type VaultResources } from './function-bindings';
import { VaultMonitoring } from './monitoring';
import { RefreshQueue } from './refresh-queue';
import { ScheduledInvocation } from './scheduled-invocation';
import { TokenVaultData } from './token-vault-data';
import { ProactiveRefreshPolicy, validateOptions } from './token-vault-options';
import type { ApplicationScope, ScopedFunction, TokenVaultProps } from './token-vault-props';
import { VaultFunction, type VaultFunctionKey, type VaultFunctions } from './vault-function';

/** Payload of the scheduled refresh sweep (the `refresh-sweep` function's input). */
export const SWEEP_PAYLOAD = { sweep: true } as const;

/** Lambda's limit on the total size of a function's environment variables. */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
/** Room kept for the other variables (names, table names, key ARN, tunables). */
const OTHER_VARIABLES_BUDGET_BYTES = 1024;

/**
 * The whole vault: the functions (connect, callback, token-fetch, refresh, revoke, complete, status, import, refresh-sweep,
 * refresh-worker and the audit forwarder; prebuilt, nodejs24.x on
 * arm64, each with a role of its own), the callback HTTP API, the proactive refresh schedule with its dead-letter
 * queue, the dashboard and alarms, and the stateful resources: built here from `applications`, or handed in as
 * `data` (a {@link TokenVaultData} in another stack). Other Lambdas get access with `grantFetch`, `grantRefresh`,
 * `grantConnect`, `grantComplete` and `grantRevoke`.
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
  /** Proactive refresh sweep (the schedule invoking `refresh-sweep`). */
  public readonly refreshSweep: ScheduledInvocation;
  /** The work queue between the sweep and the refresh worker. */
  public readonly refreshQueue: RefreshQueue;
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
  /** The audit trail's log group: one record per token handed out or changed (README "Audit trail"). */
  public readonly auditLogGroup: logs.ILogGroup;

  public constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    const tunables = validateOptions(props);
    const returnTo = props.returnTo ?? [];
    if (
      props.data !== undefined &&
      (props.applications !== undefined ||
        props.name !== undefined ||
        props.removalPolicy !== undefined ||
        props.tableEncryption !== undefined)
    ) {
      throw new TokenVaultConfigError(
        'With `data`, leave out applications, name, removalPolicy and tableEncryption: they belong to the TokenVaultData.',
      );
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

    const environment = {
      ...Object.fromEntries(
        (Object.keys(TUNABLES) as TunableName[]).map((name) => [TUNABLES[name].env, String(tunables.values[name])]),
      ),
      [ENV.PROACTIVE_REFRESH]: props.proactiveRefresh ?? ProactiveRefreshPolicy.USED,
    };
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
    // Scoped callers: one alias per application on token-fetch, refresh and revoke (README "Scoping callers").
    for (const key of SCOPED_FUNCTION_KEYS) functions[key].addApplicationAliases(applications.map(applicationIdOf));

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
    this.connectionEvents = new ConnectionEvents(this, 'ConnectionEvents', {
      vaultName: this.data.name,
      ...(props.eventBus !== undefined ? { eventBus: props.eventBus } : {}),
    });
    this.eventBus = this.connectionEvents.eventBus;
    const resources: VaultResources = {
      statesTable: this.data.statesTable,
      connectionsTable: this.data.connectionsTable,
      key: this.data.key,
      applicationsJson,
      clientSecrets: Object.values(this.data.clientSecrets),
      connectionEvents: this.connectionEvents,
    };
    for (const key of FUNCTION_KEYS) bindAccess(functions[key], FUNCTION_ACCESS[key], resources);

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');
    this.refreshQueue = new RefreshQueue(this, 'RefreshQueue', {
      sweep: functions.sweep.function,
      worker: functions.refreshWorker.function,
      maxConcurrency: tunables.refreshWorkerMaxConcurrency,
    });
    // The rule is the sweep's only invoker: its Lambda permission names the rule as SourceArn, and no grant
    // method of this construct reaches the sweep.
    this.refreshSweep = new ScheduledInvocation(this, 'RefreshSweep', {
      target: functions.sweep.function,
      schedule: events.Schedule.rate(tunables.sweepInterval),
      payload: SWEEP_PAYLOAD,
      deadLetterQueue: this.deadLetterQueue.queue,
      description: 'token-vault: refresh access tokens ahead of expiry',
      maxEventAge: tunables.sweepMaxEventAge,
    });
    // A failed sweep is not retried by Lambda: the next sweep picks the same connections up. Failures are kept.
    functions.sweep.function.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: tunables.sweepMaxEventAge,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue.queue),
    });

    this.auditLogGroup = addAuditTrail(this, {
      functions,
      retention: props.auditLogRetention ?? logs.RetentionDays.ONE_YEAR,
      deadLetterQueue: this.deadLetterQueue.queue,
    });

    this.alarmTopic =
      props.alarmTopic ??
      (props.alarmEmail !== undefined ? new AlarmTopic(this, 'Alarms', { email: props.alarmEmail }).topic : undefined);
    this.monitoring = new VaultMonitoring(this, 'Monitoring', {
      functions,
      applicationIds: applications.map(applicationIdOf),
      deadLetterQueue: this.deadLetterQueue.queue,
      refreshQueue: this.refreshQueue.queue,
      refreshDeadLetterQueue: this.refreshQueue.deadLetterQueue,
      eventDeadLetterQueue: this.connectionEvents.deadLetterQueue,
      ...(this.alarmTopic !== undefined ? { alarmTopic: this.alarmTopic } : {}),
    });
  }

  /** Lets `grantee` call the connect function (lambda:InvokeFunction on its ARN). */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    return this.functions.connect.grantInvoke(grantee);
  }

  /**
   * Lets `grantee` call token-fetch. With `scope`, for those applications only: the grant names their aliases'
   * ARNs (IAM refuses any other), and the function serves an alias's application only.
   */
  public grantFetch(grantee: iam.IGrantable, scope?: ApplicationScope): iam.Grant {
    return this.functions.tokenFetch.grantInvoke(grantee, scope?.applications);
  }

  /** Lets `grantee` call refresh (after a 401 `invalid_token`); `scope` as in {@link grantFetch}. */
  public grantRefresh(grantee: iam.IGrantable, scope?: ApplicationScope): iam.Grant {
    return this.functions.refresh.grantInvoke(grantee, scope?.applications);
  }

  /**
   * The alias of one application on a scoped function, e.g. to set a caller's function ARN. Its ARN is the
   * function's ARN followed by `:app-<applicationId>` (README "Scoping callers to applications").
   */
  public aliasFor(fn: ScopedFunction, applicationId: string): lambda.IAlias {
    return this.functions[fn as unknown as ScopedFunctionKey].aliasFor(applicationId);
  }

  /**
   * Lets `grantee` call complete: the application backend that serves the `returnTo` page of session-bound
   * applications (README "Session binding").
   */
  public grantComplete(grantee: iam.IGrantable): iam.Grant {
    return this.functions.complete.grantInvoke(grantee);
  }

  /** Lets `grantee` call revoke; `scope` as in {@link grantFetch}. */
  public grantRevoke(grantee: iam.IGrantable, scope?: ApplicationScope): iam.Grant {
    return this.functions.revoke.grantInvoke(grantee, scope?.applications);
  }

  /**
   * Lets `grantee` call import: store refresh tokens issued elsewhere as connections (migrations). Give it to a
   * migration job only, never to a normal caller.
   */
  public grantImport(grantee: iam.IGrantable): iam.Grant {
    return this.functions.importConnection.grantInvoke(grantee);
  }

  /** Lets `grantee` call status (a user's connections and their state; never a token); `scope` as in {@link grantFetch}. */
  public grantStatus(grantee: iam.IGrantable, scope?: ApplicationScope): iam.Grant {
    return this.functions.status.grantInvoke(grantee, scope?.applications);
  }
}
