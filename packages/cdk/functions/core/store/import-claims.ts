/**
 * Claims of imports in flight, so that two runs of the same import (an SDK retry of a reset Invoke while the
 * first run still waits on the provider) never both present the given refresh token: presenting it twice is reuse,
 * and a provider with reuse detection then revokes the grant the first run stores. A run claims the token's
 * fingerprint (import-fingerprint.ts; never the token) before the provider call and deletes its claim when done;
 * a crashed run's claim ends at its expiry (a whole import's time), which TTL then cleans up. Lives in the states
 * table, told apart by the `import#` prefix of its key.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATES_TABLE } from '../../../src/definitions/tables';
import type { Deadline } from '../time/deadline';
import { Table, type DocumentClient } from './table';

function claimKey(fingerprint: string): Record<string, string> {
  return { [STATES_TABLE.partitionKey.name]: `import#${fingerprint}` };
}

export class ImportClaims {
  private readonly table: Table;

  /**
   * @param options the document client, the states table's name, and the longest one call may take
   * @param now the clock of a claim's expiry, in epoch milliseconds; by default `Date.now`
   */
  constructor(
    options: { client: DocumentClient; tableName: string; callTimeoutMs: number },
    private readonly now: () => number = Date.now,
  ) {
    this.table = new Table(options.client, options.tableName, options.callTimeoutMs);
  }

  /**
   * Claims `fingerprint` for `ttlMs` under this run's `claim` id; false when another run holds it. A claim whose
   * answer was lost is this run's own: the SDK's retry meets it, and it is recognised by the id.
   */
  async claim(fingerprint: string, claim: string, ttlMs: number, deadline: Deadline): Promise<boolean> {
    const now = this.now();
    return this.table.sendIfAllowed(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...claimKey(fingerprint),
          kind: 'import_claim',
          claimId: claim,
          expiresAt: now + ttlMs,
          [STATES_TABLE.timeToLiveAttribute]: Math.ceil((now + ttlMs) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR expiresAt < :now OR claimId = :claim',
        ExpressionAttributeNames: { '#pk': STATES_TABLE.partitionKey.name },
        ExpressionAttributeValues: { ':now': now, ':claim': claim },
      }),
      deadline,
      'PutItem import claim',
    );
  }

  /** Ends this run's claim (another run's, taken after this one expired, stays). */
  async release(fingerprint: string, claim: string, deadline: Deadline): Promise<void> {
    await this.table.sendIfAllowed(
      new DeleteCommand({
        TableName: this.table.name,
        Key: claimKey(fingerprint),
        ConditionExpression: 'claimId = :claim',
        ExpressionAttributeValues: { ':claim': claim },
      }),
      deadline,
      'DeleteItem import claim',
    );
  }
}
