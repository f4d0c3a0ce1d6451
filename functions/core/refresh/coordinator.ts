/**
 * The refresh coordinator: callers always get a valid access token, and no race, retry or crash burns a
 * refresh token.
 *
 * - Single flight across containers: a lease on the connection item (owner per acquisition, expiry; conditional
 *   writes). The new tokens are written only if that lease and the version still hold. After taking the lease
 *   the item is re-checked, so a peer's completed refresh is used, not repeated. Waiters poll the item and get
 *   the winner's token. A crashed holder's lease expires and another caller takes over, but only early in its
 *   own call (`takeoverWindowMs`), so that a refresh never starts too late to be written before the function
 *   times out.
 * - Single flight in a container: concurrent callers for one connection share one refresh and one opening of
 *   the new token.
 * - Rotation: the new refresh token (or the old one, when none came back, RFC 6749 §6) is sealed in the same
 *   write as the new access token. On `invalid_grant` the item is re-read first: if it moved on, a peer's
 *   token is good.
 * - Failures: `invalid_grant` -> reauthorization_required; client rejected -> internal_error for operators;
 *   transient -> a still-valid access token is served (never the one a `refresh` caller reported as
 *   rejected), else provider_unavailable / rate_limited, and the connection cools down (one provider call per
 *   window, shared by all containers through the item).
 * - The crash window: between the provider's answer (the old refresh token is then used up) and the write of
 *   the new one. It is kept short: the write comes first (nothing else happens in between but sealing), is
 *   retried with the same fencing, and a refresh starts only when it can end before the function's timeout.
 *   If the process dies inside it anyway, the rotated token is lost and the next refresh presents a used one
 *   (`reauthorization_required` at providers with reuse detection); a write that fails emits
 *   `WriteAfterRefreshFailed`. A provider call that times out is not retried for the same reason: the provider
 *   may have rotated the token already.
 */
import { randomUUID } from 'node:crypto';
import type { RefreshTrigger } from '../../definitions/metrics';
import { MESSAGES, VaultError } from '../errors';
import { EnvelopeError } from '../crypto/errors';
import type { DataKey, EnvelopeCipher, RowBinding } from '../crypto/envelope';
import { OAuthError } from '../oauth/errors';
import type { TokenResponse } from '../oauth/types';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { ClientSecretLoader } from '../secrets/client-secret-loader';
import type { ConnectionStore } from '../store/connection-store';
import { StoreError } from '../store/errors';
import type { ConnectionKey, ConnectionRecord, StoredTokens } from '../store/types';
import type { ApplicationRegistry, Application } from '../vault/applications';
import { sleep as realSleep, withRetries } from './backoff';
import { DEFAULT_REFRESH_POLICY, isStillValid, needsRefresh, type RefreshPolicy } from './policy';

/** An access token as handed to callers. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly scope: string;
}

export interface GetTokenOptions {
  /** The token must stay valid this long (milliseconds). */
  readonly minValidityMs: number;
  readonly trigger: RefreshTrigger;
  /**
   * `refresh` after a 401: refresh unless the stored token already differs from this one. The empty string
   * (never a token; the request schema refuses it) forces a refresh: `refresh` without a rejected token.
   */
  readonly rejectedAccessToken?: string;
  /** Proactive sweep: refresh what will be due within this many milliseconds. @default 0 */
  readonly horizonMs?: number;
}

export interface RefreshCoordinatorOptions {
  readonly store: ConnectionStore;
  readonly cipher: EnvelopeCipher;
  readonly secrets: ClientSecretLoader;
  readonly applications: ApplicationRegistry;
  /** @default DEFAULT_REFRESH_POLICY */
  readonly policy?: RefreshPolicy;
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Lease owner id of this container. @default a random UUID */
  readonly ownerId?: string;
  /** Share one refresh among concurrent callers of this container (off only for the benchmark). @default true */
  readonly coalesce?: boolean;
}

/** The shared outcome of one refresh in this container: the record, and its access token opened once. */
interface Flight {
  readonly record: ConnectionRecord;
  readonly token: () => Promise<IssuedToken>;
}

/** Whether a record's access token may answer the caller when no refresh can be made. */
type Servable = (record: ConnectionRecord, now: number) => boolean;

/** How many times a commit after a successful refresh is attempted before it is given up. */
const COMMIT_ATTEMPTS = 4;
/** Waiters poll the item between these bounds (jittered) while another container refreshes. */
const POLL_MIN_MS = 50;
const POLL_MAX_MS = 250;

export class RefreshCoordinator {
  readonly policy: RefreshPolicy;
  private readonly store: ConnectionStore;
  private readonly cipher: EnvelopeCipher;
  private readonly secrets: ClientSecretLoader;
  private readonly applications: ApplicationRegistry;
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly ownerId: string;
  private readonly coalesce: boolean;
  private readonly inflight = new Map<string, Promise<Flight>>();

  constructor(options: RefreshCoordinatorOptions) {
    this.store = options.store;
    this.cipher = options.cipher;
    this.secrets = options.secrets;
    this.applications = options.applications;
    this.policy = options.policy ?? DEFAULT_REFRESH_POLICY;
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? NO_LOGS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.ownerId = options.ownerId ?? randomUUID();
    this.coalesce = options.coalesce ?? true;
  }

  /** A valid access token for the connection, refreshed first when the policy says so. */
  async getToken(key: ConnectionKey, options: GetTokenOptions): Promise<IssuedToken> {
    const app = this.applications.require(key.applicationId);
    const record = requireUsable(await this.store.get(key));
    if (!this.mustRefresh(record, options, record.version)) return this.issue(record);
    const rejected = options.rejectedAccessToken;
    if (rejected !== undefined && rejected !== '' && isStillValid(record, this.now())) {
      // Another caller refreshed since this caller's token was issued: the stored token is the answer.
      const stored = await this.issue(record);
      if (stored.accessToken !== rejected) return stored;
    }
    const flight = await this.singleFlight(key, rejected !== undefined, () => this.refreshLoop(app, record, options));
    return flight.token();
  }

  /**
   * The proactive sweep's refresh: refreshes the connection when it is due within `horizonMs`. True when the
   * connection now holds a newer token (refreshed here or by a peer). Opens no token (no KMS call when not due).
   */
  async refreshIfDue(key: ConnectionKey, options: { readonly trigger: RefreshTrigger; readonly horizonMs: number }): Promise<boolean> {
    const app = this.applications.require(key.applicationId);
    const record = requireUsable(await this.store.get(key));
    const getOptions: GetTokenOptions = { trigger: options.trigger, minValidityMs: 0, horizonMs: options.horizonMs };
    if (!this.mustRefresh(record, getOptions, record.version)) return false;
    const flight = await this.singleFlight(key, false, () => this.refreshLoop(app, record, getOptions));
    return flight.record.version !== record.version;
  }

  /** Refresh is due, or forced by a rejected token that is still the stored one. */
  private mustRefresh(record: ConnectionRecord, options: GetTokenOptions, seenVersion: number): boolean {
    if (options.rejectedAccessToken !== undefined) return record.version === seenVersion || !isStillValid(record, this.now());
    return needsRefresh(record, this.policy, this.now(), options.minValidityMs, options.horizonMs ?? 0);
  }

  /**
   * Concurrent callers of one connection in this container share one refresh, and one opening of its token
   * (sharing the result rather than the record: 100 waiters must not make 100 KMS calls when the new data key
   * is not cached here). Forced refreshes (a rejected token) and due ones are separate flights: a forced caller
   * must not be answered with the very token it reported, which a due refresh may serve while it is still
   * valid; the two then meet at the lease and the second uses the first one's result.
   */
  private async singleFlight(key: ConnectionKey, forced: boolean, run: () => Promise<ConnectionRecord>): Promise<Flight> {
    const start = (): Promise<Flight> => run().then((record) => this.flight(record));
    if (!this.coalesce) return start();
    const id = `${key.userId}\u0000${key.applicationId}\u0000${forced ? 'forced' : 'due'}`;
    const existing = this.inflight.get(id);
    if (existing) return existing;
    const promise = start().finally(() => this.inflight.delete(id));
    this.inflight.set(id, promise);
    return promise;
  }

  private flight(record: ConnectionRecord): Flight {
    let token: Promise<IssuedToken> | undefined;
    return { record, token: () => (token ??= this.issue(record)) };
  }

  /** Waits for, or takes, the lease; returns the record whose access token answers the caller. */
  private async refreshLoop(app: Application, initial: ConnectionRecord, options: GetTokenOptions): Promise<ConnectionRecord> {
    const started = this.now();
    const deadline = started + this.policy.waitMs;
    const takeoverUntil = started + this.policy.takeoverWindowMs;
    let firstTry = true;
    const seenVersion = initial.version;
    const forced = options.rejectedAccessToken !== undefined;
    // What may be served instead of a refresh (provider down, cooling down, refresh token gone): a still-valid
    // token, but never the very token a forced caller reported as rejected (it would only get a 401 again).
    const servable: Servable = (candidate, now) => isStillValid(candidate, now) && !(forced && candidate.version === seenVersion);
    let record = initial;
    for (;;) {
      const now = this.now();
      if (record.version !== seenVersion && !this.mustRefresh(record, { ...options, rejectedAccessToken: undefined }, seenVersion)) return record;
      if (record.version === seenVersion && !this.mustRefresh(record, options, seenVersion)) return record;
      if (record.refreshToken === undefined || record.encryptedDataKey === undefined) {
        if (servable(record, now)) return record;
        throw await this.reauthorize(record, 'no_refresh_token');
      }
      if (record.refreshTokenExpiresAt !== undefined && record.refreshTokenExpiresAt <= now) {
        if (servable(record, now)) return record;
        throw await this.reauthorize(record, 'refresh_token_expired');
      }
      if (record.cooldownUntil !== undefined && record.cooldownUntil > now) {
        if (servable(record, now)) return record;
        throw cooldownError(record, now);
      }
      const leaseHeld = record.leaseOwner !== undefined && (record.leaseExpiresAt ?? 0) >= now;
      if (!leaseHeld && !firstTry && now >= takeoverUntil) {
        // Too late in this call to start a refresh that surely ends (write included) before the function times
        // out; a new call takes the free lease at once.
        if (servable(record, now)) return record;
        throw new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 });
      }
      firstTry = false;
      if (!leaseHeld) {
        // A fresh owner id per acquisition, not per container: the commit is fenced on it, so a write from an
        // acquisition whose lease ran out can never pass for a later acquisition's (even in this container).
        const leaseOwner = `${this.ownerId}/${randomUUID()}`;
        const leaseExpiresAt = await this.store.acquireLease(record, record.version, leaseOwner, this.policy.leaseMs);
        // The record carries *this* lease from here on. It used to keep the item's previous lease fields, so
        // after taking over the expired lease of a crashed holder the commit saw that old expiry as its own
        // deadline, never attempted the write and dropped the rotated refresh token (the next refresh then
        // presented a used token, and reuse detection revoked the user's grant).
        if (leaseExpiresAt !== undefined) return this.refreshUnderLease(app, { ...record, leaseOwner, leaseExpiresAt }, options.trigger, servable);
      } else {
        // Another container is refreshing: wait for its write (or for its lease to run out).
        if (this.now() >= deadline) {
          if (servable(record, this.now())) return record;
          throw new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 });
        }
        await this.sleep(POLL_MIN_MS + Math.floor(this.random() * (POLL_MAX_MS - POLL_MIN_MS)));
      }
      record = requireUsable(await this.store.get(record));
    }
  }

  /** Holding the lease (`record.leaseOwner`) at `record.version`: call the provider once (with safe retries) and commit. */
  private async refreshUnderLease(app: Application, record: ConnectionRecord, trigger: RefreshTrigger, servable: Servable): Promise<ConnectionRecord> {
    const dims = { Application: record.applicationId };
    const started = this.now();
    let refreshToken: string;
    let dataKey: DataKey;
    let response: TokenResponse;
    try {
      // The new data key is made before the provider call: once the provider has rotated the refresh token,
      // only the DynamoDB write remains between its answer and storage (no KMS call that could fail there).
      [refreshToken, dataKey] = await Promise.all([
        this.cipher.open(record, record.encryptedDataKey!, 'refreshToken', record.refreshToken!),
        this.cipher.newDataKey(record),
      ]);
      response = await this.callProvider(app, refreshToken);
    } catch (error) {
      this.metrics.timing('REFRESH_LATENCY', dims, this.now() - started);
      return this.handleRefreshFailure(record, trigger, error, servable);
    }
    this.metrics.timing('REFRESH_LATENCY', dims, this.now() - started);
    this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: 'ok' });
    return this.commit(record, response, refreshToken, dataKey);
  }

  /** The provider call: retried only when the refresh token surely was not consumed; secret re-read once. */
  private async callProvider(app: Application, refreshToken: string): Promise<TokenResponse> {
    const deadline = this.now() + this.policy.providerBudgetMs;
    let secret = await this.secrets.get(app.config.clientSecretId);
    let reloaded = false;
    return withRetries(
      async () => {
        try {
          return await app.client.refresh(refreshToken, secret);
        } catch (error) {
          // The client secret may have been rotated: re-read it once, bypassing the cache. invalid_client is
          // answered before the grant is processed, so the refresh token is still unused.
          if (error instanceof OAuthError && error.providerError === 'invalid_client' && !reloaded) {
            reloaded = true;
            const fresh = await this.secrets.get(app.config.clientSecretId, { fresh: true });
            if (fresh !== secret) {
              secret = fresh;
              return app.client.refresh(refreshToken, secret);
            }
          }
          throw error;
        }
      },
      {
        deadline,
        retryable: (error) => error instanceof OAuthError && error.isSafeToRetry,
        retryAfterMs: (error) => (error instanceof OAuthError ? error.retryAfterMs : undefined),
        now: this.now,
        random: this.random,
        sleep: this.sleep,
      },
    );
  }

  private async handleRefreshFailure(record: ConnectionRecord, trigger: RefreshTrigger, error: unknown, servable: Servable): Promise<ConnectionRecord> {
    const now = this.now();
    const dims = { Application: record.applicationId };
    if (error instanceof OAuthError && error.isInvalidGrant) {
      this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: 'invalid_grant' });
      this.metrics.count('REFRESH_FAILURE', { ...dims, ErrorCode: 'invalid_grant' });
      // A peer may have rotated the token meanwhile (our lease ran out): its token is good.
      const current = await this.store.get(record);
      if (current && current.version !== record.version) return requireUsable(current);
      throw await this.reauthorize(current ?? record, 'invalid_grant');
    }
    const code = failureCode(error);
    const errorCode = error instanceof OAuthError ? (error.providerError ?? error.kind) : error instanceof EnvelopeError ? `kms_${error.failure}` : 'internal';
    this.metrics.count('REFRESH', { ...dims, Trigger: trigger, Result: code });
    this.metrics.count('REFRESH_FAILURE', { ...dims, ErrorCode: errorCode });
    if (error instanceof OAuthError && !error.isTransient) {
      this.logger.error('Provider rejected the refresh request: operator action needed (client credentials or configuration).', {
        userId: record.userId, applicationId: record.applicationId,
        ...describeError(error),
      });
    } else {
      this.logger.warn('Refresh failed; connection cools down.', { userId: record.userId, applicationId: record.applicationId, ...describeError(error) });
    }
    const retryAfterMs = error instanceof OAuthError ? (error.retryAfterMs ?? 0) : 0;
    const cooldownUntil = now + Math.max(this.policy.cooldownMs, retryAfterMs);
    await this.store.releaseWithCooldown(record, record.version, record.leaseOwner!, cooldownUntil, code);
    if (servable(record, now)) return record;
    throw new VaultError(code, messageFor(code), { cause: error, retryAfterSeconds: (cooldownUntil - now) / 1000 });
  }

  /**
   * Stores the new tokens under the lease. The window in which a crash loses a rotated refresh token is this
   * write: it is tried again with the same fencing (owner of this acquisition and version) while the lease
   * lasts; the fencing, not the clock, keeps a late write from overwriting a peer's, so the first attempt is
   * always made. If it still fails, a metric tells operators, and this caller still gets the new (valid)
   * access token.
   */
  private async commit(record: ConnectionRecord, response: TokenResponse, usedRefreshToken: string, dataKey: DataKey): Promise<ConnectionRecord> {
    const now = this.now();
    const refreshToken = response.refreshToken ?? usedRefreshToken;
    const keepExpiry = response.refreshToken === undefined ? record.refreshTokenExpiresAt : undefined;
    // RFC 6749 §6: a refresh answer without `scope` means the scope granted before; it used to be stored as ''.
    const answer = response.scope === undefined && record.scope !== undefined ? { ...response, scope: record.scope } : response;
    const leaseEnd = record.leaseExpiresAt ?? now + this.policy.leaseMs;
    let tokens: StoredTokens | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(100 * 2 ** (attempt - 1), 1000);
        if (this.now() + delay >= leaseEnd) break;
        await this.sleep(delay);
      }
      try {
        tokens ??= await this.sealTokens(record, answer, refreshToken, now, keepExpiry, dataKey);
        return await this.store.commitRefresh(record, record.version, record.leaseOwner!, tokens);
      } catch (error) {
        lastError = error;
        if (error instanceof StoreError && error.failure === 'conflict') break;
      }
    }
    const current = await this.store.get(record).catch(() => undefined);
    if (current && tokens && current.version === record.version + 1 && sameBytes(current.accessToken, tokens.accessToken)) {
      // A timed-out attempt did land (its retry then met its own write as a conflict): stored after all.
      return current;
    }
    if (current && current.status !== 'active') {
      // Revoked (or re-authorized) while we refreshed: the revocation wins and the new token is not handed out.
      throw requireUsableError(current);
    }
    this.metrics.count('WRITE_AFTER_REFRESH_FAILED', { Application: record.applicationId });
    this.logger.error('Refreshed tokens could not be stored; the rotated refresh token may be lost.', {
      userId: record.userId, applicationId: record.applicationId,
      ...describeError(lastError),
    });
    if (!tokens) throw new VaultError('internal_error', MESSAGES.internal, { cause: lastError });
    return { ...record, ...tokens };
  }

  /**
   * Seals access and refresh token under one new data key (`dataKey` when made beforehand, else a KMS call now)
   * and computes their lifetimes.
   */
  async sealTokens(binding: RowBinding, response: TokenResponse, refreshToken: string | undefined, now: number, keepRefreshExpiry?: number, dataKey?: DataKey): Promise<StoredTokens> {
    const plaintexts = { accessToken: response.accessToken, ...(refreshToken === undefined ? {} : { refreshToken }) };
    const sealed = dataKey ? this.cipher.sealWith(dataKey, binding, plaintexts) : await this.cipher.seal(binding, plaintexts);
    const accessTtl = response.expiresIn !== undefined ? response.expiresIn * 1000 : this.policy.defaultAccessTokenTtlMs;
    const refreshExpiry =
      refreshToken === undefined
        ? undefined
        : (keepRefreshExpiry ?? now + (response.refreshTokenExpiresIn !== undefined ? response.refreshTokenExpiresIn * 1000 : this.policy.defaultRefreshTokenTtlMs));
    return {
      encryptedDataKey: sealed.encryptedDataKey,
      accessToken: sealed.fields.accessToken!,
      ...(sealed.fields.refreshToken === undefined ? {} : { refreshToken: sealed.fields.refreshToken }),
      tokenType: response.tokenType,
      scope: response.scope ?? '',
      accessTokenIssuedAt: now,
      accessTokenExpiresAt: now + accessTtl,
      ...(refreshExpiry === undefined ? {} : { refreshTokenExpiresAt: refreshExpiry }),
    };
  }

  private async reauthorize(record: ConnectionRecord, reason: string): Promise<VaultError> {
    try {
      await this.store.markReauthorizationRequired(record, reason);
      this.metrics.count('REAUTHORIZATION_REQUIRED', { Application: record.applicationId });
      this.logger.warn('Connection needs re-authorization.', { userId: record.userId, applicationId: record.applicationId, reason });
    } catch (error) {
      if (!(error instanceof StoreError && error.failure === 'conflict')) throw error;
      // Someone else changed the item first (revoked, reconnected or already marked): answer from the item.
      const current = await this.store.get(record);
      if (current?.status === 'active' && current.version !== record.version) {
        return new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 });
      }
      if (current) return requireUsableError(current);
    }
    return new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired);
  }

  private async openAccessToken(record: ConnectionRecord): Promise<string> {
    return this.cipher.open(record, record.encryptedDataKey!, 'accessToken', record.accessToken!);
  }

  private async issue(record: ConnectionRecord): Promise<IssuedToken> {
    return {
      accessToken: await this.openAccessToken(record),
      tokenType: record.tokenType ?? 'Bearer',
      expiresAt: record.accessTokenExpiresAt ?? 0,
      scope: record.scope ?? '',
    };
  }
}

/** The record when its status lets tokens be served; otherwise the contract's answer for that status. */
export function requireUsable(record: ConnectionRecord | undefined): ConnectionRecord {
  if (!record || record.status !== 'active' || record.accessToken === undefined || record.encryptedDataKey === undefined) {
    throw requireUsableError(record);
  }
  return record;
}

function requireUsableError(record: ConnectionRecord | undefined): VaultError {
  if (record?.status === 'reauthorization_required') return new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired);
  if (record?.status === 'active') return new VaultError('internal_error', MESSAGES.internal);
  return new VaultError('not_connected', MESSAGES.notConnected);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

function failureCode(error: unknown): 'rate_limited' | 'provider_unavailable' | 'internal_error' {
  if (error instanceof OAuthError) {
    if (error.kind === 'rate_limited') return 'rate_limited';
    return error.isTransient ? 'provider_unavailable' : 'internal_error';
  }
  return 'internal_error';
}

function messageFor(code: 'rate_limited' | 'provider_unavailable' | 'internal_error'): string {
  return code === 'rate_limited' ? MESSAGES.rateLimited : code === 'provider_unavailable' ? MESSAGES.providerUnavailable : MESSAGES.internal;
}

function cooldownError(record: ConnectionRecord, now: number): VaultError {
  const code = record.lastErrorCode === 'rate_limited' || record.lastErrorCode === 'internal_error' ? record.lastErrorCode : 'provider_unavailable';
  return new VaultError(code, messageFor(code), { retryAfterSeconds: ((record.cooldownUntil ?? now) - now) / 1000 });
}
