/**
 * The vault's stateful half: tables, the envelope key and the client secrets. It lives apart from the functions
 * (its own stack in infra/app.ts) so that the stateless half can be replaced, renamed or torn down without
 * touching stored tokens.
 */
import { Aws, Names, RemovalPolicy, Stack, Validations, ArnFormat } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionKey } from '../definitions/functions';
import { CONNECTIONS_TABLE, STATES_TABLE } from '../definitions/tables';
import { functionsWithKeyUsage } from '../definitions/access';
import { applicationIdOf, validateApplications } from './application-config';
import type { TokenVaultApplication } from './applications';
import { EnvelopeKey } from './envelope-key';
import { TokenVaultConfigError } from './errors';
import { createVaultTable, type VaultTableEncryption } from './vault-tables';
import type { VaultFunctionKey } from './vault-function';

/** Vault names: they prefix the function role names (IAM: 64 characters at most, region included). */
const VAULT_NAME = /^[A-Za-z0-9-]{1,32}$/;

/** Props of {@link TokenVaultData}. */
export interface TokenVaultDataProps {
  /** The OAuth applications; each gets a client secret here unless it names an existing one. */
  readonly applications: TokenVaultApplication[];
  /**
   * Short name of this vault (1-32 chars of `[A-Za-z0-9-]`). The function roles are named
   * `NAME-FUNCTION-REGION` so that the key policy, deployed before them, can name them; two vaults in one account
   * and region need different names.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * What happens to tables, key and secrets when they leave the stack.
   * @default RemovalPolicy.RETAIN (tables also deletion-protected)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Table encryption at rest. The tokens inside are envelope-encrypted under the vault key either way; the AWS
   * managed key adds CloudTrail records of DynamoDB's key use at the price of KMS requests.
   * @default dynamodb.TableEncryption.DEFAULT (AWS owned key)
   */
  readonly tableEncryption?: VaultTableEncryption;
}

/**
 * The vault's stateful half: the connections and OAuth-state tables, the envelope key and one client secret per
 * application (created, or an existing one by ARN), all retained by default. Kept apart from the functions so that
 * the stateless half can be replaced without touching stored tokens.
 */
export class TokenVaultData extends Construct {
  /** Short name of the vault (see {@link TokenVaultDataProps.name}). */
  public readonly name: string;
  /** The applications, as given. */
  public readonly applications: TokenVaultApplication[];
  /** Connections: encrypted tokens, counters and revocation records ({@link CONNECTIONS_TABLE}). */
  public readonly connectionsTable: dynamodb.Table;
  /** Pending authorization requests ({@link STATES_TABLE}). */
  public readonly statesTable: dynamodb.Table;
  /** Customer managed key wrapping the per-connection data keys. */
  public readonly key: kms.Key;
  private readonly secrets = new Map<string, secretsmanager.ISecret>();

  public constructor(scope: Construct, id: string, props: TokenVaultDataProps) {
    super(scope, id);
    validateApplications(props.applications);
    this.name = props.name ?? Names.uniqueResourceName(this, { maxLength: 24, separator: '-' });
    if (!VAULT_NAME.test(this.name)) {
      throw new TokenVaultConfigError(`name: "${this.name}" must be 1-32 characters of [A-Za-z0-9-].`);
    }
    this.applications = props.applications;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tableOptions = {
      removalPolicy,
      ...(props.tableEncryption !== undefined ? { encryption: props.tableEncryption } : {}),
    };
    this.connectionsTable = createVaultTable(this, CONNECTIONS_TABLE, tableOptions);
    this.statesTable = createVaultTable(this, STATES_TABLE, tableOptions);

    this.key = new EnvelopeKey(this, 'EnvelopeKey', {
      users: {
        decrypt: functionsWithKeyUsage('kms:Decrypt').map((fn) => this.functionRoleArn(fn as VaultFunctionKey)),
        generateDataKey: functionsWithKeyUsage('kms:GenerateDataKey').map((fn) =>
          this.functionRoleArn(fn as VaultFunctionKey),
        ),
      },
      aliasName: `alias/token-vault/${this.name}`,
      removalPolicy,
    }).key;

    for (const app of props.applications) {
      const applicationId = applicationIdOf(app);
      if (app.clientSecretArn !== undefined) {
        this.secrets.set(
          applicationId,
          secretsmanager.Secret.fromSecretCompleteArn(this, `ClientSecret-${applicationId}`, app.clientSecretArn),
        );
        continue;
      }
      // No value in the template: CloudFormation generates a random placeholder that the operator replaces
      // with `aws secretsmanager put-secret-value`. Encrypted with the AWS managed key (aws/secretsmanager):
      // the vault key's policy admits only the vault's own encryption context.
      const secret = new secretsmanager.Secret(this, `ClientSecret-${applicationId}`, {
        description: `token-vault "${this.name}": OAuth client secret of application "${applicationId}" (plain string)`,
        generateSecretString: { passwordLength: 32, excludePunctuation: true },
        removalPolicy,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An OAuth client secret is issued by the provider; it is rotated there and then put here, so a rotation Lambda cannot rotate it.',
      });
      this.secrets.set(applicationId, secret);
    }
  }

  /** Client secret of an application. */
  public clientSecret(applicationId: string): secretsmanager.ISecret {
    const secret = this.secrets.get(applicationId);
    if (secret === undefined) {
      throw new TokenVaultConfigError(
        `No application "${applicationId}" in this vault (known: ${[...this.secrets.keys()].join(', ')}).`,
      );
    }
    return secret;
  }

  /** All client secrets, by application id. */
  public get clientSecrets(): { [applicationId: string]: secretsmanager.ISecret } {
    return Object.fromEntries(this.secrets);
  }

  /**
   * Name of the execution role of a vault function. Region-qualified because IAM names are global to the
   * account; `Aws.REGION` (not the stack's scoped region) so that another stack can use it without an export.
   */
  public functionRoleName(fn: VaultFunctionKey): string {
    return `${this.name}-${FUNCTIONS[fn as FunctionKey].name}-${Aws.REGION}`;
  }

  /** ARN of the execution role of a vault function (the role may not exist yet). */
  public functionRoleArn(fn: VaultFunctionKey): string {
    return Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: this.functionRoleName(fn),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
