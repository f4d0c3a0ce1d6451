/** Secrets Manager as the vault uses it: GetSecretValue of a string secret, whose value an operator may rotate. */
import { awsError } from './kms-model';

interface SecretsCommand {
  readonly constructor: { readonly name: string };
  readonly input: Record<string, unknown>;
}

export class SecretsModel {
  private readonly values = new Map<string, { value: string; version: number }>();
  calls = 0;

  put(secretId: string, value: string): void {
    const version = (this.values.get(secretId)?.version ?? 0) + 1;
    this.values.set(secretId, { value, version });
  }

  apply(command: SecretsCommand): Record<string, unknown> {
    if (command.constructor.name !== 'GetSecretValueCommand')
      throw awsError('UnsupportedOperationException', 'not modelled');
    this.calls++;
    const id = String(command.input.SecretId);
    const entry = this.values.get(id);
    if (!entry) throw awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      ARN: id,
      Name: id,
      SecretString: entry.value,
      VersionId: `v${entry.version}`,
      VersionStages: ['AWSCURRENT'],
    };
  }
}
