/**
 * Creates the vault's AWS resources in the emulator from the shared definitions (packages/cdk/src/definitions), so
 * the local tables match the CDK ones by construction.
 */
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { REFRESH_DEAD_LETTER_QUEUE, REFRESH_QUEUE } from '@token-vault/cdk/src/definitions/queues';
import {
  CONNECTIONS_TABLE,
  STATES_TABLE,
  TABLES,
  type KeyAttribute,
  type TableDefinition,
} from '@token-vault/cdk/src/definitions/tables';
import { ENV } from '@token-vault/cdk/src/definitions/env';
import type { ApplicationConfigInput } from '@token-vault/cdk/src/definitions/applications';
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import {
  EVENT_RETRY_RECEIVES,
  EVENT_RETRY_VISIBILITY_SECONDS,
  eventBusName,
} from '@token-vault/cdk/src/definitions/events';
import { awsClientConfig } from './aws-clients';

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

/** Physical table name for a definition: `${prefix}-${def.id}`. */
export function tableName(prefix: string, def: TableDefinition): string {
  return `${prefix}-${def.id}`;
}

/** KMS alias of the vault key. */
export function keyAlias(prefix: string): string {
  return `alias/${prefix}-token-vault`;
}

/**
 * Secret name of an application's client secret. Application ids may contain `:`, which secret names do not
 * allow; `=` is allowed there and cannot occur in an application id, so the mapping is collision-free.
 */
export function clientSecretName(prefix: string, applicationId: string): string {
  return `${prefix}/client-secret/${applicationId.replaceAll(':', '=')}`;
}

/** Translates a {@link TableDefinition} into a CreateTable request (exported so tests can compare). */
export function createTableInput(name: string, def: TableDefinition): CreateTableCommandInput {
  // Every key attribute of the table and its indexes must be declared exactly once.
  const attributes = new Map<string, KeyAttribute>();
  const declare = (a: KeyAttribute | undefined): void => {
    if (a) attributes.set(a.name, a);
  };
  declare(def.partitionKey);
  declare(def.sortKey);
  for (const gsi of def.globalSecondaryIndexes) {
    declare(gsi.partitionKey);
    declare(gsi.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...attributes.values()].map((a) => ({
    AttributeName: a.name,
    AttributeType: a.type,
  }));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
      ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    // DynamoDB rejects an empty list, so omit the field for tables without indexes.
    GlobalSecondaryIndexes: def.globalSecondaryIndexes.length
      ? def.globalSecondaryIndexes.map((gsi) => ({
          IndexName: gsi.indexName,
          KeySchema: [
            { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' as const },
            { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: gsi.projection },
        }))
      : undefined,
  };
}

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

/** The event bus, the retry queue with its dead-letter queue (as the construct makes them) and the tap. */
async function ensureEvents(
  eventBridge: EventBridgeClient,
  sqs: SQSClient,
  prefix: string,
): Promise<
  Pick<ProvisionedResources, 'eventBusArn' | 'eventRetryQueueUrl' | 'eventDeadLetterQueueUrl' | 'eventTapQueueUrl'>
> {
  const busName = eventBusName(prefix);
  let eventBusArn: string | undefined;
  try {
    eventBusArn = (await eventBridge.send(new DescribeEventBusCommand({ Name: busName }))).Arn;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  eventBusArn ??= (await eventBridge.send(new CreateEventBusCommand({ Name: busName }))).EventBusArn;
  if (!eventBusArn) throw new Error(`CreateEventBus ${busName} returned no ARN`);
  // CreateQueue with the same attributes returns the existing queue.
  const queue = async (
    name: string,
    attributes: Record<string, string> = {},
  ): Promise<{ url: string; arn: string }> => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
    if (!url) throw new Error(`CreateQueue ${name} returned no URL`);
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn;
    if (!arn) throw new Error(`GetQueueAttributes ${name} returned no ARN`);
    return { url, arn };
  };
  const deadLetters = await queue(`${prefix}-event-dead-letters`);
  const retries = await queue(`${prefix}-event-retries`, {
    VisibilityTimeout: String(EVENT_RETRY_VISIBILITY_SECONDS),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: EVENT_RETRY_RECEIVES }),
  });
  const tap = await queue(`${prefix}-events-tap`);
  const rule = `${prefix}-events-tap`;
  await eventBridge.send(
    new PutRuleCommand({
      Name: rule,
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: ['token-vault'] }),
      State: 'ENABLED',
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: rule, EventBusName: busName, Targets: [{ Id: 'tap', Arn: tap.arn }] }),
  );
  return {
    eventBusArn,
    eventRetryQueueUrl: retries.url,
    eventDeadLetterQueueUrl: deadLetters.url,
    eventTapQueueUrl: tap.url,
  };
}

async function ensureTable(ddb: DynamoDBClient, name: string, def: TableDefinition): Promise<void> {
  try {
    await ddb.send(new CreateTableCommand(createTableInput(name, def)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  // moto creates tables ACTIVE at once; the waiter keeps this correct against anything slower.
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
  if (def.timeToLiveAttribute) {
    // UpdateTimeToLive fails when TTL is already enabled, so look first.
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await ddb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
        }),
      );
    }
  }
}

/** The refresh work queue with its dead-letter queue and redrive policy, as the construct builds them. */
async function ensureQueues(
  sqs: SQSClient,
  prefix: string,
  visibilitySeconds: number,
): Promise<{ refreshQueueUrl: string; refreshDeadLetterQueueUrl: string }> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-${REFRESH_DEAD_LETTER_QUEUE.id}`,
      Attributes: { MessageRetentionPeriod: String(REFRESH_DEAD_LETTER_QUEUE.retentionSeconds) },
    }),
  );
  if (!dlq.QueueUrl) throw new Error('CreateQueue returned no URL');
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-${REFRESH_QUEUE.id}`,
      Attributes: {
        VisibilityTimeout: String(visibilitySeconds),
        MessageRetentionPeriod: String(REFRESH_QUEUE.retentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: REFRESH_QUEUE.maxReceiveCount,
        }),
      },
    }),
  );
  if (!queue.QueueUrl) throw new Error('CreateQueue returned no URL');
  return { refreshQueueUrl: queue.QueueUrl, refreshDeadLetterQueueUrl: dlq.QueueUrl };
}

async function ensureKey(kms: KMSClient, alias: string): Promise<string> {
  try {
    const existing = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    if (existing.KeyMetadata?.Arn) return existing.KeyMetadata.Arn;
  } catch (err) {
    if (!(err instanceof NotFoundException)) throw err;
  }
  const created = await kms.send(
    new CreateKeyCommand({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Description: 'token-vault data-key wrapping key (local)',
    }),
  );
  const arn = created.KeyMetadata?.Arn;
  if (!arn) throw new Error('CreateKey returned no key ARN');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
  return arn;
}

async function ensureSecrets(
  secrets: SecretsManagerClient,
  prefix: string,
  applications: ProvisionOptions['applications'],
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    applications.map(async ({ applicationId, clientSecret }): Promise<[string, string]> => {
      const name = clientSecretName(prefix, applicationId);
      try {
        const created = await secrets.send(new CreateSecretCommand({ Name: name, SecretString: clientSecret }));
        if (!created.ARN) throw new Error(`CreateSecret ${name} returned no ARN`);
        return [applicationId, created.ARN];
      } catch (err) {
        if (!(err instanceof ResourceExistsException)) throw err;
      }
      // Reuse: keep the ARN stable, make the given value current.
      await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: clientSecret }));
      const described = await secrets.send(new DescribeSecretCommand({ SecretId: name }));
      if (!described.ARN) throw new Error(`DescribeSecret ${name} returned no ARN`);
      return [applicationId, described.ARN];
    }),
  );
  return Object.fromEntries(entries);
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
