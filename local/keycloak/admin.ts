/**
 * Configures a running Keycloak through its admin REST API only (no import files, no CLI), with a token of the
 * master realm's `admin-cli` client: a realm with strict refresh-token rotation, short lifespans and events on,
 * a confidential client as the vault needs it, users with passwords; and the test controls: event counts and
 * ending a user's sessions, offline ones included.
 */

/** Where and as whom to reach the admin API (a {@link Keycloak} from ./process fits). */
export interface KeycloakAdminTarget {
  readonly baseUrl: string;
  readonly adminUsername: string;
  readonly adminPassword: string;
}

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

export interface ClientOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The only redirect URI, matched exactly. */
  readonly redirectUri: string;
}

export interface UserOptions {
  readonly username: string;
  readonly password: string;
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

/**
 * A stored event as the admin API lists it. `details.reason` explains an error event, e.g. "Session not active",
 * "Offline user session not found" or "Maximum allowed refresh token reuse exceeded" for REFRESH_TOKEN_ERROR.
 */
export interface KeycloakEvent {
  readonly type: string;
  readonly time: number;
  readonly clientId?: string;
  readonly userId?: string;
  readonly error?: string;
  readonly details?: Readonly<Record<string, string>>;
}

/** What {@link KeycloakRealmAdmin.endUserSessions} ended. */
export interface EndedSessions {
  /** Regular (SSO) sessions the user had. */
  readonly sessions: number;
  /** Clients whose offline sessions (offline tokens) were revoked. */
  readonly offlineClients: readonly string[];
}

interface TokenAnswer {
  readonly access_token: string;
  readonly expires_in: number;
}

/** An admin API answer that was not 2xx; the message quotes Keycloak's error text, never a token. */
export class KeycloakAdminError extends Error {
  override readonly name = 'KeycloakAdminError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The admin API, authenticated as the bootstrap admin; its token is renewed before it expires. */
export class KeycloakAdmin {
  #token: { value: string; renewAt: number } | undefined;

  constructor(private readonly target: KeycloakAdminTarget) {}

  /** Creates a realm configured for the vault's tests and returns its admin helper. */
  async createRealm(options: RealmOptions): Promise<KeycloakRealmAdmin> {
    await this.request('POST', '/admin/realms', {
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
    });
    return new KeycloakRealmAdmin(this, options.realm, realmEndpoints(this.target.baseUrl, options.realm));
  }

  /**
   * One admin API call; the answer's JSON, or undefined for an empty body. A 401 (token expired early) is
   * retried once with a new token.
   */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      const res = await fetch(`${this.target.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await this.#accessToken()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status === 401 && attempt === 0) {
        this.#token = undefined;
        continue;
      }
      if (!res.ok)
        throw new KeycloakAdminError(
          `Keycloak admin API ${method} ${path.split('?')[0]}: HTTP ${res.status} ${text.slice(0, 300)}`,
          res.status,
        );
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
  }

  async #accessToken(): Promise<string> {
    if (this.#token && Date.now() < this.#token.renewAt) return this.#token.value;
    const res = await fetch(`${this.target.baseUrl}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'admin-cli',
        username: this.target.adminUsername,
        password: this.target.adminPassword,
      }).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok)
      throw new KeycloakAdminError(
        `Keycloak admin login failed: HTTP ${res.status} ${describeOAuthError(text)}`,
        res.status,
      );
    const answer = JSON.parse(text) as TokenAnswer;
    // Renew at half the lifetime (the master realm's default is 60 s).
    this.#token = { value: answer.access_token, renewAt: Date.now() + (answer.expires_in * 1000) / 2 };
    return answer.access_token;
  }
}

/** Admin calls scoped to one realm. */
export class KeycloakRealmAdmin {
  constructor(
    readonly admin: KeycloakAdmin,
    readonly realm: string,
    readonly endpoints: RealmEndpoints,
  ) {}

  #path(suffix: string): string {
    return `/admin/realms/${encodeURIComponent(this.realm)}${suffix}`;
  }

  /**
   * A confidential client as the vault uses it: client-secret authentication (Keycloak accepts both
   * client_secret_post and client_secret_basic), the authorization-code flow only, one exact redirect URI, PKCE
   * S256 required, no consent screen, and `offline_access` as an optional scope. The client is also put in its
   * access tokens' audience: Keycloak 26.7 answers `active: false` to an introspection by a client that is not
   * in the token's `aud` ("Client ... is not in the token audience"), and the tests introspect as this client.
   */
  async createClient(options: ClientOptions): Promise<{ readonly id: string }> {
    await this.admin.request('POST', this.#path('/clients'), {
      clientId: options.clientId,
      enabled: true,
      protocol: 'openid-connect',
      publicClient: false,
      clientAuthenticatorType: 'client-secret',
      secret: options.clientSecret,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      consentRequired: false,
      frontchannelLogout: false,
      redirectUris: [options.redirectUri],
      webOrigins: [],
      attributes: {
        'pkce.code.challenge.method': 'S256',
        'oauth2.device.authorization.grant.enabled': 'false',
        'oidc.ciba.grant.enabled': 'false',
      },
      protocolMappers: [
        {
          name: 'audience: this client',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: {
            'included.client.audience': options.clientId,
            'access.token.claim': 'true',
            'introspection.token.claim': 'true',
            'id.token.claim': 'false',
          },
        },
      ],
    });
    const id = await this.clientUuid(options.clientId);
    // New clients get the realm's default optional scopes, offline_access among them; make sure of it.
    const optional = await this.admin.request<Array<{ id: string; name: string }>>(
      'GET',
      this.#path(`/clients/${id}/optional-client-scopes`),
    );
    if (!optional.some((scope) => scope.name === 'offline_access')) {
      const scopes = await this.admin.request<Array<{ id: string; name: string }>>('GET', this.#path('/client-scopes'));
      const offline = scopes.find((scope) => scope.name === 'offline_access');
      if (!offline) throw new Error(`realm ${this.realm} has no offline_access client scope`);
      await this.admin.request('PUT', this.#path(`/clients/${id}/optional-client-scopes/${offline.id}`));
    }
    return { id };
  }

  /**
   * A user who can log in at once: email, names and a verified email are set because Keycloak's user profile
   * would otherwise send the login through an "update your account" page first.
   */
  async createUser(options: UserOptions): Promise<{ readonly id: string }> {
    await this.admin.request('POST', this.#path('/users'), {
      username: options.username,
      enabled: true,
      email: `${options.username}@example.test`,
      emailVerified: true,
      firstName: options.username,
      lastName: 'Test',
      requiredActions: [],
      credentials: [{ type: 'password', value: options.password, temporary: false }],
    });
    return { id: await this.userId(options.username) };
  }

  async clientUuid(clientId: string): Promise<string> {
    const clients = await this.admin.request<Array<{ id: string; clientId: string }>>(
      'GET',
      this.#path(`/clients?clientId=${encodeURIComponent(clientId)}`),
    );
    const client = clients.find((c) => c.clientId === clientId);
    if (!client) throw new Error(`no client ${clientId} in realm ${this.realm}`);
    return client.id;
  }

  async userId(username: string): Promise<string> {
    const users = await this.admin.request<Array<{ id: string; username: string }>>(
      'GET',
      this.#path(`/users?exact=true&username=${encodeURIComponent(username)}`),
    );
    const user = users.find((u) => u.username === username.toLowerCase());
    if (!user) throw new Error(`no user ${username} in realm ${this.realm}`);
    return user.id;
  }

  /**
   * How many stored events of this type the realm has, optionally for one client (clientId) and one user
   * (username). A count read after Keycloak's answer already includes the request's event. Some error events
   * carry no user (a refresh whose session is gone), so count those per client.
   */
  async countEvents(
    type: string,
    filter: { readonly clientId?: string; readonly username?: string } = {},
  ): Promise<number> {
    return (await this.listEvents({ ...filter, types: [type] })).length;
  }

  /**
   * The stored events (newest first, at most 10,000), optionally of some types only, for one client (clientId)
   * and one user (username). As for {@link countEvents}, a list read after Keycloak's answer includes its event.
   */
  async listEvents(
    filter: { readonly types?: readonly string[]; readonly clientId?: string; readonly username?: string } = {},
  ): Promise<KeycloakEvent[]> {
    const query = new URLSearchParams({ max: '10000' });
    for (const type of filter.types ?? []) query.append('type', type);
    if (filter.clientId !== undefined) query.set('client', filter.clientId);
    if (filter.username !== undefined) query.set('user', await this.userId(filter.username));
    return this.admin.request<KeycloakEvent[]>('GET', this.#path(`/events?${query.toString()}`));
  }

  /** Deletes the realm's stored events (a test's counters start from zero again). */
  async clearEvents(): Promise<void> {
    await this.admin.request('DELETE', this.#path('/events'));
  }

  /**
   * Ends every session of a user, so that each refresh token the user's clients hold answers `invalid_grant`:
   * regular ones with "Session not active", offline ones with "Offline user session not found".
   *
   * `POST /users/{id}/logout` removes the regular sessions only: an offline refresh token still refreshes after
   * it (Keycloak 26.7, checked). Offline sessions go with `DELETE /users/{id}/consents/{clientId}` ("revoke
   * consent and offline tokens"), once per client that holds offline tokens, found through
   * `GET /users/{id}/consents` (`DELETE /sessions/{id}?isOffline=true` per offline session works too).
   */
  async endUserSessions(username: string): Promise<EndedSessions> {
    const id = await this.userId(username);
    const sessions = await this.admin.request<unknown[]>('GET', this.#path(`/users/${id}/sessions`));
    await this.admin.request('POST', this.#path(`/users/${id}/logout`));
    const consents = await this.admin.request<Array<{ clientId: string; additionalGrants?: Array<{ key?: string }> }>>(
      'GET',
      this.#path(`/users/${id}/consents`),
    );
    const offlineClients = consents
      .filter((consent) => (consent.additionalGrants ?? []).some((grant) => grant.key === 'Offline Token'))
      .map((consent) => consent.clientId);
    for (const clientId of offlineClients) {
      await this.admin.request('DELETE', this.#path(`/users/${id}/consents/${encodeURIComponent(clientId)}`));
    }
    return { sessions: sessions.length, offlineClients };
  }

  /** Deletes the realm (and with it its clients, users, sessions and events). */
  async delete(): Promise<void> {
    await this.admin.request('DELETE', this.#path(''));
  }
}

/** `error (error_description)` of an OAuth error body; never the body itself, which could echo a credential. */
function describeOAuthError(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === 'string')
      return typeof parsed.error_description === 'string'
        ? `${parsed.error} (${parsed.error_description})`
        : parsed.error;
  } catch {
    // not JSON
  }
  return '';
}
