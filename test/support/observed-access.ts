/**
 * The AWS requests a function sent (./aws-requests.ts), in FUNCTION_ACCESS's terms (packages/cdk/src/definitions/
 * access.ts): which item actions on which table, which indexes, which key operations, whether it read client secrets,
 * published or drained lifecycle events. Requests no row can grant are listed under `other`.
 */
import type { FunctionAccess } from '@token-vault/cdk/src/definitions/access';
import type { AwsRequest } from './aws-requests';
import type { Vault } from './vault';

/** What a function was seen doing, in FUNCTION_ACCESS's terms; `other`: requests no row can grant. */
export interface ObservedAccess {
  statesTable: string[];
  connectionsTable: string[];
  connectionsIndexes: string[];
  key: string[];
  readsClientSecrets: boolean;
  publishesEvents: boolean;
  drainsEventRetries: boolean;
  other: string[];
}

/** The item action IAM checks for each part of a DynamoDB transaction. */
const TRANSACTION_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

export function observe(requests: readonly AwsRequest[], vaults: readonly Vault[]): ObservedAccess {
  const states = new Set(vaults.map((v) => v.resources.statesTable));
  const connections = new Set(vaults.map((v) => v.resources.connectionsTable));
  const retryQueues = new Set(vaults.map((v) => v.resources.eventRetryQueueUrl));
  const seen = {
    statesTable: new Set<string>(),
    connectionsTable: new Set<string>(),
    connectionsIndexes: new Set<string>(),
    key: new Set<string>(),
    other: new Set<string>(),
  };
  const flags = { readsClientSecrets: false, publishesEvents: false, drainsEventRetries: false };
  const onTable = (table: unknown, action: string): void => {
    if (states.has(String(table))) seen.statesTable.add(action);
    else if (connections.has(String(table))) seen.connectionsTable.add(action);
    else seen.other.add(`${action} on ${String(table)}`);
  };
  for (const { target, body } of requests) {
    const [service, operation = ''] = target.split('.');
    if (service === 'DynamoDB_20120810') {
      if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
        for (const item of body.TransactItems as Record<string, { TableName: string }>[]) {
          for (const [kind, part] of Object.entries(item)) onTable(part.TableName, TRANSACTION_ACTIONS[kind]!);
        }
      } else if (operation === 'Query' && typeof body.IndexName === 'string') {
        if (connections.has(String(body.TableName))) seen.connectionsIndexes.add(body.IndexName);
        else seen.other.add(`dynamodb:Query on index ${body.IndexName}`);
      } else {
        onTable(body.TableName, `dynamodb:${operation}`);
      }
    } else if (service === 'TrentService' && (operation === 'Decrypt' || operation === 'GenerateDataKey')) {
      seen.key.add(`kms:${operation}`);
    } else if (service === 'secretsmanager' && operation === 'GetSecretValue') {
      flags.readsClientSecrets = true;
    } else if (service === 'AWSEvents' && operation === 'PutEvents') {
      flags.publishesEvents = true;
    } else if (service === 'AmazonSQS' && retryQueues.has(String(body.QueueUrl))) {
      // IAM authorizes the batch operations by the single ones' actions.
      if (operation === 'SendMessage' || operation === 'SendMessageBatch') flags.publishesEvents = true;
      else if (['ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch'].includes(operation))
        flags.drainsEventRetries = true;
      else seen.other.add(`sqs:${operation} on the event retry queue`);
    } else if (service === 'AmazonSQS') {
      // The refresh queue: RefreshQueue grants the sweep's sends and the worker's event source, not FUNCTION_ACCESS.
    } else {
      seen.other.add(target);
    }
  }
  const sorted = (set: Set<string>): string[] => [...set].sort();
  return {
    statesTable: sorted(seen.statesTable),
    connectionsTable: sorted(seen.connectionsTable),
    connectionsIndexes: sorted(seen.connectionsIndexes),
    key: sorted(seen.key),
    ...flags,
    other: sorted(seen.other),
  };
}

/** A row of FUNCTION_ACCESS in the same shape (nothing granted outside it). */
export function granted(access: FunctionAccess): ObservedAccess {
  return {
    statesTable: [...access.statesTable].sort(),
    connectionsTable: [...access.connectionsTable].sort(),
    connectionsIndexes: [...access.connectionsIndexes].sort(),
    key: [...access.key].sort(),
    readsClientSecrets: access.readsClientSecrets,
    publishesEvents: access.publishesEvents,
    drainsEventRetries: access.drainsEventRetries,
    other: [],
  };
}
