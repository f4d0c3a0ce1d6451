/** The symmetric KMS key that wraps the data keys, found again by its alias. */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  NotFoundException,
  type KMSClient,
} from '@aws-sdk/client-kms';

export async function ensureKey(kms: KMSClient, alias: string): Promise<string> {
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
