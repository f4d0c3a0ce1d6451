/**
 * Admin calls scoped to one realm: its client and users, and the test controls (event counts, ending a user's
 * sessions, offline ones included).
 */
import type { RealmEndpoints } from './realm';

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

/** What {@link KeycloakRealmAdmin} needs of the admin API: one authenticated call (`KeycloakAdmin.request`). */
export interface KeycloakAdminApi {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** Admin calls scoped to one realm. */
export class KeycloakRealmAdmin {
  constructor(
    readonly admin: KeycloakAdminApi,
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
