/**
 * The development provider's options, quirk switches, faults, counters and handle: what `startDevProvider` in
 * ./dev-provider-process (which re-exports these types) passes to local/dev-provider.mjs and gives back.
 */

/** One OAuth client registered at the development provider. */
export interface DevProviderClient {
  readonly client_id: string;
  readonly client_secret: string;
  /** Exact redirect URIs (compared character for character by the provider). */
  readonly redirect_uris: readonly string[];
  /** How the client authenticates at the token, revocation and introspection endpoints (default post). */
  readonly token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
}

/** Options of `startDevProvider` (./dev-provider-process). */
export interface DevProviderOptions {
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  readonly port?: number;
  readonly clients: readonly DevProviderClient[];
  /** Access token lifetime (default 3600 s). */
  readonly accessTokenTtlSeconds?: number;
  /** Refresh token lifetime, restarted by every rotation (default 30 days). */
  readonly refreshTokenTtlSeconds?: number;
  /** Scopes to accept besides `openid offline_access profile email read write`. */
  readonly extraScopes?: readonly string[];
  /** How long to wait for the ready line (default 15 s). */
  readonly readyTimeoutMs?: number;
  /**
   * Quirk switches in force from the start (also changeable with {@link DevProvider.setQuirks}).
   * @default - none, unless the environment's `DEV_PROVIDER_QUIRKS` names some (`npm start`)
   */
  readonly quirks?: DevProviderQuirks;
}

/**
 * Switches that make the development provider behave like a specific real provider. All are off by default, and
 * off they change nothing. The token endpoint's answers are rewritten after oidc-provider produced them.
 */
export interface DevProviderQuirks {
  /** OAuth errors of the token endpoint come with this HTTP status (GitHub and Slack: 200). @default - 400/401 */
  readonly tokenErrorStatus?: number;
  /**
   * Token errors renamed: keys are `grant_type:error` or `error`, e.g.
   * `{ 'refresh_token:invalid_grant': 'bad_refresh_token' }` (GitHub). @default - RFC 6749 codes
   */
  readonly errorCodes?: Readonly<Record<string, string>>;
  /** `token_type` of every token answer: `bearer` (GitHub), `bot` (Slack), `DPoP`, `MAC`. @default 'Bearer' */
  readonly tokenType?: string;
  /** `expires_in` as a numeric string (Azure AD v1), or left out (Salesforce). @default 'number' */
  readonly expiresIn?: 'number' | 'string' | 'absent';
  /**
   * Adds the refresh token's lifetime to token answers: `refresh_token_expires_in` (GitHub) or
   * `refresh_expires_in` (Keycloak; `seconds: 0` for offline tokens). @default - not stated
   */
  readonly refreshTokenExpiresIn?: {
    readonly field: 'refresh_token_expires_in' | 'refresh_expires_in';
    readonly seconds?: number;
  };
  /** False: refresh tokens are not rotated and refresh answers carry none (Google). @default true */
  readonly rotateRefreshTokens?: boolean;
  /** A refresh token only when authorized with `access_type=offline` (Google). @default false */
  readonly refreshTokenRequiresOfflineAccess?: boolean;
  /**
   * A refresh token only on an account's first authorization of the client, or with `prompt=consent` (Google).
   * @default false
   */
  readonly refreshTokenOnFirstConsentOnly?: boolean;
  /**
   * A rotated refresh token presented again within this many seconds gets the same answer (the same successor)
   * instead of revoking the grant (Okta, Auth0). @default 0
   */
  readonly reuseGraceSeconds?: number;
}

/** Counters kept by the provider since start or the last {@link DevProvider.resetStats}. */
export interface DevProviderStats {
  /** Successful authorization_code grants. */
  readonly authorizationCodeGrants: number;
  /** Successful refresh_token grants. */
  readonly refreshGrants: number;
  /** refresh_token grants answered with an OAuth error. */
  readonly refreshFailures: number;
  /** Already-rotated refresh tokens presented again (each one revoked its grant). */
  readonly reuseDetected: number;
  /** Revocation requests the provider answered 200 (RFC 7009 answers 200 for unknown tokens too). */
  readonly revocations: number;
  /** Every HTTP request received at the token endpoint, faulted ones included. */
  readonly tokenRequests: number;
  /** Introspection requests answered 200. */
  readonly introspections: number;
  /** Every HTTP request received at the revocation endpoint, faulted ones included. */
  readonly revocationRequests: number;
  /** Grants destroyed: reuse detection, revoking a refresh token (not an access token), {@link DevProvider.revokeGrants}. */
  readonly grantsRevoked: number;
  /** Requests answered or delayed by an injected fault. */
  readonly faultsServed: number;
  /** Used refresh tokens answered from the grace window ({@link DevProviderQuirks.reuseGraceSeconds}). */
  readonly reuseGraceServed: number;
}

/**
 * A fault served to the next `count` requests to an endpoint, before they reach oidc-provider.
 * - `status`: answers `status` (default 503) with `body` (default `{"error":"temporarily_unavailable",...}`).
 * - `slow`: waits `delayMs` (default 1000) and then lets the request through.
 * - `hang`: never answers (the client has to time out).
 * - `html`: an HTML page, status `status` (default 200).
 * - `invalid_json`: `application/json` that does not parse, status `status` (default 200).
 * - `missing_fields`: JSON `body` (default `{"token_type":"Bearer"}`, no access token), status `status` (default 200).
 * - `oversized`: a JSON body of over 1 MiB, status `status` (default 200).
 * `retryAfter` sets a `Retry-After` header (seconds or an HTTP date) on every mode but `slow`.
 */
export interface DevProviderFault {
  readonly endpoint: 'token' | 'revocation';
  readonly mode: 'status' | 'slow' | 'hang' | 'html' | 'invalid_json' | 'missing_fields' | 'oversized';
  readonly status?: number;
  readonly retryAfter?: string;
  readonly delayMs?: number;
  readonly body?: unknown;
  /** How many consecutive requests get the fault (default 1). */
  readonly count?: number;
}

/** A running development provider. */
export interface DevProvider {
  /** `http://127.0.0.1:<port>`; also the `iss` of its authorization responses (RFC 9207). */
  readonly issuer: string;
  readonly port: number;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly introspectionUrl: string;
  stats(): Promise<DevProviderStats>;
  resetStats(): Promise<void>;
  injectFault(fault: DevProviderFault): Promise<void>;
  /** Drops faults not served yet. */
  clearFaults(): Promise<void>;
  /** Withdraws every grant of an account (its next refresh answers `invalid_grant`); resolves to how many. */
  revokeGrants(accountId: string): Promise<number>;
  /** Replaces every quirk switch (`{}` turns them all off). */
  setQuirks(quirks: DevProviderQuirks): Promise<void>;
  /** The quirk switches in force. */
  quirks(): Promise<DevProviderQuirks>;
  /** Stops the server and waits for the process to exit. Safe to call twice. */
  stop(): Promise<void>;
}
