/**
 * OAuth applications as the construct takes them (public API: plain interfaces and enums, no dependency). Their
 * conversion into the functions' configuration is in application-config.ts.
 */
/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export enum TokenEndpointAuth {
  /** Client id and secret in the request body (`client_secret_post`). */
  CLIENT_SECRET_POST = 'client_secret_post',
  /** HTTP Basic authentication (`client_secret_basic`). */
  CLIENT_SECRET_BASIC = 'client_secret_basic',
}

/** Body of revocation requests. */
export enum RevocationBody {
  /** JSON body (`json`, the Otesse form). */
  JSON = 'json',
  /** `application/x-www-form-urlencoded` (`form`, RFC 7009). */
  FORM = 'form',
  /** The provider has no RFC 7009 endpoint (`none`): tokens are removed on the vault's side only. */
  NONE = 'none',
}

/** How scopes are joined in the authorization request (and split in token answers). */
export enum ScopeSeparator {
  /** `' '` (RFC 6749). */
  SPACE = ' ',
  /** `','` (e.g. Slack). */
  COMMA = ',',
}

/** What a provider's own error code may be mapped to: RFC 6749 §5.2 codes and the ones the OAuth client classifies. */
export enum ErrorCodeTarget {
  /** `invalid_grant`: the user must connect again. */
  INVALID_GRANT = 'invalid_grant',
  /** `invalid_client`: the client secret is re-read once; an operator problem otherwise. */
  INVALID_CLIENT = 'invalid_client',
  /** `unauthorized_client`. */
  UNAUTHORIZED_CLIENT = 'unauthorized_client',
  /** `invalid_request`. */
  INVALID_REQUEST = 'invalid_request',
  /** `invalid_scope`. */
  INVALID_SCOPE = 'invalid_scope',
  /** `unsupported_grant_type`. */
  UNSUPPORTED_GRANT_TYPE = 'unsupported_grant_type',
  /** `access_denied`. */
  ACCESS_DENIED = 'access_denied',
  /** `rate_limited`: the connection cools down. */
  RATE_LIMITED = 'rate_limited',
  /** `temporarily_unavailable`. */
  TEMPORARILY_UNAVAILABLE = 'temporarily_unavailable',
  /** `server_error`. */
  SERVER_ERROR = 'server_error',
}

/**
 * One OAuth client registration at a provider. The provider-behaviour fields (authorization parameters, resource
 * indicators, scope separator, required scopes, error-code map, quirk flags) are what a provider profile sets
 * (the repository's app resolves profiles from its configuration file); absent, each means plain RFC 6749
 * behaviour.
 */
export interface TokenVaultApplication {
  /**
   * Name of the application in requests (`applicationId`): 1-64 chars of `[A-Za-z0-9._:@-]`.
   * @default 'default'
   */
  readonly applicationId?: string;
  /**
   * Provider authorization endpoint.
   * @default 'https://auth.otesse.com/oauth/authorize'
   */
  readonly authorizeUrl?: string;
  /**
   * Provider token endpoint.
   * @default 'https://auth.otesse.com/oauth/token'
   */
  readonly tokenUrl?: string;
  /**
   * Provider revocation endpoint (RFC 7009).
   * @default 'https://auth.otesse.com/oauth/revoke'
   */
  readonly revocationUrl?: string;
  /**
   * Issuer identifier; when set, the callback requires a matching `iss` parameter (RFC 9207).
   * @default - `iss` is not checked
   */
  readonly issuer?: string;
  /** OAuth client id (public; the client secret never goes through props). */
  readonly clientId: string;
  /**
   * Complete ARN (with the 6-character suffix) of an existing Secrets Manager secret holding the client secret
   * as a plain string. The functions get `secretsmanager:GetSecretValue` on exactly this ARN. A secret encrypted
   * with a customer managed key also needs `kms:Decrypt` for the functions, which you grant on that key.
   * @default - a new secret with a random placeholder value, to be replaced with `put-secret-value`
   */
  readonly clientSecretArn?: string;
  /**
   * Scopes requested by `connect` unless the request names its own.
   * @default []
   */
  readonly scopes?: string[];
  /**
   * How the client authenticates at the token endpoint.
   * @default TokenEndpointAuth.CLIENT_SECRET_POST
   */
  readonly tokenEndpointAuth?: TokenEndpointAuth;
  /**
   * Body of revocation requests: `json` (the seed provider's form) or `form` (RFC 7009).
   * @default RevocationBody.JSON
   */
  readonly revocationBody?: RevocationBody;
  /**
   * Redirect URI registered at the provider, sent exactly as given. Set it when a custom domain fronts the
   * callback route.
   * @default - the vault's callback URL (HTTP API endpoint + `/oauth/callback`)
   */
  readonly redirectUri?: string;
  /**
   * Allowed `returnTo` targets: a value is allowed when its origin and path equal one entry's.
   * @default - the vault-wide `returnTo` list
   */
  readonly returnTo?: string[];
  /**
   * Session binding (README "Session binding"): the callback parks the tokens and redirects to `returnTo` with
   * `status=pending&flow=HANDLE`, and only `complete` with the user who called `connect` makes the connection
   * (`grantComplete`). `connect` then requires a `returnTo`. Turn it off only for flows no browser can be handed
   * someone else's link in.
   * @default true
   */
  readonly sessionBinding?: boolean;
  /**
   * The provider profile this configuration was resolved from (for logs; the functions never look it up). One of
   * `otesse`, `keycloak`, `google`, `microsoft`, `github`, `slack`, `salesforce`, `okta`, `auth0`.
   * @default - none
   */
  readonly profile?: string;
  /**
   * Extra authorization request parameters, e.g. `prompt`, `access_type`, `audience`. The protocol's own
   * parameters (`response_type`, `client_id`, `redirect_uri`, `scope`, `state`, PKCE, `resource`) can't be set.
   * @default - none
   */
  readonly authorizationParameters?: { [name: string]: string };
  /**
   * RFC 8707 resource indicators, sent on the authorization request and on every token request.
   * @default - none
   */
  readonly resource?: string[];
  /**
   * Joins scopes in the authorization request; token answers' `scope` is split on it.
   * @default ScopeSeparator.SPACE
   */
  readonly scopeSeparator?: ScopeSeparator;
  /**
   * Scopes added to every authorization request, also when `connect` names its own (e.g. `offline_access`).
   * @default - none
   */
  readonly requiredScopes?: string[];
  /**
   * The provider's own error codes mapped to RFC 6749 codes (e.g. GitHub's `bad_refresh_token` to
   * `ErrorCodeTarget.INVALID_GRANT`).
   * @default - none
   */
  readonly errorCodes?: { [providerCode: string]: ErrorCodeTarget };
  /**
   * `token_type` values that mean a Bearer token besides `Bearer` itself (compared case-insensitively).
   * @default - none
   */
  readonly bearerTokenTypes?: string[];
  /**
   * The provider issues a new refresh token on every refresh.
   * @default true - assume it may
   */
  readonly rotatesRefreshTokens?: boolean;
  /**
   * Seconds a used refresh token stays valid after rotation (a retry within it gets the same successor instead of
   * revoking the grant).
   * @default 0
   */
  readonly reuseGraceSeconds?: number;
  /**
   * A refresh token unused for this long dies at the provider (each refresh starts it again).
   * @default - no such rule
   */
  readonly refreshTokenIdleExpirySeconds?: number;
  /**
   * The provider issues a refresh token only on the first consent; a reconnect may come without one.
   * @default false
   */
  readonly refreshTokenOnFirstConsentOnly?: boolean;
  /**
   * Each authorization creates a grant of its own at the provider (Keycloak sessions, most OAuth servers), so the
   * refresh token a reconnect replaces is revoked there. Not where one grant spans every consent of a user
   * (Google): revoking the old token would revoke the new one.
   * @default false - the replaced grant stays live
   */
  readonly revokeReplacedRefreshTokens?: boolean;
}
