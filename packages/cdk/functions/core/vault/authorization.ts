/**
 * The authorization-code flow: `start` makes a pending request (PKCE S256 verifier, single-use random state,
 * 10-minute expiry) and the provider URL; `complete` consumes the state exactly once, checks `iss` (RFC 9207),
 * exchanges the code and stores the tokens sealed. Outcomes are values, not exceptions: the callback must answer
 * every failure with a fixed, safe code.
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
import { FLOW_HANDLE_TTL_SECONDS, STATE_TTL_SECONDS } from '../../../src/definitions/env';
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import { generateCodeVerifier, generateState } from '../oauth/pkce';
import type { TokenResponse } from '../oauth/types';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import { FlowEndedError } from '../store/errors';
import type { PendingAuthorization } from '../store/state-store';
import type { Deadline } from '../time/deadline';
import type {
  AuthorizationFailureReason,
  AuthorizationServiceOptions,
  CallbackErrorCode,
  CallbackOutcome,
  CallbackParameters,
  FlowCompletion,
} from './authorization-types';
import { ConnectionSaver, RevocationPendingError, SaveOutcomeUnknown } from './connection-saver';
import { ParkedFlows } from './parked-flows';

export class AuthorizationService {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly now: () => number;
  private readonly stateTtlMs: number;
  private readonly saver: ConnectionSaver | undefined;
  /** Session binding's parked flows (see parked-flows.ts). */
  private readonly parked: ParkedFlows;

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
    this.parked = new ParkedFlows(
      options,
      this.metrics,
      this.logger,
      this.now,
      options.flowHandleTtlMs ?? FLOW_HANDLE_TTL_SECONDS * 1000,
      this.saver,
      (error, reason, where) => this.fail(error, reason, where),
    );
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
    // @see https://www.rfc-editor.org/rfc/rfc9207
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
    if (bound) return this.parked.park(key, response, secret, requestedAt, pending, pending.returnTo!, deadline);
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
   * Session binding, second half (`complete`): the application's backend presents the handle with the user of its
   * own session. The handle is consumed first, whatever follows, so it works once. The same user as `connect`'s:
   * the tokens are saved exactly as an unbound callback saves them (flows marker, reconnect rules, counters).
   * Another user: refused, counted as a failed authentication attempt, and the parked grant revoked at the provider
   * (a forwarded link never binds someone else's account to the user who started the flow).
   */
  completeFlow(request: { flowHandle: string; userId: string }, deadline: Deadline): Promise<FlowCompletion> {
    return this.parked.completeFlow(request, deadline);
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
