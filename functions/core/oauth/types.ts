/** Types of the OAuth client: what it needs to talk to one provider, and what it answers. */
import type { RevocationBody, TokenAuthMethod } from '../../definitions/applications';

/** Where the provider is and how it wants to be spoken to. */
export interface ProviderSettings {
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  /** When set, authorization responses must carry this `iss` (RFC 9207). */
  readonly issuer?: string;
  readonly clientId: string;
  readonly redirectUri: string;
  /** @default 'client_secret_post' */
  readonly tokenEndpointAuth: TokenAuthMethod;
  /** @default 'json' (the seed provider's form); `form` is RFC 7009's. */
  readonly revocationBody: RevocationBody;
}

/** A parsed, validated token endpoint answer (RFC 6749 §5.1). Readonly: tokens are never edited. */
export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Seconds; absent when the provider did not say (the caller applies its default lifetime). */
  readonly expiresIn?: number;
  /** Absent when the provider did not rotate: the caller keeps the old one (RFC 6749 §6). */
  readonly refreshToken?: string;
  /** Seconds, from `refresh_token_expires_in` or `refresh_expires_in` when the provider sends one. */
  readonly refreshTokenExpiresIn?: number;
  /** Space-separated granted scopes; absent means "as requested" (RFC 6749 §5.1). */
  readonly scope?: string;
}

/** Injectable dependencies of the client (tests hand in their own `fetch`). */
export interface OAuthClientOptions {
  /** Timeout of each HTTP call, in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly now?: () => number;
}
