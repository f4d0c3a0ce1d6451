/** Test helpers for the pending provider revocations stored beside a user's connections. */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import type { Vault } from './vault';

/**
 * As if the backoff of the user's pending provider revocations had passed: each becomes due now, so the next sweep
 * hands it to the worker. Answers how many there were.
 */
export async function makePendingRevocationsDue(vault: Vault, userId: string): Promise<number> {
  const { Items = [] } = await vault.resources.doc.send(
    new QueryCommand({
      TableName: vault.resources.connectionsTable,
      KeyConditionExpression: 'userId = :u AND begins_with(applicationId, :p)',
      ExpressionAttributeValues: { ':u': userId, ':p': RESERVED_KEYS.PENDING_REVOCATION_PREFIX },
      ConsistentRead: true,
    }),
  );
  for (const item of Items) {
    await vault.resources.doc.send(
      new UpdateCommand({
        TableName: vault.resources.connectionsTable,
        Key: { userId, applicationId: item.applicationId as string },
        UpdateExpression: 'SET refreshDueAt = :now',
        ExpressionAttributeValues: { ':now': Date.now() },
      }),
    );
  }
  return Items.length;
}
