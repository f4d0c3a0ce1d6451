/** The tables, as CreateTable requests translated from their definitions, with time to live where defined. */
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { KeyAttribute, TableDefinition } from '@token-vault/cdk/src/definitions/tables';

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

export async function ensureTable(ddb: DynamoDBClient, name: string, def: TableDefinition): Promise<void> {
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
