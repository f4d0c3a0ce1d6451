/**
 * Per-test-file AWS resources in the shared emulator: each call provisions a fresh set under a random prefix,
 * so test files in parallel workers never see each other's tables, keys or secrets.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../../local/aws-clients';
import { provisionResources, type ProvisionedResources } from '../../local/provision';

export interface TestApplicationSecret {
  readonly applicationId: string;
  readonly clientSecret: string;
}

export interface FreshResources extends ProvisionedResources {
  /** The random prefix of this set. */
  readonly prefix: string;
  readonly endpoint: string;
  readonly ddb: DynamoDBClient;
  /** Document client over {@link ddb}; removes undefined values like the functions do. */
  readonly doc: DynamoDBDocumentClient;
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  /** Every item of a table in raw AttributeValue form (for "no plaintext token stored" checks). */
  scanAll(tableName: string): Promise<Array<Record<string, AttributeValue>>>;
  /** Closes the clients' sockets; call in afterAll so workers exit cleanly. */
  close(): void;
}

/** Endpoint of the emulator started by test/support/global-setup.ts. */
export function emulatorEndpoint(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set: run the tests through jest (globalSetup starts moto)');
  return endpoint;
}

/** Provisions an isolated set of tables, key and secrets, and returns them with ready clients. */
export async function freshResources(
  applications: readonly TestApplicationSecret[] = [{ applicationId: 'default', clientSecret: 'test-client-secret' }],
): Promise<FreshResources> {
  const endpoint = emulatorEndpoint();
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const provisioned = await provisionResources({ endpoint, prefix, applications });
  const config = awsClientConfig(endpoint);
  const ddb = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } });
  const kms = new KMSClient(config);
  const secrets = new SecretsManagerClient(config);

  const scanAll = async (tableName: string): Promise<Array<Record<string, AttributeValue>>> => {
    const items: Array<Record<string, AttributeValue>> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await ddb.send(
        new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  return {
    ...provisioned,
    prefix,
    endpoint,
    ddb,
    doc,
    kms,
    secrets,
    scanAll,
    close: () => {
      // The document client shares ddb's handler; destroying ddb closes both.
      ddb.destroy();
      kms.destroy();
      secrets.destroy();
    },
  };
}
