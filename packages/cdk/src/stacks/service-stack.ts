/** Stateless stack: functions, callback HTTP API, refresh schedule; replaceable without touching stored tokens. */
import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FUNCTIONS } from '../definitions/functions';
import { FUNCTION_KEYS } from '../definitions/access';
import { TokenVault } from '../constructs/token-vault';
import type { TokenVaultOptions } from '../constructs/token-vault-options';
import type { TokenVaultData } from '../constructs/token-vault-data';

/** Props of {@link TokenVaultServiceStack}: a stack's props, the vault's options and the data. */
export interface TokenVaultServiceStackProps extends StackProps, TokenVaultOptions {
  /** The stateful resources (from the data stack). */
  readonly data: TokenVaultData;
}

/**
 * The stateless stack: a {@link TokenVault} over the data of a {@link TokenVaultDataStack}, with the callback URL and
 * the functions' names and ARNs as outputs. Replaceable without touching stored tokens.
 */
export class TokenVaultServiceStack extends Stack {
  /** The vault (grant callers with its `grantFetch`, ...). */
  public readonly vault: TokenVault;

  public constructor(scope: Construct, id: string, props: TokenVaultServiceStackProps) {
    super(scope, id, props);
    // Strong references (exports): the data stack cannot drop a table, key or secret this stack still uses.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    this.vault = new TokenVault(this, 'Vault', props);
    new CfnOutput(this, 'CallbackUrl', {
      description: 'Register this exact URL as the redirect URI of each OAuth application at the provider',
      value: this.vault.callbackUrl,
    });
    for (const key of FUNCTION_KEYS) {
      const definition = FUNCTIONS[key];
      if (!definition.invokable) continue;
      const fn = this.vault.functions[key].function;
      const outputId = definition.name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
      new CfnOutput(this, `${outputId}FunctionName`, {
        description: `Lambda Invoke name of ${definition.name}`,
        value: fn.functionName,
      });
      new CfnOutput(this, `${outputId}FunctionArn`, {
        description: `ARN of ${definition.name}`,
        value: fn.functionArn,
      });
    }
    new CfnOutput(this, 'AuditLogGroupName', {
      description: 'The audit trail: one record per token handed out or changed (README "Audit trail")',
      value: this.vault.auditLogGroup.logGroupName,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.vault.deadLetterQueue.queue.queueUrl });
    new CfnOutput(this, 'EventBusName', {
      description: 'Bus of the connection lifecycle events (source token-vault)',
      value: this.vault.eventBus.eventBusName,
    });
    new CfnOutput(this, 'EventBusArn', { value: this.vault.eventBus.eventBusArn });
    new CfnOutput(this, 'EventDeadLetterQueueUrl', {
      description: 'Lifecycle events the sweep could not put after 5 attempts',
      value: this.vault.connectionEvents.deadLetterQueue.queueUrl,
    });
  }
}
