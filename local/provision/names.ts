/** The names of the provisioned resources under a prefix (the tests look them up by these). */
import type { TableDefinition } from '@token-vault/cdk/src/definitions/tables';

/** Physical table name for a definition: `${prefix}-${def.id}`. */
export function tableName(prefix: string, def: TableDefinition): string {
  return `${prefix}-${def.id}`;
}

/** KMS alias of the vault key. */
export function keyAlias(prefix: string): string {
  return `alias/${prefix}-token-vault`;
}

/**
 * Secret name of an application's client secret. Application ids may contain `:`, which secret names do not
 * allow; `=` is allowed there and cannot occur in an application id, so the mapping is collision-free.
 */
export function clientSecretName(prefix: string, applicationId: string): string {
  return `${prefix}/client-secret/${applicationId.replaceAll(':', '=')}`;
}
