/**
 * Configures a running Keycloak through its admin REST API only (no import files, no CLI), with a token of the
 * master realm's `admin-cli` client: a realm with strict refresh-token rotation, short lifespans and events on,
 * a confidential client as the vault needs it, users with passwords; and the test controls: event counts and
 * ending a user's sessions, offline ones included. The realm's settings are in ./realm, the calls scoped to one
 * realm in ./realm-admin; this module re-exports them, so the tests need this one import.
 */
import { realmEndpoints, realmRepresentation, type RealmOptions } from './realm';
import { KeycloakRealmAdmin, type KeycloakAdminApi } from './realm-admin';

export { DEFAULT_EVENT_TYPES, realmEndpoints, type RealmEndpoints, type RealmOptions } from './realm';
export {
  KeycloakRealmAdmin,
  type ClientOptions,
  type EndedSessions,
  type KeycloakEvent,
  type UserOptions,
} from './realm-admin';

/** Where and as whom to reach the admin API (a {@link Keycloak} from ./process fits). */
export interface KeycloakAdminTarget {
  readonly baseUrl: string;
  readonly adminUsername: string;
  readonly adminPassword: string;
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
export class KeycloakAdmin implements KeycloakAdminApi {
  #token: { value: string; renewAt: number } | undefined;

  constructor(private readonly target: KeycloakAdminTarget) {}

  /** Creates a realm configured for the vault's tests and returns its admin helper. */
  async createRealm(options: RealmOptions): Promise<KeycloakRealmAdmin> {
    await this.request('POST', '/admin/realms', realmRepresentation(options));
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
