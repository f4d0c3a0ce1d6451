/**
 * Seals and stores the tokens of a new connection: what a completed authorization flow (callback) and an import
 * do alike. The save is one transaction (core/store/connection-store.ts `saveConnected`): the connection item,
 * fenced on the version read (or on its absence), the check that no revoke ended the user's flows since the flow
 * started, the active counter, and the replaced grant's refresh token moved to a pending revocation where the
 * provider makes a grant per authorization. A save whose answer was lost is read back by the connection id it
 * gave the item. Once the save is known to have landed, `Connection Connected` is published (this save decided
 * it: nobody else wrote that connection id).
 */
import { randomUUID } from 'node:crypto';
import { EVENT_DETAIL_TYPES } from '../../contract/events';
import type { TokenSealer } from '../crypto/token-sealer';
import { NO_EVENTS, connectionEvent, type EventPublisher } from '../events/publisher';
import type { TokenResponse } from '../oauth/types';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import type { RefreshTiming } from '../refresh/budget';
import { dueAt } from '../refresh/policy';
import type { ProviderGateway } from '../refresh/provider-gateway';
import type { ConnectionStore } from '../store/connection-store';
import { FlowEndedError } from '../store/errors';
import { StoreError } from '../store/errors';
import { PendingRevocations } from '../store/pending-revocations';
import type { Connection, ConnectionKey, ImportMark, StoredTokens } from '../store/types';
import type { Deadline } from '../time/deadline';
import { AlreadyImported, priorImport } from './import-fingerprint';

/** What saving a connection needs (the callback's, `complete`'s and the import's part of the container). */
export interface SaverDependencies {
  /** The connections table the tokens are saved in. */
  readonly connections: ConnectionStore;
  /** Where a refresh token that must be revoked at the provider waits (a replaced grant, a parked flow). */
  readonly pending: PendingRevocations;
  /** The provider's token and revocation endpoints, and the client secret. */
  readonly provider: ProviderGateway;
  /** Seals the tokens exactly as refreshes do. */
  readonly sealer: TokenSealer;
  /** The time one AWS call and one provider call may take. */
  readonly timing: RefreshTiming;
  /** The refresh margin, for the connection's due time in the sweep's index. */
  readonly marginMs: number;
}

/** The connection saver's dependencies. */
export interface ConnectionSaverOptions extends SaverDependencies {
  /**
   * Lifecycle events (`Connection Connected`), decided only after the write that makes the change committed.
   * @default - no events are published
   */
  readonly events?: EventPublisher;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
}

export interface SaveRequest {
  /** How the connection came: a completed flow, or an import. */
  readonly via: 'callback' | 'import';
  /** When the flow (or the import) started: a revoke of the user after it ends it. */
  readonly flowStartedAt: number;
  /** When the tokens were asked for (their lifetimes count from it). */
  readonly requestedAt: number;
  /** Refuse (ActiveConnectionExists) instead of replacing an active connection. */
  readonly keepActive?: boolean;
  /**
   * An import's mark for the new connection (how a repeat of that import is recognised); `replaced` is the save's
   * own finding.
   */
  readonly imported?: Omit<ImportMark, 'replaced'>;
}

export interface SaveReceipt {
  /** What the save replaced (undefined: the user had no connection of this application). */
  readonly previous: Connection | undefined;
  readonly connectionId: string;
  readonly tokens: StoredTokens;
}

export class ConnectionSaver {
  private readonly events: EventPublisher;
  private readonly logger: VaultLogger;

  constructor(private readonly o: ConnectionSaverOptions) {
    this.events = o.events ?? NO_EVENTS;
    this.logger = o.logger ?? NO_LOGS;
  }

  /**
   * Seals and stores `response` (again when a concurrent change moved the item).
   * A reconnect whose answer has no refresh token keeps the live one (Google answers re-consent without one).
   * Keeping it is safe only while no refresh is rotating it: the save then waits for a refresh in flight to end
   * and is conditioned on no lease, so it never stores a refresh token a refresh has just used up.
   */
  async save(
    key: ConnectionKey,
    response: TokenResponse,
    request: SaveRequest,
    deadline: Deadline,
  ): Promise<SaveReceipt> {
    const o = this.o;
    const clock = deadline.clock;
    for (let attempt = 0; ; attempt++) {
      let previous = await o.connections.get(key, deadline);
      // The same import, run twice at once (the SDK retried an Invoke whose first run went on), stored first:
      // overwriting it would store the token again and may revoke what it stored as the replaced grant.
      if (request.imported !== undefined) {
        const prior = priorImport(previous, request.imported.fingerprint);
        if (prior.kind === 'live') throw new AlreadyImported(prior.connection, prior.mark);
      }
      if (request.keepActive && previous?.status === 'active') throw new ActiveConnectionExists();
      const keepsOld =
        response.refreshToken === undefined &&
        previous?.status === 'active' &&
        previous.tokens.refreshToken !== undefined;
      // Wait for a refresh in flight, leaving time for the save itself.
      while (
        keepsOld &&
        previous?.status === 'active' &&
        previous.lease &&
        previous.lease.expiresAt >= clock.now() &&
        deadline.allows(4 * o.timing.awsCallMs)
      ) {
        await clock.sleep(100 + Math.floor(Math.random() * 150));
        previous = await o.connections.get(key, deadline);
      }
      let kept: { plaintext: string; expiresAt?: number; expiryAssumed?: boolean } | undefined;
      if (response.refreshToken !== undefined) kept = { plaintext: response.refreshToken };
      else if (previous?.status === 'active' && previous.tokens.refreshToken !== undefined) {
        const old = await o.sealer.openRefreshToken(previous, deadline);
        if (old !== undefined) {
          kept = {
            plaintext: old,
            ...(previous.tokens.refreshTokenExpiresAt === undefined
              ? {}
              : { expiresAt: previous.tokens.refreshTokenExpiresAt }),
            ...(previous.tokens.refreshTokenExpiryAssumed ? { expiryAssumed: true } : {}),
          };
        }
      }
      if (kept === undefined && (await this.revocationPending(key, deadline))) throw new RevocationPendingError();
      const dataKey = await o.sealer.newDataKey(key, deadline);
      const tokens: StoredTokens = o.sealer.seal(key, response, kept, request.requestedAt, dataKey);
      const connectionId = randomUUID();
      try {
        await o.connections.saveConnected(
          key,
          previous,
          tokens,
          {
            connectionId,
            dueAt: dueAt(tokens, o.marginMs),
            flowStartedAt: request.flowStartedAt,
            ...(request.imported === undefined
              ? {}
              : { imported: { ...request.imported, replaced: previous?.status === 'active' } }),
            ...(response.refreshToken === undefined && kept !== undefined ? { noLeaseAt: clock.now() } : {}),
            // A new refresh token replaces a live one: where each authorization is a grant of its own, the old
            // grant is revoked at the provider (a pending revocation, in the same write).
            ...(response.refreshToken !== undefined && o.provider.revokesReplacedRefreshTokens(key.applicationId)
              ? { revokeReplaced: true }
              : {}),
          },
          deadline,
        );
      } catch (error) {
        if (error instanceof FlowEndedError) throw error;
        // A conflict may be our own write met by the SDK's retry, and an error may hide a write that landed:
        // the item tells, by the connection id this save gave it (refreshes since keep it).
        const landed = await this.ownSaveLanded(key, connectionId, deadline);
        if (landed === undefined)
          throw new SaveOutcomeUnknown('The save of a new connection may or may not have landed.', { cause: error });
        if (landed === false) {
          if (!(error instanceof StoreError && error.code === 'conflict') || attempt >= 3) throw error;
          continue;
        }
      }
      return await this.saved(key, previous, connectionId, tokens, request, deadline);
    }
  }

  /** Revokes a refresh token the vault will not store; left to the sweep when the provider can't be told now. */
  async revokeUnkept(
    key: ConnectionKey,
    refreshToken: string,
    secret: string,
    deadline: Deadline,
    reason = 'flow_not_kept',
  ): Promise<void> {
    const { timing } = this.o;
    try {
      if (!deadline.allows(timing.providerTimeoutMs)) throw new Error('no time left');
      await this.o.provider.revoke(key.applicationId, refreshToken, secret, {
        signal: deadline.signal(timing.providerTimeoutMs),
        timeoutMs: timing.providerTimeoutMs,
      });
    } catch (error) {
      try {
        const dataKey = await this.o.sealer.newDataKey(key, deadline);
        const sealed = this.o.sealer.cipher.sealWith(dataKey, key, { refreshToken });
        await this.o.pending.add(
          key,
          { encryptedDataKey: sealed.encryptedDataKey, refreshToken: sealed.fields.refreshToken! },
          reason,
          randomUUID(),
          deadline,
        );
      } catch (recordError) {
        this.logger.error('A refresh token the vault did not keep could not be revoked or recorded.', {
          userId: key.userId,
          applicationId: key.applicationId,
          ...describeError(recordError),
          revokeError: describeError(error),
        });
      }
    }
  }

  private async saved(
    key: ConnectionKey,
    previous: Connection | undefined,
    connectionId: string,
    tokens: StoredTokens,
    request: SaveRequest,
    deadline: Deadline,
  ): Promise<SaveReceipt> {
    await this.events.publish(
      [
        connectionEvent(EVENT_DETAIL_TYPES.connected, { ...key, connectionId }, deadline.clock.now(), {
          via: request.via,
          reconnected: previous !== undefined,
          imported: request.via === 'import',
          scope: tokens.scope,
        }),
      ],
      deadline,
    );
    if (this.events !== NO_EVENTS) {
      // The put sits between the save and the answer: a revoke may have answered meanwhile. The flow completes only
      // if a consistent read after the put still finds this save's connection live.
      let current: Connection | undefined;
      try {
        current = await this.o.connections.get(key, deadline);
      } catch (error) {
        throw new SaveOutcomeUnknown('The saved connection could not be read back after its event.', { cause: error });
      }
      if (current?.status !== 'active' || current.connectionId !== connectionId) throw new FlowEndedError();
    }
    return { previous, connectionId, tokens };
  }

  /**
   * Whether a refresh token of this user and application is still waiting to be revoked at the provider. A
   * connect answered without a refresh token then belongs to the grant being revoked (a provider with one grant
   * per user answers a re-consent without one): storing it would leave a connection that dies with that grant.
   */
  private async revocationPending(key: ConnectionKey, deadline: Deadline): Promise<boolean> {
    const items = await this.o.connections.queryUser(key.userId, deadline);
    // A parked flow's pending revocation (not due yet) belongs to a grant that may still be activated: not this case.
    const now = deadline.clock.now();
    return PendingRevocations.fromUserItems(items).some((p) => p.applicationId === key.applicationId && p.since <= now);
  }

  /** Whether the item is the connection this save made; undefined when it can't be read in time. */
  private async ownSaveLanded(
    key: ConnectionKey,
    connectionId: string,
    deadline: Deadline,
  ): Promise<boolean | undefined> {
    for (let attempt = 0; deadline.allows(this.o.timing.awsCallMs); attempt++) {
      try {
        const current = await this.o.connections.get(key, deadline);
        return current !== undefined && current.connectionId === connectionId;
      } catch {
        await deadline.clock.sleep(Math.min(100 * 2 ** attempt, 1000));
      }
    }
    return undefined;
  }
}

/** A save whose answer never came and whose item could not be read back: it may or may not have landed. */
export class SaveOutcomeUnknown extends Error {
  override readonly name = 'SaveOutcomeUnknown';
}

/** A connect without a refresh token while the previous grant's revocation is pending at the provider. */
export class RevocationPendingError extends Error {
  override readonly name = 'RevocationPendingError';
}

/** An import met an active connection and was not told to replace it. */
export class ActiveConnectionExists extends Error {
  override readonly name = 'ActiveConnectionExists';
}
