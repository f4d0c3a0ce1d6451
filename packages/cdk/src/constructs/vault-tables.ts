/**
 * DynamoDB tables built from their definitions in src/definitions/tables.ts (the same definitions the
 * local stack creates its tables from), with the settings a production table needs.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { IndexDefinition, KeyAttribute, TableDefinition } from '../definitions/tables';

/** Table encryption at rest the vault supports (the token material inside is envelope-encrypted anyway). */
export enum VaultTableEncryption {
  /** AWS owned key (DynamoDB's default). */
  AWS_OWNED = 'AWS_OWNED',
  /** AWS managed key (aws/dynamodb): CloudTrail records of DynamoDB's key use. */
  AWS_MANAGED = 'AWS_MANAGED',
}

export interface VaultTableOptions {
  /** @default RemovalPolicy.RETAIN (deletion protection on) */
  readonly removalPolicy?: RemovalPolicy;
  /** @default dynamodb.TableEncryption.DEFAULT (AWS owned key) */
  readonly encryption?: VaultTableEncryption;
}

const ATTRIBUTE_TYPES: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

const PROJECTIONS: Record<IndexDefinition['projection'], dynamodb.ProjectionType> = {
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
  ALL: dynamodb.ProjectionType.ALL,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

/**
 * On-demand table with point-in-time recovery, TTL and the definition's indexes. Retained and
 * deletion-protected unless `removalPolicy` is DESTROY.
 *
 * `dynamodb.Table` (AWS::DynamoDB::Table) rather than `TableV2`: the vault needs no replicas, and cdk-nag's
 * point-in-time-recovery rule checks this resource type.
 */
export function createVaultTable(
  scope: Construct,
  definition: TableDefinition,
  options: VaultTableOptions = {},
): dynamodb.Table {
  const removalPolicy = options.removalPolicy ?? RemovalPolicy.RETAIN;
  const table = new dynamodb.Table(scope, definition.id, {
    partitionKey: attribute(definition.partitionKey),
    ...(definition.sortKey !== undefined ? { sortKey: attribute(definition.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    ...(definition.timeToLiveAttribute !== undefined ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
    encryption:
      options.encryption === VaultTableEncryption.AWS_MANAGED
        ? dynamodb.TableEncryption.AWS_MANAGED
        : dynamodb.TableEncryption.DEFAULT,
    removalPolicy,
  });
  for (const index of definition.globalSecondaryIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      sortKey: attribute(index.sortKey),
      projectionType: PROJECTIONS[index.projection],
    });
  }
  return table;
}
