/** Stateful stack: tables, envelope key and client secrets, retained and termination-protected. */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TokenVaultData, type TokenVaultDataProps } from '../constructs/token-vault-data';

/** Props of {@link TokenVaultDataStack}: a stack's props and the data's. */
export interface TokenVaultDataStackProps extends StackProps, TokenVaultDataProps {}

/**
 * The stateful stack: tables, envelope key and client secrets ({@link TokenVaultData}), retained and
 * termination-protected, with the secrets' ARNs, the connections table's name and the key's ARN as outputs.
 */
export class TokenVaultDataStack extends Stack {
  /** The stateful resources; hand them to a {@link TokenVaultServiceStack}. */
  public readonly data: TokenVaultData;

  public constructor(scope: Construct, id: string, props: TokenVaultDataStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    this.data = new TokenVaultData(this, 'Data', props);
    let index = 0;
    for (const [applicationId, secret] of Object.entries(this.data.clientSecrets)) {
      new CfnOutput(this, `ClientSecretArn${index++}`, {
        description: `Put the client secret of application "${applicationId}" here: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string ...`,
        value: secret.secretArn,
      });
    }
    new CfnOutput(this, 'ConnectionsTableName', { value: this.data.connectionsTable.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.data.key.keyArn });
  }
}
