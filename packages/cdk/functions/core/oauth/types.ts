/** Types of the OAuth client: what it needs to talk to one provider, and what it answers. */
import type {
  ErrorCodeTarget,
  RevocationBody,
  ScopeSeparator,
  TokenAuthMethod,
} from '../../../src/definitions/applications';

/** Where the provider is and how it wants to be spoken to. */
export interface ProviderSettings {
  /** The provider's authorization endpoint. */
  readonly authorizeUrl: string;
  /** The provider's token endpoint. */
  readonly tokenUrl: string;
  /** Not called when {@link revocationBody} is `none`. */
  readonly revocationUrl: string;
  /**
   * When set, authorization responses must carry this `iss` (RFC 9207).
   * @see https://www.rfc-editor.org/rfc/rfc9207
   */
  readonly issuer?: string;
  /** The vault's client id at the provider. */
  readonly clientId: string;
  /** The vault's callback URL, as registered at the provider. */
  readonly redirectUri: string;
  /**
   * How the client authenticates at the token endpoint (the application's config defaults it).
   * @default 'client_secret_post'
   */
  readonly tokenEndpointAuth: TokenAuthMethod;
  /**
   * `json` (the seed provider's form), `form` (RFC 7009's), or `none` (no revocation endpoint).
   * @see https://www.rfc-editor.org/rfc/rfc7009
   */
  readonly revocationBody: RevocationBody;
  /**
   * Extra authorization request parameters (`prompt`, `access_type`, `audience`, ...), set before the protocol's
   * own so they can never replace one.
   * @default {}
   */
  readonly authorizationParameters?: Readonly<Record<string, string>>;
  /**
   * RFC 8707 resource indicators, sent on the authorization request and on every token request.
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
   * @default []
   */
  readonly resource?: readonly string[];
  /**
   * Joins the scopes of the authorization request; a token answer's `scope` is split on it and handed on
   * space-separated.
   * @default ' '
   */
  readonly scopeSeparator?: ScopeSeparator;
  /**
   * Scopes every authorization request carries, whatever the caller asked for (e.g. `offline_access`, without
   * which some providers issue no refresh token).
   * @default []
   */
  readonly requiredScopes?: readonly string[];
  /**
   * The provider's own error codes mapped to RFC 6749 codes, e.g. GitHub's `bad_refresh_token` to
   * `invalid_grant`.
   * @default {}
   * @see https://www.rfc-editor.org/rfc/rfc6749
   */
  readonly errorCodes?: Readonly<Record<string, ErrorCodeTarget>>;
  /**
   * `token_type` values that mean a Bearer token besides `Bearer` (e.g. Slack's `bot` and `user`), compared
   * case-insensitively.
   * @default []
   */
  readonly bearerTokenTypes?: readonly string[];
}

/**
 * A parsed, validated token endpoint answer (RFC 6749 §5.1). Readonly: tokens are never edited.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  readonly accessToken: string;
  /**
   * `Bearer` (whatever the provider's spelling). A code exchange refuses other types (kind
   * `unsupported_token_type`); a refresh answer keeps another type, sanitized, for the vault to store and refuse
   * to serve.
   */
  readonly tokenType: string;
  /** Seconds; absent when the provider did not say (the caller applies its default lifetime). */
  readonly expiresIn?: number;
  /**
   * Absent when the provider did not rotate: the caller keeps the old one (RFC 6749 §6).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  readonly refreshToken?: string;
  /**
   * Seconds, from `refresh_token_expires_in` or `refresh_expires_in` when the provider states one; absent when
   * it states none, including Keycloak's `0` ("no fixed expiry").
   */
  readonly refreshTokenExpiresIn?: number;
  /**
   * Space-separated granted scopes; absent means "as requested" (RFC 6749 §5.1).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
   */
  readonly scope?: string;
}

/** Injectable dependencies of the client (tests hand in their own `fetch`). */
export interface OAuthClientOptions {
  /**
   * Timeout of each HTTP call, in milliseconds (a call's own `timeoutMs` overrides it).
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * The HTTP client.
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
  /**
   * The clock `Retry-After` dates and token expiries are read against, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Receives a message when an answer had to be read leniently (an invalid `expires_in`, a non-string `scope`,
   * ...). Messages name the field, never its value, and each distinct message is reported once per client, so a
   * provider's habit does not flood the logs.
   * @default - warnings are dropped
   */
  readonly onWarning?: (message: string) => void;
  /**
   * Makes the signal that ends a call after `ms` milliseconds (a simulation hands in one driven by its clock).
   * @default AbortSignal.timeout
   */
  readonly timeoutSignal?: (ms: number) => AbortSignal;
}

/** Per-call options of the `OAuthClient` methods. */
export interface OAuthCallOptions {
  /**
   * Ends the call when aborted, reported like a timeout (kind `timeout`: the provider may have processed it).
   * @default - only the timeout ends the call
   */
  readonly signal?: AbortSignal;
  /**
   * Timeout of this call in milliseconds.
   * @default - the client's `timeoutMs`
   */
  readonly timeoutMs?: number;
}
