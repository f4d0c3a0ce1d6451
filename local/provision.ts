/**
 * Creates the vault's AWS resources in the emulator from the shared definitions (packages/cdk/src/definitions), so
 * the local tables match the CDK ones by construction. One module per kind of resource under ./provision/.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ApplicationConfigInput } from '@token-vault/cdk/src/definitions/applications';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import { REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';
import { CONNECTIONS_TABLE, STATES_TABLE, TABLES } from '@token-vault/cdk/src/definitions/tables';
import { awsClientConfig } from './aws-clients';
import { ensureEvents } from './provision/events';
import { ensureKey } from './provision/key';
import { keyAlias, tableName } from './provision/names';
import { ensureQueues } from './provision/queues';
import { ensureSecrets } from './provision/secrets';
import { ensureTable } from './provision/tables';

export { clientSecretName, keyAlias, tableName } from './provision/names';
export { createTableInput } from './provision/tables';

export interface ProvisionOptions {
  /** Emulator endpoint. */
  readonly endpoint: string;
  /** Name prefix for every resource: letters, digits, `_` and `-` (KMS aliases allow no dots). */
  readonly prefix: string;
  /** One Secrets Manager secret per application, holding its client secret. */
  readonly applications: ReadonlyArray<{ readonly applicationId: string; readonly clientSecret: string }>;
  /**
   * Visibility timeout of the refresh work queue; tests shorten it so that a failed message comes back in seconds.
   * @default REFRESH_QUEUE.visibilityTimeoutSeconds
   */
  readonly queueVisibilitySeconds?: number;
}

export interface ProvisionedResources {
  /** Physical table names. */
  readonly connectionsTable: string;
  readonly statesTable: string;
  /** ARN of the symmetric KMS key. */
  readonly keyId: string;
  /** Secret ARN per application id. */
  readonly secretIds: Readonly<Record<string, string>>;
  /** The refresh work queue and its dead-letter queue (URLs). */
  readonly refreshQueueUrl: string;
  readonly refreshDeadLetterQueueUrl: string;
  /** ARN of the bus the lifecycle events go to. */
  readonly eventBusArn: string;
  /** The event retry queue (and its dead-letter queue, after five receives). */
  readonly eventRetryQueueUrl: string;
  readonly eventDeadLetterQueueUrl: string;
  /**
   * A tap on the bus: a rule matching `source: token-vault` that delivers every event to this SQS queue, read by
   * the local stack's `GET /events` and by the tests. (moto delivers to rule targets when the event is put.)
   */
  readonly eventTapQueueUrl: string;
}

const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Creates (or reuses, when they already exist under this prefix) the two tables, the KMS key with its alias and
 * one secret per application; an existing secret gets the given value as its new version.
 */
export async function provisionResources(opts: ProvisionOptions): Promise<ProvisionedResources> {
  if (!PREFIX_PATTERN.test(opts.prefix)) {
    throw new Error(`invalid prefix ${JSON.stringify(opts.prefix)}: use 1-64 of [A-Za-z0-9_-]`);
  }
  const config = awsClientConfig(opts.endpoint);
  const ddb = new DynamoDBClient(config);
  const kms = new KMSClient(config);
  const secrets = new SecretsManagerClient(config);
  const eventBridge = new EventBridgeClient(config);
  const sqs = new SQSClient(config);
  try {
    // Every table in the definitions, so a table added there exists locally without touching this file.
    const [, keyId, secretIds, queues, events] = await Promise.all([
      Promise.all(TABLES.map((def) => ensureTable(ddb, tableName(opts.prefix, def), def))),
      ensureKey(kms, keyAlias(opts.prefix)),
      ensureSecrets(secrets, opts.prefix, opts.applications),
      ensureQueues(sqs, opts.prefix, opts.queueVisibilitySeconds ?? REFRESH_QUEUE.visibilityTimeoutSeconds),
      ensureEvents(eventBridge, sqs, opts.prefix),
    ]);
    return {
      connectionsTable: tableName(opts.prefix, CONNECTIONS_TABLE),
      statesTable: tableName(opts.prefix, STATES_TABLE),
      keyId,
      secretIds,
      ...queues,
      ...events,
    };
  } finally {
    ddb.destroy();
    kms.destroy();
    secrets.destroy();
    eventBridge.destroy();
    sqs.destroy();
  }
}

/**
 * The functions' environment for provisioned resources and applications (names from definitions/env.ts): what
 * the local stack, the test harness and the benchmark hand to the handlers or a Container.
 */
export function functionEnvironment(
  resources: Pick<ProvisionedResources, 'connectionsTable' | 'statesTable' | 'keyId'> &
    Partial<Pick<ProvisionedResources, 'refreshQueueUrl' | 'eventBusArn' | 'eventRetryQueueUrl'>>,
  applications: readonly ApplicationConfigInput[],
): Record<string, string> {
  return {
    ...(resources.refreshQueueUrl === undefined ? {} : { [ENV.REFRESH_QUEUE_URL]: resources.refreshQueueUrl }),
    [ENV.CONNECTIONS_TABLE]: resources.connectionsTable,
    [ENV.STATES_TABLE]: resources.statesTable,
    [ENV.KEY_ID]: resources.keyId,
    [ENV.APPLICATIONS]: JSON.stringify(applications),
    ...(resources.eventBusArn !== undefined && resources.eventRetryQueueUrl !== undefined
      ? {
          [ENV.EVENT_BUS]: resources.eventBusArn,
          [ENV.EVENT_RETRY_QUEUE]: resources.eventRetryQueueUrl,
          [ENV.VAULT_NAME]: 'local',
        }
      : {}),
  };
}
