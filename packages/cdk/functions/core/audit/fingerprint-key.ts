/**
 * The audit trail's fingerprint key: 32 random bytes per deployment, made once as a KMS data key under the vault
 * key (so it costs nothing fixed and needs no permission the token functions lack), stored wrapped in the
 * connections table, unwrapped once per container. Two cold containers racing to make it agree through a
 * conditional put: the loser reads the winner's.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { FINGERPRINT_KEY_ITEM } from '../../../src/definitions/audit';
import type { EnvelopeCipher } from '../crypto/envelope';
import { StoreError } from '../store/errors';
import type { Table } from '../store/table';
import type { Deadline } from '../time/deadline';

const KEY = { userId: FINGERPRINT_KEY_ITEM.userId, applicationId: FINGERPRINT_KEY_ITEM.applicationId };

export class FingerprintKeyLoader {
  constructor(
    private readonly table: Table,
    private readonly cipher: EnvelopeCipher,
  ) {}

  /** The key's plaintext; made and stored when no function has made it yet. */
  async load(deadline: Deadline): Promise<Buffer> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const stored = await this.read(deadline);
      if (stored !== undefined) return this.cipher.unwrapKey(KEY, stored, deadline);
      const made = await this.cipher.newDataKey(KEY, deadline);
      try {
        await this.table.send(
          new PutCommand({
            TableName: this.table.name,
            Item: { ...KEY, encryptedDataKey: made.encrypted, createdAt: new Date().toISOString() },
            ConditionExpression: 'attribute_not_exists(userId)',
          }),
          deadline,
          'put fingerprint key',
        );
        return made.plaintext;
      } catch (error) {
        made.plaintext.fill(0);
        // Another container stored its key first: use that one.
        if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
      }
    }
    throw new StoreError('unavailable', 'The fingerprint key could not be read or made.');
  }

  private async read(deadline: Deadline): Promise<Uint8Array | undefined> {
    const out = await this.table.send<{ Item?: Record<string, unknown> }>(
      new GetCommand({ TableName: this.table.name, Key: KEY, ConsistentRead: true }),
      deadline,
      'GetItem fingerprint key',
    );
    const wrapped = out.Item?.encryptedDataKey;
    return wrapped instanceof Uint8Array ? wrapped : undefined;
  }
}
