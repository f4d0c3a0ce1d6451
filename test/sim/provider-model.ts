/**
 * An OAuth authorization server as the simulation needs it: authorization codes with PKCE, refresh-token
 * rotation with reuse detection that revokes the whole grant (Keycloak, oidc-provider, Auth0 without a reuse
 * interval), and variants with a grace window (Okta, Auth0 with a reuse interval), without rotation (Google)
 * and without refresh tokens in answers. It keeps the log the invariants need: every presentation of a
 * refresh token, and every grant's fate.
 */
import { createHash } from 'node:crypto';

export type RotationVariant = 'strict' | 'grace' | 'none' | 'no_refresh_token';

export interface ProviderSettings {
  readonly variant: RotationVariant;
  /** Grace window of the `grace` variant: a used token presented again within it gets the same successor. */
  readonly graceMs: number;
  readonly accessTokenTtlSeconds: number;
  /** Refresh token lifetime, sent as `refresh_token_expires_in`; undefined: not stated (and never expires). */
  readonly refreshTokenTtlSeconds?: number;
  readonly clientId: string;
  /**
   * What revoking a refresh token ends: the whole grant (Keycloak, oidc-provider, Google) or only that token
   * while it is the current one (RFC 7009 lets the server choose). @default 'grant'
   */
  readonly revocationScope?: 'grant' | 'token';
  /** Google: a refresh token only on a user's first consent; a re-consent answers an access token alone. */
  readonly refreshTokenOnFirstConsentOnly?: boolean;
  /** One grant per user and client (Google with prompt=consent): every consent adds a refresh token to it. */
  readonly sharedGrant?: boolean;
}

export type GrantEnd = 'reuse' | 'revocation' | 'withdrawn' | 'superseded';

export interface Grant {
  readonly id: number;
  readonly userId: string;
  readonly createdAt: number;
  /** The authorization code it was created from. */
  readonly code: string;
  ended?: { readonly cause: GrantEnd; readonly at: number };
  /** The refresh token that is valid now (undefined for the no-refresh-token variant). */
  current?: string;
  currentExpiresAt?: number;
  /** Used refresh tokens: when they were used and what replaced them. */
  readonly used: Map<string, { at: number; successor: string }>;
}

export interface Presentation {
  readonly token: string;
  readonly grantId: number;
  readonly at: number;
  /** Request id of the HTTP exchange (the network layer knows whether its answer was delivered). */
  readonly requestId: number;
  readonly outcome: 'rotated' | 'same' | 'grace' | 'reuse_detected' | 'invalid_grant';
  readonly successor?: string;
}

export interface ProviderRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly requestId: number;
}

export interface ProviderAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export class ProviderModel {
  readonly grants: Grant[] = [];
  readonly presentations: Presentation[] = [];
  private readonly byRefreshToken = new Map<string, Grant>();
  /** Access tokens, with the authorization code their chain of refreshes started from (the flow that made them). */
  private readonly accessTokens = new Map<
    string,
    { grant: Grant; expiresAt: number; originCode: string; withRefreshToken: boolean }
  >();
  /** The authorization code each refresh token's chain started from. */
  private readonly refreshOrigin = new Map<string, string>();
  private readonly codes = new Map<string, { userId: string; challenge: string; used: boolean }>();
  private counter = 0;
  /** The client secret the provider accepts now (an operator may rotate it). */
  clientSecret: string;
  refreshRequests = 0;

  constructor(
    readonly settings: ProviderSettings,
    clientSecret: string,
    private readonly now: () => number,
  ) {
    this.clientSecret = clientSecret;
  }

  /** The browser part of the flow: the user consents and the provider issues a code for the PKCE challenge. */
  authorize(userId: string, codeChallenge: string): string {
    const code = `code-${++this.counter}`;
    this.codes.set(code, { userId, challenge: codeChallenge, used: false });
    return code;
  }

  /** The user withdraws consent at the provider: the grant is ended. */
  withdraw(grantId: number): void {
    const grant = this.grants[grantId];
    if (grant && !grant.ended) grant.ended = { cause: 'withdrawn', at: this.now() };
  }

  grantOfAccessToken(
    token: string,
  ): { grant: Grant; expiresAt: number; originCode: string; withRefreshToken: boolean } | undefined {
    return this.accessTokens.get(token);
  }

  grantOfRefreshToken(token: string): Grant | undefined {
    return this.byRefreshToken.get(token);
  }

  handle(request: ProviderRequest): ProviderAnswer {
    const path = new URL(request.url).pathname;
    const fields = parseBody(request);
    if (!this.authenticated(request, fields)) return { status: 401, body: { error: 'invalid_client' } };
    if (path === '/token') return this.token(fields, request.requestId);
    if (path === '/revoke') return this.revoke(fields);
    return { status: 404, body: { error: 'not_found' } };
  }

  private authenticated(request: ProviderRequest, fields: Record<string, string>): boolean {
    const basic = request.headers.authorization;
    if (basic?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(basic.slice(6), 'base64').toString().split(':').map(decodeURIComponent);
      return id === this.settings.clientId && secret === this.clientSecret;
    }
    return fields.client_id === this.settings.clientId && fields.client_secret === this.clientSecret;
  }

  private token(fields: Record<string, string>, requestId: number): ProviderAnswer {
    if (fields.grant_type === 'authorization_code') return this.exchange(fields);
    if (fields.grant_type === 'refresh_token') return this.refresh(fields.refresh_token ?? '', requestId);
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }

  private exchange(fields: Record<string, string>): ProviderAnswer {
    const code = this.codes.get(fields.code ?? '');
    if (!code || code.used) return { status: 400, body: { error: 'invalid_grant' } };
    code.used = true;
    const challenge = createHash('sha256')
      .update(fields.code_verifier ?? '', 'ascii')
      .digest('base64url');
    if (challenge !== code.challenge) return { status: 400, body: { error: 'invalid_grant' } };
    if (this.settings.sharedGrant) {
      const existing = this.grants.find((g) => g.userId === code.userId && !g.ended);
      if (existing)
        return {
          status: 200,
          body: this.tokenBody(existing, this.issueRefreshToken(existing, fields.code ?? ''), fields.code ?? ''),
        };
    }
    if (this.settings.refreshTokenOnFirstConsentOnly) {
      // A grant whose refresh token has expired is gone: the next consent is a first one again.
      const existing = this.grants.find(
        (g) =>
          g.userId === code.userId && !g.ended && (g.currentExpiresAt === undefined || g.currentExpiresAt > this.now()),
      );
      if (existing) return { status: 200, body: this.tokenBody(existing, undefined, fields.code ?? '') };
    }
    const grant: Grant = {
      id: this.grants.length,
      userId: code.userId,
      createdAt: this.now(),
      code: fields.code ?? '',
      used: new Map(),
    };
    this.grants.push(grant);
    const refresh =
      this.settings.variant === 'no_refresh_token' ? undefined : this.issueRefreshToken(grant, fields.code ?? '');
    return { status: 200, body: this.tokenBody(grant, refresh, fields.code ?? '') };
  }

  private refresh(token: string, requestId: number): ProviderAnswer {
    this.refreshRequests++;
    const grant = this.byRefreshToken.get(token);
    const log = (outcome: Presentation['outcome'], successor?: string): void => {
      this.presentations.push({
        token,
        grantId: grant?.id ?? -1,
        at: this.now(),
        requestId,
        outcome,
        ...(successor ? { successor } : {}),
      });
    };
    if (!grant || grant.ended) {
      log('invalid_grant');
      return { status: 400, body: { error: 'invalid_grant', error_description: 'grant ended' } };
    }
    const used = grant.used.get(token);
    if (used) {
      if (this.settings.variant === 'grace' && this.now() - used.at <= this.settings.graceMs) {
        log('grace', used.successor);
        return { status: 200, body: this.tokenBody(grant, used.successor, this.refreshOrigin.get(token) ?? '') };
      }
      // Reuse detection: a used refresh token means it leaked or was forked; the whole grant dies.
      grant.ended = { cause: 'reuse', at: this.now() };
      log('reuse_detected');
      return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token reused' } };
    }
    if (grant.currentExpiresAt !== undefined && grant.currentExpiresAt <= this.now()) {
      log('invalid_grant');
      return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token expired' } };
    }
    if (this.settings.variant === 'none') {
      log('same', token);
      return { status: 200, body: this.tokenBody(grant, undefined, this.refreshOrigin.get(token) ?? '') };
    }
    const successor = this.issueRefreshToken(grant, this.refreshOrigin.get(token) ?? '');
    grant.used.set(token, { at: this.now(), successor });
    log('rotated', successor);
    return { status: 200, body: this.tokenBody(grant, successor, this.refreshOrigin.get(token) ?? '') };
  }

  private revoke(fields: Record<string, string>): ProviderAnswer {
    const token = fields.token ?? '';
    const grant = this.byRefreshToken.get(token);
    const whole = (this.settings.revocationScope ?? 'grant') === 'grant';
    if (grant && !grant.ended && (whole || grant.current === token))
      grant.ended = { cause: 'revocation', at: this.now() };
    // RFC 7009 §2.2: 200 for unknown tokens too.
    return { status: 200, body: {} };
  }

  private issueRefreshToken(grant: Grant, originCode: string): string {
    const token = `rt-${grant.id}-${++this.counter}`;
    this.refreshOrigin.set(token, originCode);
    grant.current = token;
    const ttl = this.settings.refreshTokenTtlSeconds;
    grant.currentExpiresAt = ttl === undefined ? undefined : this.now() + ttl * 1000;
    this.byRefreshToken.set(token, grant);
    return token;
  }

  private tokenBody(grant: Grant, refreshToken: string | undefined, originCode: string): Record<string, unknown> {
    const accessToken = `at-${grant.id}-${++this.counter}`;
    this.accessTokens.set(accessToken, {
      grant,
      expiresAt: this.now() + this.settings.accessTokenTtlSeconds * 1000,
      originCode,
      withRefreshToken: refreshToken !== undefined,
    });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.settings.accessTokenTtlSeconds,
      scope: 'read',
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      ...(refreshToken !== undefined && this.settings.refreshTokenTtlSeconds !== undefined
        ? { refresh_token_expires_in: this.settings.refreshTokenTtlSeconds }
        : {}),
    };
  }
}

function parseBody(request: ProviderRequest): Record<string, string> {
  const type = request.headers['content-type'] ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(request.body) as Record<string, string>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(request.body));
}
