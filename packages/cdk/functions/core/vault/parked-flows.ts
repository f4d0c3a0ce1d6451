/**
 * Session binding: the callback parks the tokens under a single-use handle (`park`), and the application's backend
 * completes the flow with the user of its own session (`completeFlow`); a refused flow's grant is revoked.
 */
import { randomUUID } from 'node:crypto';
import { MESSAGES, VaultError } from '../errors';
import { generateState } from '../oauth/pkce';
import type { TokenResponse } from '../oauth/types';
import { describeError, type VaultLogger, type VaultMetrics } from '../observability';
import { FlowEndedError } from '../store/errors';
import type { ParkedFlow } from '../store/flow-store';
import type { PendingAuthorization } from '../store/state-store';
import type { Deadline } from '../time/deadline';
import type {
  AuthorizationFailureReason,
  AuthorizationServiceOptions,
  CallbackErrorCode,
  CallbackOutcome,
  FlowCompletion,
} from './authorization-types';
import { RevocationPendingError, SaveOutcomeUnknown, type ConnectionSaver } from './connection-saver';

/** Parked grants are revoked this long after their handle expired (no `complete` can still activate them). */
const PARKED_REVOCATION_DELAY_MS = 60_000;

/** The two halves of a session-bound flow, and the revocation of a refused one's grant. */
export class ParkedFlows {
  constructor(
    private readonly options: AuthorizationServiceOptions,
    private readonly metrics: VaultMetrics,
    private readonly logger: VaultLogger,
    private readonly now: () => number,
    private readonly flowHandleTtlMs: number,
    private readonly saver: ConnectionSaver | undefined,
    /** Counts a failed callback and makes its answer (the service's). */
    private readonly fail: (
      error: CallbackErrorCode,
      reason: AuthorizationFailureReason,
      where?: { applicationId?: string; returnTo?: string },
    ) => CallbackOutcome,
  ) {}

  /**
   * Session binding, first half: seals the tokens under the flow's binding and parks them under a new single-use
   * handle, with a pending revocation of the refresh token that falls due a minute after the handle expires (so a
   * flow nobody completes never leaves a live grant at the provider). No connection, no counter: that is `complete`'s.
   */
  async park(
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

  /** Session binding, second half: the handle consumed, then the tokens saved or the flow refused (see `AuthorizationService.completeFlow`). */
  async completeFlow(request: { flowHandle: string; userId: string }, deadline: Deadline): Promise<FlowCompletion> {
    const completion = this.options.completion;
    if (!completion) throw new Error('AuthorizationService was built without its completion dependencies.');
    const claim = randomUUID();
    const consumed = await completion.flows.claim(request.flowHandle, claim, deadline);
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
    // Whatever the outcome, the handle is spent: the claimed item and its sealed tokens go (or stay to their TTL).
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      await completion.flows.release(request.flowHandle, claim, deadline).catch((error: unknown) => {
        this.logger.warn('A claimed parked flow could not be deleted; its TTL removes it.', describeError(error));
      });
    };
    try {
      return await this.activate(consumed.outcome, consumed.flow, request.userId, release, deadline);
    } finally {
      await release();
    }
  }

  /** The claimed flow: refused (expired, another user), or its tokens saved as the user's connection. */
  private async activate(
    outcome: 'consumed' | 'expired',
    flow: ParkedFlow,
    userId: string,
    /** Deletes the claimed item; called before the save, so that the answer follows the save's commit at once. */
    release: () => Promise<void>,
    deadline: Deadline,
  ): Promise<FlowCompletion> {
    const completion = this.options.completion!;
    const key = { userId: flow.userId, applicationId: flow.applicationId };
    if (outcome === 'expired') {
      // The parked grant's pending revocation falls due a minute after expiry: the sweep ends it.
      this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'flow_expired' });
      throw new VaultError('invalid_request', 'flowHandle: expired; start again with connect.');
    }
    if (userId !== flow.userId) {
      this.metrics.count('AUTHORIZATION_FAILURE', { Application: flow.applicationId, Reason: 'session_mismatch' });
      this.logger.warn('A parked authorization was presented for another user: refused, its grant revoked.', {
        userId: flow.userId,
        presentedUserId: userId,
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
    // Nothing may come between the save's commit and the answer: a revoke that answered in between would have
    // revoked the connection this answer announces.
    await release();
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
  async revokeParked(flow: ParkedFlow, deadline: Deadline): Promise<void> {
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
}
