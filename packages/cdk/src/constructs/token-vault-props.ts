/**
 * The props of {@link TokenVault}, and the per-application scope of its grants.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { ScopedFunctionKey } from '../definitions/aliases';
import type { TokenVaultApplication } from './applications';
import type { TokenVaultData } from './token-vault-data';
import type { TokenVaultOptions } from './token-vault-options';
import type { Assert, Same } from './type-checks';
import type { VaultTableEncryption } from './vault-tables';

/** The functions callers can be scoped on, per application. */
export enum ScopedFunction {
  /** `token-fetch` */
  TOKEN_FETCH = 'tokenFetch',
  /** `refresh` */
  REFRESH = 'refresh',
  /** `revoke` */
  REVOKE = 'revoke',
  /** `status` */
  STATUS = 'status',
}

/** The enum's values are the shared SCOPED_FUNCTION_KEYS (compile-time check). */
export type ScopedFunctionAgreement = Assert<Same<`${ScopedFunction}`, ScopedFunctionKey>>;

/** Which applications a grant covers (`grantFetch(fn, { applications: ['crm'] })`). */
export interface ApplicationScope {
  /**
   * Application ids; the grant allows these applications' aliases only. Optional only because jsii lifts a trailing
   * struct into keyword arguments (Python `grant_fetch(fn)` must stay valid); an empty list is refused at synthesis.
   * @default - unscoped: the function itself (the vault's own use)
   */
  readonly applications?: string[];
}

/**
 * Either the stateful resources built elsewhere (`data`), or what the vault needs to build them
 * (`applications`, and optionally `name`, `removalPolicy`, `tableEncryption`). Checked at synthesis.
 */
export interface TokenVaultProps extends TokenVaultOptions {
  /**
   * Stateful resources built elsewhere, e.g. by a {@link TokenVaultDataStack} with termination protection. With
   * `data`, leave out `applications`, `name`, `removalPolicy` and `tableEncryption` (they are the data's; giving
   * them too fails the synthesis).
   * @default - built by the vault from `applications`
   */
  readonly data?: TokenVaultData;
  /**
   * The OAuth applications, one per client registration at a provider; each gets a client secret unless it names
   * an existing one. Required unless `data` is given.
   * @default - those of `data`
   */
  readonly applications?: TokenVaultApplication[];
  /**
   * Short name of this vault (1-32 chars of `[A-Za-z0-9-]`). The function roles are named `NAME-FUNCTION-REGION`
   * so that the key policy can name them; two vaults in one account and region need different names. Only without
   * `data`.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * What happens to the tables, the key and the secrets when they leave the stack. Only without `data`.
   * @default RemovalPolicy.RETAIN (tables also deletion-protected)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Table encryption at rest; the tokens inside are envelope-encrypted under the vault key either way. Only without
   * `data`.
   * @default VaultTableEncryption.AWS_OWNED
   */
  readonly tableEncryption?: VaultTableEncryption;
}
