/**
 * The authorization-code flow: `start` makes a pending request (PKCE S256 verifier, single-use random state,
 * 10-minute expiry) and the provider URL; `complete` consumes the state exactly once, checks `iss` (RFC 9207),
 * exchanges the code and stores the tokens sealed. Outcomes are values, not exceptions: the callback must answer
 * every failure with a fixed, safe code.
 */
import { randomUUID } from 'node:crypto';
import { STATE_TTL_SECONDS } from '../../../src/definitions/env';
import type { TokenSealer } from '../crypto/token-sealer';
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import { generateCodeVerifier, generateState } from '../oauth/pkce';
import type { TokenResponse } from '../oauth/types';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { RefreshTiming } from '../refresh/budget';
import { dueAt } from '../refresh/policy';
import type { ProviderGateway } from '../refresh/provider-gateway';
import { FlowEndedError, type ConnectionStore } from '../store/connection-store';
import { StoreError } from '../store/errors';
import { PendingRevocations } from '../store/pending-revocations';
import type { StateStore, PendingAuthorization } from '../store/state-store';
import type { Connection, StoredTokens } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';

/** Codes the callback may put in `error=` of the redirect: a fixed set, nothing from the request is reflected. */
export const CALLBACK_ERROR_CODES = ['access_denied', 'invalid_request', 'authorization_failed', 'provider_unavailable', 'internal_error'] as const;
export type CallbackErrorCode = (typeof CALLBACK_ERROR_CODES)[number];

/** Values of the AuthorizationFailure metric's Reason dimension. */
export type AuthorizationFailureReason =
  | 'invalid_request'
  | 'bad_state'
  | 'expired_state'
  | 'denied'
  | 'provider_error'
  | 'iss_mismatch'
  | 'exchange_failed'
  | 'browser_mismatch'
  | 'flow_ended'
  | 'revocation_pending'
  | 'internal';

export interface CallbackParameters {
  readonly code?: string;
  readonly state?: string;
  readonly iss?: string;
  readonly error?: string;
  /** Value of the browser-binding cookie, when the caller's browser sent one. */
  readonly browserBinding?: string;
}

export type CallbackOutcome =
  | { readonly status: 'connected'; readonly applicationId: string; readonly returnTo?: string }
  | { readonly status: 'error'; readonly error: CallbackErrorCode; readonly reason: AuthorizationFailureReason; readonly applicationId?: string; readonly returnTo?: string };

export interface AuthorizationServiceOptions {
  readonly applications: ApplicationRegistry;
  readonly states: StateStore;
  /** What `complete` needs; `start` (the connect function) runs without them, with no token-table or key access. */
  readonly completion?: {
    readonly connections: ConnectionStore;
    readonly pending: PendingRevocations;
    readonly provider: ProviderGateway;
    /** Seals the tokens exactly as refreshes do. */
    readonly sealer: TokenSealer;
    readonly timing: RefreshTiming;
    /** The refresh margin, for the connection's due time in the sweep's index. */
    readonly marginMs: number;
  };
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  readonly now?: () => number;
  /** @default 10 minutes */
  readonly stateTtlMs?: number;
}

export class AuthorizationService {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly now: () => number;
  private readonly stateTtlMs: number;

  constructor(private readonly options: AuthorizationServiceOptions) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? NO_LOGS;
    this.now = options.now ?? Date.now;
    this.stateTtlMs = options.stateTtlMs ?? STATE_TTL_SECONDS * 1000;
  }

  /** Starts a flow. `returnTo` must match the allow-list (origin and path equal to one entry's). */
  async start(
    request: { userId: string; applicationId: string; returnTo?: string; scopes?: readonly string[]; browserBindingHash?: string },
    deadline: Deadline,
  ): Promise<{ authorizationUrl: string; expiresAt: number }> {
    const app = this.options.applications.require(request.applicationId);
    if (request.returnTo !== undefined && !isAllowedReturnTo(request.returnTo, app.config.returnTo)) {
      throw new VaultError('invalid_request', 'returnTo: not in the application\'s allow-list.');
    }
    const now = this.now();
    const state = generateState();
    const codeVerifier = generateCodeVerifier();
    const scopes = request.scopes ?? app.config.scopes;
    const pending: PendingAuthorization = {
      userId: request.userId,
      applicationId: request.applicationId,
      codeVerifier,
      scopes,
      createdAt: now,
      expiresAt: now + this.stateTtlMs,
      ...(request.returnTo === undefined ? {} : { returnTo: request.returnTo }),
      ...(request.browserBindingHash === undefined ? {} : { browserBindingHash: request.browserBindingHash }),
    };
    await this.options.states.save(state, pending, deadline);
    return { authorizationUrl: app.client.authorizationUrl({ state, codeVerifier, scopes }), expiresAt: pending.expiresAt };
  }

  /** Completes a flow from the callback's query. Never throws for expected failures. */
  async complete(params: CallbackParameters, deadline: Deadline, checkBrowserBinding?: (pending: PendingAuthorization) => boolean): Promise<CallbackOutcome> {
    const completion = this.options.completion;
    if (!completion) throw new Error('AuthorizationService was built without its completion dependencies.');
    if (!params.state) return this.fail('invalid_request', 'invalid_request');
    const consumed = await this.options.states.consume(params.state, deadline);
    if (consumed.outcome === 'unknown') return this.fail('invalid_request', 'bad_state');
    const pending = consumed.pending;
    const where = { applicationId: pending.applicationId, ...(pending.returnTo === undefined ? {} : { returnTo: pending.returnTo }) };
    if (consumed.outcome === 'expired') return this.fail('invalid_request', 'expired_state', where);
    if (checkBrowserBinding && !checkBrowserBinding(pending)) return this.fail('invalid_request', 'browser_mismatch', where);
    if (!this.options.applications.has(pending.applicationId)) return this.fail('invalid_request', 'bad_state', where);
    const app = this.options.applications.require(pending.applicationId);
    // RFC 9207: with a configured issuer, the response must name it (mix-up defence) — errors included.
    if (app.config.issuer !== undefined && params.iss !== app.config.issuer) return this.fail('invalid_request', 'iss_mismatch', where);
    if (params.error !== undefined) {
      return this.fail(params.error === 'access_denied' ? 'access_denied' : 'authorization_failed', params.error === 'access_denied' ? 'denied' : 'provider_error', where);
    }
    if (!params.code) return this.fail('invalid_request', 'invalid_request', where);
    const { timing } = completion;
    // The exchange and everything after it must fit: secret, exchange, data key, previous connection and its
    // refresh token, the save.
    if (!deadline.allows(5 * timing.awsCallMs + timing.providerTimeoutMs)) return this.fail('provider_unavailable', 'exchange_failed', where);
    const key = { userId: pending.userId, applicationId: pending.applicationId };
    let response: TokenResponse;
    let secret: string;
    try {
      secret = await completion.provider.clientSecret(pending.applicationId, deadline);
      response = await app.client.exchangeCode(params.code, pending.codeVerifier, secret, { signal: deadline.signal(timing.providerTimeoutMs), timeoutMs: timing.providerTimeoutMs });
    } catch (error) {
      this.logger.warn('Authorization code exchange failed.', { userId: pending.userId, applicationId: pending.applicationId, ...describeError(error) });
      if (error instanceof OAuthError) return this.fail(error.isTransient ? 'provider_unavailable' : 'authorization_failed', 'exchange_failed', where);
      return this.fail('internal_error', 'internal', where);
    }
    const requestedAt = this.now();
    try {
      const previous = await this.save(key, response, requestedAt, pending.createdAt, deadline);
      this.metrics.count('CONNECTION', { Application: pending.applicationId });
      this.logger.info('Connection established.', { userId: pending.userId, applicationId: pending.applicationId, reconnected: previous !== undefined });
      return { status: 'connected', ...where };
    } catch (error) {
      // The provider issued a grant the vault does not keep: end it there rather than leave it alive. Unless the
      // save's fate is unknown: revoking a token that was stored after all would log the user out.
      if (response.refreshToken !== undefined && !(error instanceof SaveOutcomeUnknown)) await this.revokeUnkept(key, response.refreshToken, secret, deadline);
      if (error instanceof FlowEndedError) return this.fail('invalid_request', 'flow_ended', where);
      if (error instanceof RevocationPendingError) {
        this.logger.warn('A connect answered without a refresh token while the previous grant is being revoked; the user should connect again shortly.', {
          userId: pending.userId,
          applicationId: pending.applicationId,
        });
        return this.fail('provider_unavailable', 'revocation_pending', where);
      }
      this.logger.warn('The new connection could not be stored.', { userId: pending.userId, applicationId: pending.applicationId, ...describeError(error) });
      return this.fail('internal_error', 'internal', where);
    }
  }

  /**
   * Seals and stores the tokens of a completed flow (again when a concurrent change moved the item).
   * A reconnect whose answer has no refresh token keeps the live one (Google answers re-consent without one).
   * Keeping it is safe only while no refresh is rotating it: the save then waits for a refresh in flight to end
   * and is conditioned on no lease, so it never stores a refresh token a refresh has just used up.
   */
  private async save(key: { userId: string; applicationId: string }, response: TokenResponse, requestedAt: number, flowStartedAt: number, deadline: Deadline): Promise<Connection | undefined> {
    const completion = this.options.completion!;
    const clock = deadline.clock;
    for (let attempt = 0; ; attempt++) {
      let previous = await completion.connections.get(key, deadline);
      const keepsOld = response.refreshToken === undefined && previous?.status === 'active' && previous.tokens.refreshToken !== undefined;
      // Wait for a refresh in flight, leaving time for the save itself.
      while (keepsOld && previous?.status === 'active' && previous.lease && previous.lease.expiresAt >= clock.now() && deadline.allows(4 * completion.timing.awsCallMs)) {
        await clock.sleep(100 + Math.floor(Math.random() * 150));
        previous = await completion.connections.get(key, deadline);
      }
      let kept: { plaintext: string; expiresAt?: number; expiryAssumed?: boolean } | undefined;
      if (response.refreshToken !== undefined) kept = { plaintext: response.refreshToken };
      else if (previous?.status === 'active' && previous.tokens.refreshToken !== undefined) {
        const old = await completion.sealer.openRefreshToken(previous, deadline);
        if (old !== undefined) {
          kept = {
            plaintext: old,
            ...(previous.tokens.refreshTokenExpiresAt === undefined ? {} : { expiresAt: previous.tokens.refreshTokenExpiresAt }),
            ...(previous.tokens.refreshTokenExpiryAssumed ? { expiryAssumed: true } : {}),
          };
        }
      }
      if (kept === undefined && (await this.revocationPending(key, deadline))) throw new RevocationPendingError();
      const dataKey = await completion.sealer.newDataKey(key, deadline);
      const tokens: StoredTokens = completion.sealer.seal(key, response, kept, requestedAt, dataKey);
      const connectionId = randomUUID();
      try {
        await completion.connections.saveConnected(
          key,
          previous,
          tokens,
          {
            connectionId,
            dueAt: dueAt(tokens, completion.marginMs),
            flowStartedAt,
            ...(response.refreshToken === undefined && kept !== undefined ? { noLeaseAt: clock.now() } : {}),
            // A new refresh token replaces a live one: where each authorization is a grant of its own, the old
            // grant is revoked at the provider (a pending revocation, in the same write).
            ...(response.refreshToken !== undefined && completion.provider.revokesReplacedRefreshTokens(key.applicationId) ? { revokeReplaced: true } : {}),
          },
          deadline,
        );
        return previous;
      } catch (error) {
        if (error instanceof FlowEndedError) throw error;
        // A conflict may be our own write met by the SDK's retry, and an error may hide a write that landed:
        // the item tells, by the connection id this save gave it (refreshes since keep it).
        const landed = await this.ownSaveLanded(key, connectionId, deadline);
        if (landed === true) return previous;
        if (landed === undefined) throw new SaveOutcomeUnknown('The save of a new connection may or may not have landed.', { cause: error });
        if (!(error instanceof StoreError && error.code === 'conflict') || attempt >= 3) throw error;
      }
    }
  }

  /**
   * Whether a refresh token of this user and application is still waiting to be revoked at the provider. A
   * connect answered without a refresh token then belongs to the grant being revoked (a provider with one grant
   * per user answers a re-consent without one): storing it would leave a connection that dies with that grant.
   */
  private async revocationPending(key: { userId: string; applicationId: string }, deadline: Deadline): Promise<boolean> {
    const items = await this.options.completion!.connections.queryUser(key.userId, deadline);
    return PendingRevocations.fromUserItems(items).some((p) => p.applicationId === key.applicationId);
  }

  /** Whether the item is the connection this save made; undefined when it can't be read in time. */
  private async ownSaveLanded(key: { userId: string; applicationId: string }, connectionId: string, deadline: Deadline): Promise<boolean | undefined> {
    const completion = this.options.completion!;
    for (let attempt = 0; deadline.allows(completion.timing.awsCallMs); attempt++) {
      try {
        const current = await completion.connections.get(key, deadline);
        return current !== undefined && current.connectionId === connectionId;
      } catch {
        await deadline.clock.sleep(Math.min(100 * 2 ** attempt, 1000));
      }
    }
    return undefined;
  }

  /** Revokes a refresh token the vault will not store; left to the sweep when the provider can't be told now. */
  private async revokeUnkept(key: { userId: string; applicationId: string }, refreshToken: string, secret: string, deadline: Deadline): Promise<void> {
    const completion = this.options.completion!;
    const { timing } = completion;
    try {
      if (!deadline.allows(timing.providerTimeoutMs)) throw new Error('no time left');
      await completion.provider.revoke(key.applicationId, refreshToken, secret, { signal: deadline.signal(timing.providerTimeoutMs), timeoutMs: timing.providerTimeoutMs });
    } catch (error) {
      try {
        const dataKey = await completion.sealer.newDataKey(key, deadline);
        const sealed = completion.sealer.cipher.sealWith(dataKey, key, { refreshToken });
        await completion.pending.add(key, { encryptedDataKey: sealed.encryptedDataKey, refreshToken: sealed.fields.refreshToken! }, 'flow_not_kept', randomUUID(), deadline);
      } catch (recordError) {
        this.logger.error('A refresh token the vault did not keep could not be revoked or recorded.', { userId: key.userId, applicationId: key.applicationId, ...describeError(recordError), revokeError: describeError(error) });
      }
    }
  }

  private fail(error: CallbackErrorCode, reason: AuthorizationFailureReason, where: { applicationId?: string; returnTo?: string } = {}): CallbackOutcome {
    this.metrics.count('AUTHORIZATION_FAILURE', { Application: where.applicationId ?? 'unknown', Reason: reason });
    return { status: 'error', error, reason, ...where };
  }
}

/** docs/contract.md: a `returnTo` is allowed when its origin and path equal one allow-list entry's. */
export function isAllowedReturnTo(returnTo: string, allowList: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  return allowList.some((entry) => {
    const allowed = new URL(entry);
    return allowed.origin === url.origin && allowed.pathname === url.pathname;
  });
}

export { MESSAGES };

/** A save whose answer never came and whose item could not be read back: it may or may not have landed. */
class SaveOutcomeUnknown extends Error {
  override readonly name = 'SaveOutcomeUnknown';
}

/** A connect without a refresh token while the previous grant's revocation is pending at the provider. */
class RevocationPendingError extends Error {
  override readonly name = 'RevocationPendingError';
}
