/**
 * OAuth 2.0 client for one provider: authorization URL (PKCE S256 + state), code exchange, refresh and
 * revocation. No hidden state: the client secret is an argument of each call, so a rotated secret is used the
 * moment it is re-read. No retries here: retrying is the caller's one layer (see refresh/backoff.ts).
 *
 * Written by hand rather than with oauth4webapi: that library is ESM-only (our Jest/CommonJS toolchain would
 * need transforms), does not speak the seed provider's JSON revocation body, and folds 429/Retry-After and HTML
 * error pages into generic errors, which are exactly the distinctions the refresh coordinator needs.
 */
import { codeChallengeS256 } from './pkce';
import { errorFromResponse, postToProvider, type ProviderResponse } from './http';
import { OAuthError } from './errors';
import type { OAuthClientOptions, ProviderSettings, TokenResponse } from './types';

export interface AuthorizationRequest {
  readonly state: string;
  readonly codeVerifier: string;
  readonly scopes: readonly string[];
}

export class OAuthClient {
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    readonly settings: ProviderSettings,
    options: OAuthClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1 and RFC 7636 §4.3 */
  authorizationUrl(request: AuthorizationRequest): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('redirect_uri', this.settings.redirectUri);
    if (request.scopes.length > 0) url.searchParams.set('scope', request.scopes.join(' '));
    url.searchParams.set('state', request.state);
    url.searchParams.set('code_challenge', codeChallengeS256(request.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3 */
  async exchangeCode(code: string, codeVerifier: string, clientSecret: string): Promise<TokenResponse> {
    const response = await this.tokenRequest(
      { grant_type: 'authorization_code', code, redirect_uri: this.settings.redirectUri, code_verifier: codeVerifier },
      clientSecret,
    );
    return this.processTokenResponse(response, 'authorization code exchange');
  }

  /** @see https://www.rfc-editor.org/rfc/rfc6749#section-6 */
  async refresh(refreshToken: string, clientSecret: string): Promise<TokenResponse> {
    const response = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, clientSecret);
    return this.processTokenResponse(response, 'refresh');
  }

  /**
   * Revokes a refresh token (and with it, at most providers, its access tokens). RFC 7009 §2.2: 200 also for
   * unknown tokens, so any 2xx is success; a 503 means the token must be assumed alive (thrown as server_error).
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  async revokeRefreshToken(refreshToken: string, clientSecret: string): Promise<void> {
    const fields: Record<string, string> = { token: refreshToken, token_type_hint: 'refresh_token' };
    const headers: Record<string, string> = {};
    this.authenticate(fields, headers, clientSecret);
    const json = this.settings.revocationBody === 'json';
    const response = await postToProvider({
      url: this.settings.revocationUrl,
      headers: { ...headers, 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: json ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
      timeoutMs: this.timeoutMs,
      fetch: this.fetch,
      now: this.now,
    });
    if (response.status >= 200 && response.status < 300) return;
    throw errorFromResponse(response, 'revocation');
  }

  private async tokenRequest(fields: Record<string, string>, clientSecret: string): Promise<ProviderResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = { ...fields };
    this.authenticate(body, headers, clientSecret);
    return postToProvider({
      url: this.settings.tokenUrl,
      headers,
      body: new URLSearchParams(body).toString(),
      timeoutMs: this.timeoutMs,
      fetch: this.fetch,
      now: this.now,
    });
  }

  /** RFC 6749 §2.3.1: Basic with form-urlencoded id and secret, or both in the body. */
  private authenticate(body: Record<string, string>, headers: Record<string, string>, clientSecret: string): void {
    if (this.settings.tokenEndpointAuth === 'client_secret_basic') {
      const user = encodeURIComponent(this.settings.clientId);
      const pass = encodeURIComponent(clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    } else {
      body.client_id = this.settings.clientId;
      body.client_secret = clientSecret;
    }
  }

  /** Validates a token endpoint answer into a {@link TokenResponse}. */
  private processTokenResponse(response: ProviderResponse, what: string): TokenResponse {
    if (response.status !== 200) throw errorFromResponse(response, what);
    const json = response.json;
    if (json === undefined) throw new OAuthError('invalid_response', `The provider answered the ${what} with an empty body.`, { status: 200 });
    if (typeof json.error === 'string') throw errorFromResponse({ ...response, status: 400 }, what);
    const accessToken = json.access_token;
    if (typeof accessToken !== 'string' || accessToken.length === 0) {
      throw new OAuthError('invalid_response', `The provider's ${what} answer has no access_token.`, { status: 200 });
    }
    const tokenType = optionalString(json.token_type, 'token_type', what) ?? 'Bearer';
    const refreshToken = optionalString(json.refresh_token, 'refresh_token', what);
    const scope = optionalString(json.scope, 'scope', what);
    const expiresIn = optionalSeconds(json.expires_in, 'expires_in', what);
    const refreshTokenExpiresIn =
      optionalSeconds(json.refresh_token_expires_in, 'refresh_token_expires_in', what) ??
      optionalSeconds(json.refresh_expires_in, 'refresh_expires_in', what);
    return {
      accessToken,
      tokenType,
      ...(expiresIn === undefined ? {} : { expiresIn }),
      ...(refreshToken === undefined || refreshToken === '' ? {} : { refreshToken }),
      ...(refreshTokenExpiresIn === undefined ? {} : { refreshTokenExpiresIn }),
      ...(scope === undefined ? {} : { scope }),
    };
  }
}

function optionalString(value: unknown, field: string, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new OAuthError('invalid_response', `The provider's ${what} answer has a non-string ${field}.`, { status: 200 });
  return value;
}

/** Seconds as a positive number; numeric strings are accepted (some providers send "3600"). */
function optionalSeconds(value: unknown, field: string, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new OAuthError('invalid_response', `The provider's ${what} answer has an invalid ${field}.`, { status: 200 });
  }
  return Math.floor(n);
}
