/**
 * The customer managed key that wraps every connection's data key. Its policy is written out in full: the
 * account can administer the key but not use it, and each vault function role may use it only for its own
 * operation (Decrypt for readers, GenerateDataKey for writers) and only with the vault's encryption context.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ENCRYPTION_CONTEXT_KEYS } from '../definitions/encryption';
import type { KeyUsage } from '../definitions/access';

/** Encryption context keys every data key of the vault carries (from src/definitions). */
export const ENCRYPTION_CONTEXT_KEY_NAMES: string[] = Object.values(ENCRYPTION_CONTEXT_KEYS);

/**
 * Conditions that pin a KMS request to the vault's encryption context: only the vault's keys may appear
 * (`ForAllValues`), and each of them must be present (`Null: false`), since `ForAllValues` alone also matches a
 * request without any context.
 */
export function encryptionContextConditions(): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...ENCRYPTION_CONTEXT_KEY_NAMES] },
    Null: Object.fromEntries(ENCRYPTION_CONTEXT_KEY_NAMES.map((name) => [`kms:EncryptionContext:${name}`, 'false'])),
  };
}

/** ARNs of the roles allowed each key operation. */
export interface EnvelopeKeyUsers {
  /** Roles allowed kms:Decrypt. */
  readonly decrypt: string[];
  /** Roles allowed kms:GenerateDataKey. */
  readonly generateDataKey: string[];
}

/** Props of {@link EnvelopeKey}. */
export interface EnvelopeKeyProps {
  /** ARNs of the roles allowed each key operation. Roles may not exist yet (they are matched by `aws:PrincipalArn`). */
  readonly users: EnvelopeKeyUsers;
  /**
   * Alias name, with the `alias/` prefix.
   * @default - no alias
   */
  readonly aliasName?: string;
  /**
   * What happens to the key when it leaves the stack. Without the key, stored refresh tokens cannot be decrypted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The customer managed KMS key that wraps every connection's data key, rotated yearly. Its policy is written out in
 * full: the account may administer the key but not use it, and each listed role may use it only for its own
 * operation and only with the vault's encryption context.
 */
export class EnvelopeKey extends Construct {
  /** The key; grant it through `bindKey` (function-bindings.ts), which adds the same conditions on the role side. */
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string, props: EnvelopeKeyProps) {
    super(scope, id);
    const account = new iam.AccountRootPrincipal();
    const policy = new iam.PolicyDocument();
    for (const [action, roleArns] of [
      ['kms:Decrypt', props.users.decrypt],
      ['kms:GenerateDataKey', props.users.generateDataKey],
    ] as [KeyUsage, string[]][]) {
      if (roleArns.length === 0) continue;
      policy.addStatements(
        new iam.PolicyStatement({
          sid: action === 'kms:Decrypt' ? 'VaultReadersDecrypt' : 'VaultWritersGenerateDataKey',
          principals: [account],
          actions: [action],
          resources: ['*'],
          conditions: {
            // The account principal plus an exact role ARN: the roles live in another stack that deploys later,
            // and KMS refuses a policy that names a principal that does not exist yet.
            ArnEquals: { 'aws:PrincipalArn': [...roleArns] },
            ...encryptionContextConditions(),
          },
        }),
      );
    }
    this.key = new kms.Key(this, 'Key', {
      description: 'token-vault envelope key: wraps the per-connection data keys',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      // A policy of our own replaces CDK's default `kms:*` for the account: `admins` adds the administrative
      // actions only (no Encrypt, Decrypt or GenerateDataKey), so IAM policies alone can never use this key.
      policy,
      admins: [account],
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    if (props.aliasName !== undefined) this.key.addAlias(props.aliasName);
  }
}
