/**
 * OAuth 2.0 client for one provider: authorization URL (PKCE S256 + state), code exchange, refresh and
 * revocation. No hidden state: the client secret is an argument of each call, so a rotated secret is used the
 * moment it is re-read. No retries here: retrying is the caller's one layer (see refresh/backoff.ts).
 *
 * Token answers are read leniently once they carry an access token: a 200 with tokens may hold a rotated refresh
 * token that the provider has already made the only valid one, so refusing the answer over a secondary field
 * (an `expires_in` of 0, a numeric string, a non-string scope) would log the user out at the next refresh.
 * Such fields get their default and a warning ({@link OAuthClientOptions.onWarning}). The only exception is a
 * token type the vault can't serve (DPoP, MAC): handing that out as a Bearer token would fail at every API call.
 *
 * Written by hand rather than with oauth4webapi: that library is ESM-only (our Jest/CommonJS toolchain would
 * need transforms), does not speak the seed provider's JSON revocation body, and folds 429/Retry-After and HTML
 * error pages into generic errors, which are exactly the distinctions the refresh coordinator needs.
 */
import { codeChallengeS256 } from './pkce';
import { errorFromResponse, postToProvider, type ProviderResponse } from './http';
import { OAuthError } from './errors';
import type { OAuthCallOptions, OAuthClientOptions, ProviderSettings, TokenResponse } from './types';

export interface AuthorizationRequest {
  readonly state: string;
  readonly codeVerifier: string;
  readonly scopes: readonly string[];
}

/** Timeout of a provider call when the options name none. */
const DEFAULT_TIMEOUT_MS = 5000;

export class OAuthClient {
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly timeoutSignal: (ms: number) => AbortSignal;
  private readonly onWarning: (message: string) => void;
  private readonly warned = new Set<string>();

  constructor(
    readonly settings: ProviderSettings,
    options: OAuthClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
    this.timeoutSignal = options.timeoutSignal ?? ((ms) => AbortSignal.timeout(ms));
    this.onWarning = options.onWarning ?? (() => undefined);
  }

  /**
   * The URL to send the user to. Extra parameters (`prompt`, `access_type`, `audience`) go first, so the
   * protocol's own can't be replaced by them; required scopes are added to whatever the caller asked for.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
   */
  authorizationUrl(request: AuthorizationRequest): string {
    const url = new URL(this.settings.authorizeUrl);
    for (const [name, value] of Object.entries(this.settings.authorizationParameters ?? {}))
      url.searchParams.set(name, value);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', this.settings.redirectUri);
    const scopes = [...new Set([...request.scopes, ...(this.settings.requiredScopes ?? [])])];
    if (scopes.length > 0) url.searchParams.set('scope', scopes.join(this.settings.scopeSeparator ?? ' '));
    url.searchParams.set('state', request.state);
    url.searchParams.set('code_challenge', codeChallengeS256(request.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    for (const resource of this.settings.resource ?? []) url.searchParams.append('resource', resource);
    return url.toString();
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 */
  async exchangeCode(
    code: string,
    codeVerifier: string,
    clientSecret: string,
    options: OAuthCallOptions = {},
  ): Promise<TokenResponse> {
    const response = await this.tokenRequest(
      [
        ['grant_type', 'authorization_code'],
        ['code', code],
        ['redirect_uri', this.settings.redirectUri],
        ['code_verifier', codeVerifier],
      ],
      clientSecret,
      options,
    );
    return this.processTokenResponse(response, 'authorization code exchange');
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  async refresh(refreshToken: string, clientSecret: string, options: OAuthCallOptions = {}): Promise<TokenResponse> {
    const response = await this.tokenRequest(
      [
        ['grant_type', 'refresh_token'],
        ['refresh_token', refreshToken],
      ],
      clientSecret,
      options,
    );
    return this.processTokenResponse(response, 'refresh', { keepOtherTokenTypes: true });
  }

  /**
   * Revokes a refresh token (and with it, at most providers, its access tokens). RFC 7009 §2.2: 200 also for
   * unknown tokens, so any 2xx is success; a 503 means the token must be assumed alive (thrown as server_error).
   * A provider without a revocation endpoint (`revocationBody: 'none'`) gets no request: kind
   * `revocation_unsupported`, not transient.
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  async revokeRefreshToken(refreshToken: string, clientSecret: string, options: OAuthCallOptions = {}): Promise<void> {
    if (this.settings.revocationBody === 'none') {
      throw new OAuthError(
        'revocation_unsupported',
        'The provider has no revocation endpoint; the token was not revoked there.',
        { notSent: true },
      );
    }
    const fields = new URLSearchParams([
      ['token', refreshToken],
      ['token_type_hint', 'refresh_token'],
    ]);
    const headers: Record<string, string> = {};
    this.authenticate(fields, headers, clientSecret);
    const json = this.settings.revocationBody === 'json';
    const response = await postToProvider({
      url: this.settings.revocationUrl,
      headers: { ...headers, 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: json ? JSON.stringify(Object.fromEntries(fields)) : fields.toString(),
      ...this.transport(options),
    });
    if (response.status >= 200 && response.status < 300) return;
    throw errorFromResponse(response, 'revocation', this.settings.errorCodes);
  }

  private async tokenRequest(
    fields: ReadonlyArray<[string, string]>,
    clientSecret: string,
    options: OAuthCallOptions,
  ): Promise<ProviderResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams(fields);
    // RFC 8707 §2.2: the same resources on token requests, so the access token is scoped to them.
    // @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
    for (const resource of this.settings.resource ?? []) body.append('resource', resource);
    this.authenticate(body, headers, clientSecret);
    return postToProvider({ url: this.settings.tokenUrl, headers, body: body.toString(), ...this.transport(options) });
  }

  private transport(options: OAuthCallOptions) {
    return {
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      fetch: this.fetch,
      now: this.now,
      timeoutSignal: this.timeoutSignal,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
  }

  /**
   * RFC 6749 §2.3.1: Basic with form-urlencoded id and secret, or both in the body.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
   */
  private authenticate(body: URLSearchParams, headers: Record<string, string>, clientSecret: string): void {
    if (this.settings.tokenEndpointAuth === 'client_secret_basic') {
      const user = encodeURIComponent(this.settings.clientId);
      const pass = encodeURIComponent(clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    } else {
      body.set('client_id', this.settings.clientId);
      body.set('client_secret', clientSecret);
    }
  }

  /**
   * Reads a token endpoint answer into a {@link TokenResponse}. Strict only about what makes it usable: a 200
   * with a non-empty `access_token` of a servable type. A 200 whose body is an OAuth error is that error (GitHub
   * and Slack answer errors with 200).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
   */
  private processTokenResponse(
    response: ProviderResponse,
    what: string,
    options: { keepOtherTokenTypes?: boolean } = {},
  ): TokenResponse {
    if (response.status !== 200) throw errorFromResponse(response, what, this.settings.errorCodes);
    const json = response.json;
    if (json === undefined)
      throw new OAuthError('invalid_response', `The provider answered the ${what} with an empty body.`, {
        status: 200,
      });
    const accessToken = json.access_token;
    const hasAccessToken = typeof accessToken === 'string' && accessToken.length > 0;
    if (typeof json.error === 'string') {
      // Tokens next to an error code: the tokens are the provider's decision (a rotation may have happened).
      if (!hasAccessToken) throw errorFromResponse(response, what, this.settings.errorCodes);
      this.warn(`The provider's ${what} answer carries tokens and an error code; the tokens are used.`);
    }
    if (!hasAccessToken)
      throw new OAuthError('invalid_response', `The provider's ${what} answer has no access_token.`, { status: 200 });
    const tokenType = this.tokenType(json.token_type, what, options.keepOtherTokenTypes ?? false);
    const refreshToken = this.optionalString(json.refresh_token, 'refresh_token', what);
    const scope = this.scope(json.scope, what);
    const expiresIn = this.optionalSeconds(json, 'expires_in', what);
    const refreshTokenExpiresIn =
      this.optionalSeconds(json, 'refresh_token_expires_in', what) ??
      this.optionalSeconds(json, 'refresh_expires_in', what);
    return {
      accessToken,
      tokenType,
      ...(expiresIn === undefined ? {} : { expiresIn }),
      ...(refreshToken === undefined || refreshToken === '' ? {} : { refreshToken }),
      ...(refreshTokenExpiresIn === undefined ? {} : { refreshTokenExpiresIn }),
      ...(scope === undefined ? {} : { scope }),
    };
  }

  /**
   * Only Bearer tokens are served (RFC 6750), whatever the case (GitHub says `bearer`) and under the names the
   * application declares (`bearerTokenTypes`, e.g. Slack's `bot`). Absent means Bearer. Another type (DPoP, MAC)
   * refuses a code exchange; a refresh answer keeps it (sanitized), so that its rotated refresh token is still
   * stored and the vault refuses only to serve the access token.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-7.1
   * @see https://www.rfc-editor.org/rfc/rfc9449#section-5
   */
  private tokenType(value: unknown, what: string, keepOther: boolean): string {
    if (value === undefined || value === null) return BEARER;
    if (typeof value !== 'string' || value.trim() === '') {
      this.warn(`The provider's ${what} answer has an invalid token_type; Bearer is assumed.`);
      return BEARER;
    }
    const type = value.trim().toLowerCase();
    if (type === 'bearer' || (this.settings.bearerTokenTypes ?? []).some((alias) => alias.toLowerCase() === type))
      return BEARER;
    const named = value.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'unnamed';
    if (keepOther) {
      this.warn(`The provider's ${what} answer has token_type ${named}; only Bearer tokens can be served.`);
      return named;
    }
    throw new OAuthError(
      'unsupported_token_type',
      `The provider's ${what} answer has token_type ${named}; only Bearer tokens can be served.`,
      { status: 200 },
    );
  }

  /** A token answer's `scope`, space-separated whatever separator the provider uses. */
  private scope(value: unknown, what: string): string | undefined {
    const scope = this.optionalString(value, 'scope', what);
    if (scope === undefined || (this.settings.scopeSeparator ?? ' ') === ' ') return scope;
    return scope
      .split(this.settings.scopeSeparator ?? ' ')
      .map((s) => s.trim())
      .filter(Boolean)
      .join(' ');
  }

  private optionalString(value: unknown, field: string, what: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.warn(`The provider's ${what} answer has a non-string ${field}; it is ignored.`);
    return undefined;
  }

  /**
   * Seconds as a positive whole number; a numeric string is a number (Azure AD v1 sends "3600"). Absent means
   * "not stated", silently; 0, negative, null or non-numeric also mean "not stated", with a warning (Keycloak's
   * `refresh_expires_in: 0` for offline tokens means "no fixed expiry").
   */
  private optionalSeconds(json: Record<string, unknown>, field: string, what: string): number | undefined {
    if (!Object.hasOwn(json, field)) return undefined;
    const value = json[field];
    const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 1) return Math.floor(n);
    this.warn(
      `The provider's ${what} answer has ${field} that states no expiry (not a positive number); it is treated as absent.`,
    );
    return undefined;
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.onWarning(message);
  }
}

const BEARER = 'Bearer';
