/**
 * Provider configuration per application (docs/contract.md "Provider configuration"). It reaches the functions as
 * JSON in one environment variable; the client secret is never part of it, only the secret's id.
 *
 * The configuration is flat and fully resolved: provider profiles (./profiles) are applied before deployment
 * (infra/config.ts, local/config.ts), so the functions never look a profile up. The fields a profile sets are
 * optional: absent means plain RFC 6749 behaviour, which is what the seed provider needs.
 */
import * as z from 'zod/mini';
import { PROFILE_IDS } from './profiles/ids';

/** 1-128 chars of [A-Za-z0-9._:@-] (docs/contract.md). */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
/** 1-64 chars of the same set. */
export const APPLICATION_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,64}$/;
export const DEFAULT_APPLICATION_ID = 'default';

/** The seed guide's provider. */
export const OTESSE_DEFAULTS = {
  authorizeUrl: 'https://auth.otesse.com/oauth/authorize',
  tokenUrl: 'https://auth.otesse.com/oauth/token',
  revocationUrl: 'https://auth.otesse.com/oauth/revoke',
} as const;

export const TOKEN_AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const;
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];
/**
 * Body of revocation requests: `json` (the seed provider's), `form` (RFC 7009), or `none` for providers without
 * an RFC 7009 endpoint (the vault then removes the tokens on its side only and records that the provider was not
 * told).
 */
export const REVOCATION_BODIES = ['json', 'form', 'none'] as const;
export type RevocationBody = (typeof REVOCATION_BODIES)[number];

/** How scopes are joined in the authorization request (and split in token answers). */
export const SCOPE_SEPARATORS = [' ', ','] as const;
export type ScopeSeparator = (typeof SCOPE_SEPARATORS)[number];

/**
 * What a provider's own error code may be mapped to: RFC 6749 §5.2 codes plus the ones the OAuth client
 * classifies (`rate_limited`, `temporarily_unavailable`, `server_error`). GitHub's `bad_refresh_token` mapped to
 * `invalid_grant` makes the vault ask the user to reconnect instead of retrying.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const ERROR_CODE_TARGETS = [
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'invalid_request',
  'invalid_scope',
  'unsupported_grant_type',
  'access_denied',
  'rate_limited',
  'temporarily_unavailable',
  'server_error',
] as const;
export type ErrorCodeTarget = (typeof ERROR_CODE_TARGETS)[number];

/**
 * Authorization request parameters the client sets itself (PKCE, state, ...); `resource` has its own field
 * because it is also sent on token requests.
 */
export const RESERVED_AUTHORIZATION_PARAMETERS: readonly string[] = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
];

/**
 * Hosts where `http:` endpoints are accepted: the local stack and the tests. A Lambda function can't reach them,
 * so a deployed vault always talks https to its providers.
 */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '[::1]', 'localhost'];

/** True for a parsable `http:` or `https:` URL. */
export function isHttpUrl(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/** True for `https:`, or `http:` on a loopback host ({@link LOOPBACK_HOSTS}). */
export function isSecureOrLoopbackUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));
}

/** Message of the https rule, shared with infra/ and local/ so every layer says the same. */
export const HTTPS_REQUIRED_MESSAGE =
  'must be an https URL (http is accepted only for loopback hosts: 127.0.0.1, ::1, localhost)';

const httpUrl = z.string().check(z.refine(isHttpUrl, 'must be an http(s) URL'));
/** An endpoint that receives client secrets and tokens: https, or http on loopback only. */
const endpointUrl = z.string().check(
  z.refine(isHttpUrl, 'must be an http(s) URL'),
  // Only judged once the first rule holds, so a malformed URL gets one message, not two.
  z.refine((u) => !isHttpUrl(u) || isSecureOrLoopbackUrl(u), HTTPS_REQUIRED_MESSAGE),
);
const nonEmpty = z.string().check(z.minLength(1));
/** RFC 8707 §2: an absolute URI without a fragment. */
const resourceIndicator = z
  .string()
  .check(z.refine((u) => URL.canParse(u) && !u.includes('#'), 'must be an absolute URI without a fragment (RFC 8707)'));
const parameterName = z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of [A-Za-z0-9_.-]'));
const tokenTypeName = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 characters of [A-Za-z0-9_-]'));
const providerErrorCode = z
  .string()
  .check(z.regex(/^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}$/, 'must be an RFC 6749 error code'));

export const applicationConfigSchema = z.object({
  applicationId: z.string().check(z.regex(APPLICATION_ID_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._:@-]')),
  authorizeUrl: endpointUrl,
  tokenUrl: endpointUrl,
  revocationUrl: endpointUrl,
  /** When set, the callback requires and checks `iss` (RFC 9207). */
  issuer: z.optional(nonEmpty),
  clientId: nonEmpty,
  /** Secrets Manager secret id (name or ARN) holding the client secret as a plain string. */
  clientSecretId: nonEmpty,
  scopes: z._default(z.array(nonEmpty), []),
  tokenEndpointAuth: z._default(z.enum(TOKEN_AUTH_METHODS), 'client_secret_post'),
  revocationBody: z._default(z.enum(REVOCATION_BODIES), 'json'),
  /** Exact redirect URI registered at the provider. */
  redirectUri: httpUrl,
  /** Allowed `returnTo` targets: a value is allowed when its origin and path equal one entry's. */
  returnTo: z._default(z.array(httpUrl), []),

  // ------------------------------------------------------------------ resolved from a provider profile
  /** The profile this configuration was resolved from (for logs; the functions never look it up). */
  profile: z.optional(z.enum(PROFILE_IDS)),
  /**
   * Extra authorization request parameters, e.g. `prompt`, `access_type`, `audience`. The protocol's own
   * parameters ({@link RESERVED_AUTHORIZATION_PARAMETERS}) can't be set here.
   */
  authorizationParameters: z.optional(
    z.record(parameterName, z.string().check(z.maxLength(512))).check(
      z.refine((params) => !Object.keys(params).some((k) => RESERVED_AUTHORIZATION_PARAMETERS.includes(k)), {
        message: `must not set ${RESERVED_AUTHORIZATION_PARAMETERS.join(', ')} (the client sets them)`,
      }),
    ),
  ),
  /** RFC 8707 resource indicators, sent on the authorization request and on every token request. */
  resource: z.optional(z.array(resourceIndicator)),
  /** Joins scopes in the authorization request; token answers' `scope` is split on it. Absent: `' '`. */
  scopeSeparator: z.optional(z.enum(SCOPE_SEPARATORS)),
  /** Scopes added to every authorization request, also when `connect` names its own (e.g. `offline_access`). */
  requiredScopes: z.optional(z.array(nonEmpty)),
  /** The provider's own error codes mapped to RFC 6749 codes (`bad_refresh_token` -> `invalid_grant`). */
  errorCodes: z.optional(z.record(providerErrorCode, z.enum(ERROR_CODE_TARGETS))),
  /** `token_type` values that mean a Bearer token besides `Bearer` itself (compared case-insensitively). */
  bearerTokenTypes: z.optional(z.array(tokenTypeName)),
  /** The provider issues a new refresh token on every refresh. Absent: assume it may. */
  rotatesRefreshTokens: z.optional(z.boolean()),
  /**
   * Seconds a used refresh token stays valid after rotation (a retry within it gets the same successor instead of
   * revoking the grant). Absent: 0, no grace.
   */
  reuseGraceSeconds: z.optional(z.int().check(z.minimum(0), z.maximum(24 * 60 * 60))),
  /** A refresh token unused for this long dies at the provider (each refresh starts it again). Absent: no such rule. */
  refreshTokenIdleExpirySeconds: z.optional(z.int().check(z.minimum(1))),
  /** The provider issues a refresh token only on the first consent; a reconnect may come without one. Absent: false. */
  refreshTokenOnFirstConsentOnly: z.optional(z.boolean()),
  /**
   * Each authorization creates a grant of its own at the provider (Keycloak sessions, most OAuth servers), so the
   * refresh token a reconnect replaces is revoked there. Not where one grant spans every consent of a user
   * (Google): revoking the old token would revoke the new one. Absent: false (the replaced grant stays live).
   */
  revokeReplacedRefreshTokens: z.optional(z.boolean()),
  /**
   * Session binding (README "Session binding"): the callback parks the tokens and redirects with
   * `status=pending&flow=HANDLE`; the connection exists only once the application's backend calls `complete` with
   * the same `userId` that called `connect`. Absent: true. `false` only for flows that never pass through a browser
   * the user could have been handed by someone else.
   */
  sessionBinding: z.optional(z.boolean()),
});

export type ApplicationConfig = z.output<typeof applicationConfigSchema>;
export type ApplicationConfigInput = z.input<typeof applicationConfigSchema>;

export const applicationsSchema = z.array(applicationConfigSchema).check(
  z.minLength(1),
  z.refine(
    (apps) => new Set(apps.map((a) => a.applicationId)).size === apps.length,
    'applicationId values must be unique',
  ),
);

/** The fields a provider profile contributes beyond the contract's (all optional in {@link ApplicationConfig}). */
export const PROVIDER_BEHAVIOUR_FIELDS = [
  'profile',
  'authorizationParameters',
  'resource',
  'scopeSeparator',
  'requiredScopes',
  'errorCodes',
  'bearerTokenTypes',
  'rotatesRefreshTokens',
  'reuseGraceSeconds',
  'refreshTokenIdleExpirySeconds',
  'refreshTokenOnFirstConsentOnly',
  'revokeReplacedRefreshTokens',
] as const;

export type ProviderBehaviourFields = Pick<ApplicationConfig, (typeof PROVIDER_BEHAVIOUR_FIELDS)[number]>;

/**
 * Copies the {@link PROVIDER_BEHAVIOUR_FIELDS} that are set, e.g. to pass a resolved application through to the
 * functions' configuration.
 */
export function providerBehaviourOf(source: Partial<ProviderBehaviourFields>): ProviderBehaviourFields {
  const out: Record<string, unknown> = {};
  for (const field of PROVIDER_BEHAVIOUR_FIELDS) if (source[field] !== undefined) out[field] = source[field];
  return out;
}

/** The refresh-relevant facts about an application's provider, with the defaults of absent fields applied. */
export interface RefreshQuirks {
  /** @default true (a returned refresh token always replaces the stored one) */
  readonly rotatesRefreshTokens: boolean;
  /** @default 0 */
  readonly reuseGraceSeconds: number;
  /** @default - no idle expiry */
  readonly refreshTokenIdleExpirySeconds?: number;
  /** @default false */
  readonly refreshTokenOnFirstConsentOnly: boolean;
  /** @default false */
  readonly revokeReplacedRefreshTokens: boolean;
}

/** {@link RefreshQuirks} of an application (for the refresh core). */
export function refreshQuirksOf(config: ProviderBehaviourFields): RefreshQuirks {
  return {
    rotatesRefreshTokens: config.rotatesRefreshTokens ?? true,
    reuseGraceSeconds: config.reuseGraceSeconds ?? 0,
    ...(config.refreshTokenIdleExpirySeconds === undefined
      ? {}
      : { refreshTokenIdleExpirySeconds: config.refreshTokenIdleExpirySeconds }),
    refreshTokenOnFirstConsentOnly: config.refreshTokenOnFirstConsentOnly ?? false,
    revokeReplacedRefreshTokens: config.revokeReplacedRefreshTokens ?? false,
  };
}
