/**
 * What a test realm is made of: its settings (strict refresh-token rotation, short lifespans, events on, fast EC
 * keys) as the admin API takes them, and the OIDC endpoints it then serves.
 */

/**
 * Event types stored by default: the authorization-code flow, refreshes, revocation, introspection and logouts,
 * each with its error type (an error is what a test of reuse detection or ended sessions looks for).
 */
export const DEFAULT_EVENT_TYPES: readonly string[] = [
  'LOGIN',
  'LOGIN_ERROR',
  'CODE_TO_TOKEN',
  'CODE_TO_TOKEN_ERROR',
  'REFRESH_TOKEN',
  'REFRESH_TOKEN_ERROR',
  'REVOKE_GRANT',
  'REVOKE_GRANT_ERROR',
  'INTROSPECT_TOKEN',
  'INTROSPECT_TOKEN_ERROR',
  'LOGOUT',
  'LOGOUT_ERROR',
];

export interface RealmOptions {
  readonly realm: string;
  /** Access token lifespan (default 60 s). */
  readonly accessTokenLifespanSeconds?: number;
  /**
   * SSO session idle timeout (default 600 s): the lifetime of a non-offline refresh token, and so Keycloak's
   * `refresh_expires_in`.
   */
  readonly ssoSessionIdleTimeoutSeconds?: number;
  /** SSO session maximum (default 3600 s). */
  readonly ssoSessionMaxLifespanSeconds?: number;
  /** Offline session idle timeout (default 3600 s). */
  readonly offlineSessionIdleTimeoutSeconds?: number;
  /** Event types to store (default {@link DEFAULT_EVENT_TYPES}). */
  readonly eventTypes?: readonly string[];
}

/** The OIDC endpoints of a realm (what an application configuration needs). */
export interface RealmEndpoints {
  /** `http://127.0.0.1:<port>/realms/<realm>`, the `iss` of its tokens and authorization responses. */
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly introspectionUrl: string;
}

export function realmEndpoints(baseUrl: string, realm: string): RealmEndpoints {
  const issuer = `${baseUrl}/realms/${encodeURIComponent(realm)}`;
  const oidc = `${issuer}/protocol/openid-connect`;
  return {
    issuer,
    authorizeUrl: `${oidc}/auth`,
    tokenUrl: `${oidc}/token`,
    revocationUrl: `${oidc}/revoke`,
    introspectionUrl: `${oidc}/token/introspect`,
  };
}

/** The realm as `POST /admin/realms` takes it. */
export function realmRepresentation(options: RealmOptions): Record<string, unknown> {
  return {
    realm: options.realm,
    enabled: true,
    // Strict rotation: every refresh token is single-use, and presenting a used one fails (reuse detection).
    revokeRefreshToken: true,
    refreshTokenMaxReuse: 0,
    accessTokenLifespan: options.accessTokenLifespanSeconds ?? 60,
    ssoSessionIdleTimeout: options.ssoSessionIdleTimeoutSeconds ?? 600,
    ssoSessionMaxLifespan: options.ssoSessionMaxLifespanSeconds ?? 3600,
    offlineSessionIdleTimeout: options.offlineSessionIdleTimeoutSeconds ?? 3600,
    eventsEnabled: true,
    enabledEventTypes: [...(options.eventTypes ?? DEFAULT_EVENT_TYPES)],
    eventsExpiration: 3600,
    // Without key providers Keycloak generates two RSA-2048 key pairs for the realm, 2-10 s of CPU on a loaded
    // 2-core machine (prime search, and C1-only code: see process.ts); EC P-256 takes milliseconds. HMAC signs
    // refresh tokens and cookies, AES encrypts Keycloak's own cookies and action tokens.
    defaultSignatureAlgorithm: 'ES256',
    components: {
      'org.keycloak.keys.KeyProvider': [
        {
          name: 'ecdsa-generated',
          providerId: 'ecdsa-generated',
          config: { priority: ['100'], ecdsaEllipticCurveKey: ['P-256'] },
        },
        {
          name: 'hmac-generated-hs512',
          providerId: 'hmac-generated',
          config: { priority: ['100'], algorithm: ['HS512'] },
        },
        { name: 'aes-generated', providerId: 'aes-generated', config: { priority: ['100'] } },
      ],
    },
  };
}
