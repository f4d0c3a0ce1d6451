/**
 * `TokenVault`: the whole vault as one construct for your own CDK app. It builds the functions, the callback
 * HTTP API and the refresh schedule, and either builds the stateful resources ({@link TokenVaultData}) itself or
 * uses ones you built in another stack (as infra/app.ts does).
 */
import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import { CONNECTIONS_TABLE, STATES_TABLE } from '../definitions/tables';
import { bindApplications, bindKey, bindTable } from './vault-function';
import { TUNABLES, type TunableName } from '../definitions/tunables';
import { FUNCTION_ACCESS, FUNCTION_KEYS } from '../definitions/access';
import { AlarmTopic } from './alarm-topic';
import { applicationIdOf, estimateApplicationsJsonBytes, toApplicationConfigs, validateApplications } from './application-config';
import { CallbackApi } from './callback-api';
import { DeadLetterQueue } from './dead-letter-queue';
import { TokenVaultConfigError } from './errors';
import { VaultMonitoring } from './monitoring';
import { ScheduledInvocation } from './scheduled-invocation';
import { TokenVaultData } from './token-vault-data';
import { validateOptions, type TokenVaultOptions } from './token-vault-options';
import type { TokenVaultApplication } from './applications';
import type { VaultTableEncryption } from './vault-tables';
import { VaultFunction, type VaultFunctionKey, type VaultFunctions } from './vault-function';

/** Payload of the scheduled refresh sweep (the refresh function's contract). */
export const SWEEP_PAYLOAD = { sweep: true } as const;

/** Lambda's limit on the total size of a function's environment variables. */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4 * 1024;
/** Room kept for the other variables (names, table names, key ARN, tunables). */
const OTHER_VARIABLES_BUDGET_BYTES = 1024;

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
  /** The five functions. */
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
}
