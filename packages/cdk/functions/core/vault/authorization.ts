/**
 * The authorization-code flow: `start` makes a pending request (PKCE S256 verifier, single-use random state,
 * 10-minute expiry) and the provider URL; `complete` consumes the state exactly once, checks `iss` (RFC 9207),
 * exchanges the code and stores the tokens sealed. Outcomes are values, not exceptions: the callback must answer
 * every failure with a fixed, safe code.
 */
import { randomUUID } from 'node:crypto';
import { FLOW_HANDLE_TTL_SECONDS, STATE_TTL_SECONDS } from '../../../src/definitions/env';
import type { TokenSealer } from '../crypto/token-sealer';
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import { generateCodeVerifier, generateState } from '../oauth/pkce';
import type { TokenResponse } from '../oauth/types';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { RefreshTiming } from '../refresh/budget';
import type { ProviderGateway } from '../refresh/provider-gateway';
import { FlowEndedError, type ConnectionStore } from '../store/connection-store';
import type { PendingRevocations } from '../store/pending-revocations';
import type { FlowStore, ParkedFlow } from '../store/flow-store';
import type { StateStore, PendingAuthorization } from '../store/state-store';
import type { EventPublisher } from '../events/publisher';
import { ConnectionSaver, RevocationPendingError, SaveOutcomeUnknown } from './connection-saver';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';

/** Codes the callback may put in `error=` of the redirect: a fixed set, nothing from the request is reflected. */
export const CALLBACK_ERROR_CODES = [
  'access_denied',
  'invalid_request',
  'authorization_failed',
  'provider_unavailable',
  'internal_error',
] as const;
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
  | 'internal'
  | 'session_mismatch'
  | 'flow_unknown'
  | 'flow_expired';

export interface CallbackParameters {
  readonly code?: string;
  readonly state?: string;
  readonly iss?: string;
  readonly error?: string;
  /** Value of the browser-binding cookie, when the caller's browser sent one. */
  readonly browserBinding?: string;
}

export type CallbackOutcome =
  | {
      readonly status: 'connected';
      readonly userId: string;
      readonly applicationId: string;
      readonly returnTo?: string;
    }
  /** Session binding: the tokens are parked until the application calls `complete` with the same user. */
  | {
      readonly status: 'pending';
      readonly userId: string;
      readonly applicationId: string;
      readonly returnTo: string;
      readonly flowHandle: string;
    }
  | {
      readonly status: 'error';
      readonly error: CallbackErrorCode;
      readonly reason: AuthorizationFailureReason;
      readonly applicationId?: string;
      readonly returnTo?: string;
    };

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
    /** Parked flows of session-bound applications (README "Session binding"). */
    readonly flows: FlowStore;
  };
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  /** Lifecycle events (`Connection Connected`), published after the save committed. */
  readonly events?: EventPublisher;
  readonly now?: () => number;
  /** @default 10 minutes */
  readonly stateTtlMs?: number;
  /** Lifetime of a parked flow's handle. @default 5 minutes */
  readonly flowHandleTtlMs?: number;
}

/** The answer of `complete`. */
export interface FlowCompletion {
  readonly applicationId: string;
  readonly reconnected: boolean;
}

/** Parked grants are revoked this long after their handle expired (no `complete` can still activate them). */
const PARKED_REVOCATION_DELAY_MS = 60_000;

export class AuthorizationService {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly now: () => number;
  private readonly stateTtlMs: number;
  private readonly saver: ConnectionSaver | undefined;
  private readonly flowHandleTtlMs: number;

  constructor(private readonly options: AuthorizationServiceOptions) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? NO_LOGS;
    this.saver =
      options.completion &&
      new ConnectionSaver({
        ...options.completion,
        logger: this.logger,
        ...(options.events ? { events: options.events } : {}),
      });
    this.now = options.now ?? Date.now;
    this.stateTtlMs = options.stateTtlMs ?? STATE_TTL_SECONDS * 1000;
    this.flowHandleTtlMs = options.flowHandleTtlMs ?? FLOW_HANDLE_TTL_SECONDS * 1000;
  }

  /** Starts a flow. `returnTo` must match the allow-list (origin and path equal to one entry's). */
  async start(
    request: {
      userId: string;
      applicationId: string;
      returnTo?: string;
      scopes?: readonly string[];
      browserBindingHash?: string;
    },
    deadline: Deadline,
  ): Promise<{ authorizationUrl: string; expiresAt: number }> {
    const app = this.options.applications.require(request.applicationId);
    if (request.returnTo !== undefined && !isAllowedReturnTo(request.returnTo, app.config.returnTo)) {
      throw new VaultError('invalid_request', "returnTo: not in the application's allow-list.");
    }
    // The pending redirect carries the flow handle to the application's page: without one there is nowhere to send it.
    if (request.returnTo === undefined && isSessionBound(app.config)) {
      throw new VaultError('invalid_request', 'returnTo: required for applications with session binding.');
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
    return {
      authorizationUrl: app.client.authorizationUrl({ state, codeVerifier, scopes }),
      expiresAt: pending.expiresAt,
    };
  }

  /** Completes a flow from the callback's query. Never throws for expected failures. */
  async complete(
    params: CallbackParameters,
    deadline: Deadline,
    checkBrowserBinding?: (pending: PendingAuthorization) => boolean,
  ): Promise<CallbackOutcome> {
    const completion = this.options.completion;
    if (!completion) throw new Error('AuthorizationService was built without its completion dependencies.');
    if (!params.state) return this.fail('invalid_request', 'invalid_request');
    const consumed = await this.options.states.consume(params.state, deadline);
    if (consumed.outcome === 'unknown') return this.fail('invalid_request', 'bad_state');
    const pending = consumed.pending;
    const where = {
      applicationId: pending.applicationId,
      ...(pending.returnTo === undefined ? {} : { returnTo: pending.returnTo }),
    };
    if (consumed.outcome === 'expired') return this.fail('invalid_request', 'expired_state', where);
    if (checkBrowserBinding && !checkBrowserBinding(pending))
      return this.fail('invalid_request', 'browser_mismatch', where);
    if (!this.options.applications.has(pending.applicationId)) return this.fail('invalid_request', 'bad_state', where);
    const app = this.options.applications.require(pending.applicationId);
    // RFC 9207: with a configured issuer, the response must name it (mix-up defence) — errors included.
    if (app.config.issuer !== undefined && params.iss !== app.config.issuer)
      return this.fail('invalid_request', 'iss_mismatch', where);
    if (params.error !== undefined) {
      return this.fail(
        params.error === 'access_denied' ? 'access_denied' : 'authorization_failed',
        params.error === 'access_denied' ? 'denied' : 'provider_error',
        where,
      );
    }
    if (!params.code) return this.fail('invalid_request', 'invalid_request', where);
    const bound = isSessionBound(app.config);
    if (bound && pending.returnTo === undefined) return this.fail('invalid_request', 'invalid_request', where);
    const { timing } = completion;
    // The exchange and everything after it must fit: secret, exchange, data key, previous connection and its
    // refresh token, the save.
    if (!deadline.allows(5 * timing.awsCallMs + timing.providerTimeoutMs))
      return this.fail('provider_unavailable', 'exchange_failed', where);
    const key = { userId: pending.userId, applicationId: pending.applicationId };
    let response: TokenResponse;
    let secret: string;
    try {
      secret = await completion.provider.clientSecret(pending.applicationId, deadline);
      response = await app.client.exchangeCode(params.code, pending.codeVerifier, secret, {
        signal: deadline.signal(timing.providerTimeoutMs),
        timeoutMs: timing.providerTimeoutMs,
      });
    } catch (error) {
      this.logger.warn('Authorization code exchange failed.', {
        userId: pending.userId,
        applicationId: pending.applicationId,
        ...describeError(error),
      });
      if (error instanceof OAuthError)
        return this.fail(error.isTransient ? 'provider_unavailable' : 'authorization_failed', 'exchange_failed', where);
      return this.fail('internal_error', 'internal', where);
    }
    const requestedAt = this.now();
    if (bound) return this.park(key, response, secret, requestedAt, pending, pending.returnTo!, deadline);
    try {
      const { previous } = await this.saver!.save(
        key,
        response,
        { via: 'callback', requestedAt, flowStartedAt: pending.createdAt },
        deadline,
      );
      this.metrics.count('CONNECTION', { Application: pending.applicationId });
      this.logger.info('Connection established.', {
        userId: pending.userId,
        applicationId: pending.applicationId,
        reconnected: previous !== undefined,
      });
      return { status: 'connected', userId: pending.userId, ...where };
    } catch (error) {
      // The provider issued a grant the vault does not keep: end it there rather than leave it alive. Unless the
      // save's fate is unknown: revoking a token that was stored after all would log the user out.
      if (response.refreshToken !== undefined && !(error instanceof SaveOutcomeUnknown))
        await this.saver!.revokeUnkept(key, response.refreshToken, secret, deadline);
      if (error instanceof FlowEndedError) return this.fail('invalid_request', 'flow_ended', where);
      if (error instanceof RevocationPendingError) {
        this.logger.warn(
          'A connect answered without a refresh token while the previous grant is being revoked; the user should connect again shortly.',
          {
            userId: pending.userId,
            applicationId: pending.applicationId,
          },
        );
        return this.fail('provider_unavailable', 'revocation_pending', where);
      }
      this.logger.warn('The new connection could not be stored.', {
        userId: pending.userId,
        applicationId: pending.applicationId,
        ...describeError(error),
      });
      return this.fail('internal_error', 'internal', where);
    }
  }

  /**
   * Session binding, first half: seals the tokens under the flow's binding and parks them under a new single-use
   * handle, with a pending revocation of the refresh token that falls due a minute after the handle expires (so a
   * flow nobody completes never leaves a live grant at the provider). No connection, no counter: that is `complete`'s.
   */
  private async park(
    key: { userId: string; applicationId: string },
    response: TokenResponse,
    secret: string,
    requestedAt: number,
    pending: PendingAuthorization,
    returnTo: string,
    deadline: Deadline,
  ): Promise<CallbackOutcome> {
    const completion = this.options.completion!;
    const flowHandle = generateState();
    const createdAt = this.now();
    const expiresAt = createdAt + this.flowHandleTtlMs;
    let companionKey: string | undefined;
    // A parked grant nobody completes (or the wrong user completes) is revoked at the provider only where each
    // authorization is a grant of its own: where the provider keeps one grant per user and client (Google),
    // revoking this token would end the user's live connection too, so the parked copy is only discarded.
    const revocable =
      response.refreshToken !== undefined && completion.provider.revokesReplacedRefreshTokens(key.applicationId);
    try {
      const dataKey = await completion.sealer.newDataKey(key, deadline);
      const sealed = completion.sealer.cipher.sealWith(dataKey, key, {
        accessToken: response.accessToken,
        ...(response.refreshToken === undefined ? {} : { refreshToken: response.refreshToken }),
      });
      if (revocable && sealed.fields.refreshToken !== undefined) {
        companionKey = await completion.pending.add(
          key,
          { encryptedDataKey: sealed.encryptedDataKey, refreshToken: sealed.fields.refreshToken },
          'flow_not_completed',
          randomUUID(),
          deadline,
          expiresAt + PARKED_REVOCATION_DELAY_MS,
        );
      }
      const flow: ParkedFlow = {
        userId: key.userId,
        applicationId: key.applicationId,
        flowStartedAt: pending.createdAt,
        encryptedDataKey: sealed.encryptedDataKey,
        accessToken: sealed.fields.accessToken!,
        ...(sealed.fields.refreshToken === undefined ? {} : { refreshToken: sealed.fields.refreshToken }),
        tokenType: response.tokenType,
        ...(response.scope === undefined ? {} : { scope: response.scope }),
        ...(response.expiresIn === undefined ? {} : { expiresIn: response.expiresIn }),
        ...(response.refreshTokenExpiresIn === undefined
          ? {}
          : { refreshTokenExpiresIn: response.refreshTokenExpiresIn }),
        requestedAt,
        ...(companionKey === undefined ? {} : { companionKey }),
        createdAt,
        expiresAt,
      };
      await completion.flows.park(flowHandle, flow, deadline);
    } catch (error) {
      this.logger.warn('The authorization could not be parked.', {
        userId: key.userId,
        applicationId: key.applicationId,
        ...describeError(error),
      });
      // With the pending revocation written, the sweep ends the grant once it falls due; without it, now.
      if (revocable && companionKey === undefined)
        await this.saver!.revokeUnkept(key, response.refreshToken, secret, deadline);
      return this.fail('internal_error', 'internal', { applicationId: key.applicationId, returnTo });
    }
    this.logger.info('Authorization parked until the application completes it.', {
      userId: key.userId,
      applicationId: key.applicationId,
    });
    return { status: 'pending', userId: key.userId, applicationId: key.applicationId, returnTo, flowHandle };
  }

  /**
   * Session binding, second half (`complete`): the application's backend presents the handle with the user of its
   * own session. The handle is consumed first, whatever follows, so it works once. The same user as `connect`'s:
   * the tokens are saved exactly as an unbound callback saves them (flows marker, reconnect rules, counters).
   * Another user: refused, counted as a failed authentication attempt, and the parked grant revoked at the provider
   * (a forwarded link never binds someone else's account to the user who started the flow).
   */
  async completeFlow(request: { flowHandle: string; userId: string }, deadline: Deadline): Promise<FlowCompletion> {
    const completion = this.options.completion;
    if (!completion) throw new Error('AuthorizationService was built without its completion dependencies.');
    const consumed = await completion.flows.consume(request.flowHandle, deadline);
    if (consumed.outcome === 'unknown' || !this.options.applications.has(consumed.flow.applicationId)) {
      this.metrics.count('AUTHORIZATION_FAILURE', {
        Application: consumed.outcome === 'unknown' ? 'unknown' : consumed.flow.applicationId,
        Reason: 'flow_unknown',
      });
      throw new VaultError(
        'invalid_request',
        'flowHandle: unknown, expired or already used; start again with connect.',
      );
    }
    const flow = consumed.flow;
    const key = { userId: flow.userId, applicationId: flow.applicationId };
    if (consumed.outcome === 'expired') {
      // The parked grant's pending revocation falls due a minute after expiry: the sweep ends it.
      this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'flow_expired' });
      throw new VaultError('invalid_request', 'flowHandle: expired; start again with connect.');
    }
    if (request.userId !== flow.userId) {
      this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'session_mismatch' });
      this.logger.warn('A parked authorization was presented for another user: refused, its grant revoked.', {
        userId: flow.userId,
        presentedUserId: request.userId,
        applicationId: flow.applicationId,
      });
      await this.revokeParked(flow, deadline);
      throw new VaultError(
        'invalid_request',
        'flowHandle: this authorization was started for another user; start again with connect.',
      );
    }
    const accessToken = await completion.sealer.cipher.open(
      key,
      flow.encryptedDataKey,
      'accessToken',
      flow.accessToken,
      deadline,
    );
    const refreshToken =
      flow.refreshToken === undefined
        ? undefined
        : await completion.sealer.cipher.open(key, flow.encryptedDataKey, 'refreshToken', flow.refreshToken, deadline);
    const response: TokenResponse = {
      accessToken,
      tokenType: flow.tokenType,
      ...(refreshToken === undefined ? {} : { refreshToken }),
      ...(flow.scope === undefined ? {} : { scope: flow.scope }),
      ...(flow.expiresIn === undefined ? {} : { expiresIn: flow.expiresIn }),
      ...(flow.refreshTokenExpiresIn === undefined ? {} : { refreshTokenExpiresIn: flow.refreshTokenExpiresIn }),
    };
    // The grant's pending revocation goes before the save: once the connection holds the token, nothing may revoke it.
    if (
      flow.companionKey !== undefined &&
      !(await completion.pending.cancel(flow.userId, flow.companionKey, deadline))
    ) {
      this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'flow_expired' });
      throw new VaultError('invalid_request', 'flowHandle: expired; start again with connect.');
    }
    try {
      const { previous } = await this.saver!.save(
        key,
        response,
        { via: 'callback', requestedAt: flow.requestedAt, flowStartedAt: flow.flowStartedAt },
        deadline,
      );
      this.metrics.count('CONNECTION', { Application: flow.applicationId });
      const reconnected = previous?.status === 'active';
      this.logger.info('Connection established.', {
        userId: flow.userId,
        applicationId: flow.applicationId,
        reconnected,
        sessionBound: true,
      });
      return { applicationId: flow.applicationId, reconnected };
    } catch (error) {
      if (
        refreshToken !== undefined &&
        !(error instanceof SaveOutcomeUnknown) &&
        completion.provider.revokesReplacedRefreshTokens(flow.applicationId)
      ) {
        const secret = await completion.provider.clientSecret(flow.applicationId, deadline).catch(() => undefined);
        if (secret !== undefined) await this.saver!.revokeUnkept(key, refreshToken, secret, deadline);
      }
      if (error instanceof FlowEndedError) {
        this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'flow_ended' });
        throw new VaultError(
          'invalid_request',
          'flowHandle: a revoke of this user ended the authorization; start again with connect.',
        );
      }
      if (error instanceof RevocationPendingError) {
        this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'revocation_pending' });
        throw new VaultError(
          'provider_unavailable',
          'The previous grant is still being revoked at the provider; connect again shortly.',
        );
      }
      this.logger.warn('The new connection could not be stored.', {
        userId: flow.userId,
        applicationId: flow.applicationId,
        ...describeError(error),
      });
      throw new VaultError('internal_error', MESSAGES.internal);
    }
  }

  /**
   * Ends a refused flow's grant at the provider now. When the provider can't be told, the parked grant's pending
   * revocation stays, and the sweep revokes it once it falls due.
   */
  private async revokeParked(flow: ParkedFlow, deadline: Deadline): Promise<void> {
    const completion = this.options.completion!;
    if (flow.refreshToken === undefined || flow.companionKey === undefined) return;
    const key = { userId: flow.userId, applicationId: flow.applicationId };
    const { timing } = completion;
    try {
      const refreshToken = await completion.sealer.cipher.open(
        key,
        flow.encryptedDataKey,
        'refreshToken',
        flow.refreshToken,
        deadline,
      );
      const secret = await completion.provider.clientSecret(flow.applicationId, deadline);
      if (!deadline.allows(timing.providerTimeoutMs + timing.awsCallMs)) throw new Error('no time left');
      await completion.provider.revoke(flow.applicationId, refreshToken, secret, {
        signal: deadline.signal(timing.providerTimeoutMs),
        timeoutMs: timing.providerTimeoutMs,
      });
      await completion.pending.cancel(flow.userId, flow.companionKey, deadline);
    } catch (error) {
      this.logger.warn("A refused flow's grant could not be revoked now; the sweep revokes it.", {
        userId: flow.userId,
        applicationId: flow.applicationId,
        ...describeError(error),
      });
    }
  }

  private fail(
    error: CallbackErrorCode,
    reason: AuthorizationFailureReason,
    where: { applicationId?: string; returnTo?: string } = {},
  ): CallbackOutcome {
    this.metrics.count('AUTHORIZATION_FAILURE', { Application: where.applicationId ?? 'unknown', Reason: reason });
    return { status: 'error', error, reason, ...where };
  }
}

/** Session binding is on unless the application opts out (README "Session binding"). */
export function isSessionBound(config: { readonly sessionBinding?: boolean }): boolean {
  return config.sessionBinding !== false;
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
