/**
 * What the refresh core needs of an application's provider: its client secret and its token and revocation
 * endpoints. The vault layer implements it over the application registry and Secrets Manager, so the refresh
 * core depends on this interface only (imports point down).
 */
import type { TokenResponse } from '../oauth/types';
import type { Deadline } from '../time/deadline';

/** The bounds of one provider call. */
export interface ProviderCallOptions {
  /** Ends the call when the invocation must answer. */
  readonly signal: AbortSignal;
  /** Longest the call may take. */
  readonly timeoutMs: number;
}

export interface ProviderGateway {
  /** The application's client secret; `fresh` bypasses the cache (after `invalid_client`). */
  clientSecret(applicationId: string, deadline: Deadline, fresh?: boolean): Promise<string>;
  /** One refresh request. @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  refresh(
    applicationId: string,
    refreshToken: string,
    clientSecret: string,
    options: ProviderCallOptions,
  ): Promise<TokenResponse>;
  /** Whether a refresh token a reconnect replaces is revoked (the provider makes one grant per authorization). */
  revokesReplacedRefreshTokens(applicationId: string): boolean;
  /** One revocation request. @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1 */
  revoke(
    applicationId: string,
    refreshToken: string,
    clientSecret: string,
    options: ProviderCallOptions,
  ): Promise<void>;
}
