/**
 * Revocation: tells the provider (RFC 7009, `token_type_hint=refresh_token`), removes all token material,
 * records when and why, and is idempotent. If the provider can't be reached, the connection is revoked locally
 * at once (no token-fetch returns its token any more) and the sealed refresh token is kept only to retry the
 * provider call: the answer is then a retryable `provider_unavailable`, and calling revoke again completes it.
 */
import type { RevocationReason } from '../../contract/requests';
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import { NO_LOGS, NO_METRICS, describeError, type VaultLogger, type VaultMetrics } from '../observability';
import type { EnvelopeCipher } from '../crypto/envelope';
import type { ClientSecretLoader } from '../secrets/client-secret-loader';
import type { ConnectionStore } from '../store/connection-store';
import { StoreError } from '../store/errors';
import type { ConnectionRecord } from '../store/types';
import type { ApplicationRegistry } from './applications';

export interface RevocationServiceOptions {
  readonly applications: ApplicationRegistry;
  readonly connections: ConnectionStore;
  readonly cipher: EnvelopeCipher;
  readonly secrets: ClientSecretLoader;
  readonly metrics?: VaultMetrics;
  readonly logger?: VaultLogger;
}

/** Attempts per connection when a concurrent change (a refresh commit) moves the version under us. */
const CONFLICT_ATTEMPTS = 5;

export class RevocationService {
  private readonly metrics: VaultMetrics;
  private readonly logger: VaultLogger;

  constructor(private readonly options: RevocationServiceOptions) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.logger = options.logger ?? NO_LOGS;
  }

  /** Revokes one connection, or every connection of the user. Answers how many were revoked by this call. */
  async revoke(request: { userId: string; applicationId?: string; reason: RevocationReason }): Promise<number> {
    if (request.applicationId !== undefined) this.options.applications.require(request.applicationId);
    const records =
      request.applicationId !== undefined
        ? [await this.options.connections.get({ userId: request.userId, applicationId: request.applicationId })].filter((r): r is ConnectionRecord => r !== undefined)
        : await this.options.connections.listForUser(request.userId);
    let revoked = 0;
    let pending: VaultError | undefined;
    for (const record of records) {
      try {
        if (await this.revokeOne(record, request.reason)) revoked++;
      } catch (error) {
        if (error instanceof VaultError && error.code === 'provider_unavailable') pending = error;
        else throw error;
      }
    }
    if (pending) throw pending;
    return revoked;
  }

  /** True when this call removed token material. */
  private async revokeOne(initial: ConnectionRecord, reason: RevocationReason): Promise<boolean> {
    let record: ConnectionRecord | undefined = initial;
    for (let attempt = 0; attempt < CONFLICT_ATTEMPTS && record; attempt++) {
      const alreadyDone = record.status === 'revoked' && !record.providerRevocationPending;
      if (alreadyDone) return false;
      const providerConfirmed = await this.tellProvider(record);
      try {
        await this.options.connections.markRevoked(record, record.status === 'revoked' ? (record.revocationReason ?? reason) : reason, providerConfirmed);
      } catch (error) {
        if (error instanceof StoreError && error.failure === 'conflict') {
          record = await this.options.connections.get(record);
          continue;
        }
        throw error;
      }
      if (record.status !== 'revoked') {
        this.metrics.count('REVOCATION', { Application: record.applicationId, Reason: reason });
        this.logger.info('Connection revoked.', { applicationId: record.applicationId, userId: record.userId, reason, providerConfirmed });
      }
      if (!providerConfirmed) {
        throw new VaultError('provider_unavailable', 'The connection is revoked in the vault, but the provider could not be told yet; call revoke again to finish.', { retryAfterSeconds: 30 });
      }
      return true;
    }
    if (!record) return false;
    throw new VaultError('internal_error', MESSAGES.internal);
  }

  /** Sends the refresh token to the provider's revocation endpoint. False when the provider must be retried. */
  private async tellProvider(record: ConnectionRecord): Promise<boolean> {
    if (record.refreshToken === undefined || record.encryptedDataKey === undefined) return true;
    if (!this.options.applications.has(record.applicationId)) return true;
    const app = this.options.applications.require(record.applicationId);
    try {
      const refreshToken = await this.options.cipher.open(record, record.encryptedDataKey, 'refreshToken', record.refreshToken);
      const secret = await this.options.secrets.get(app.config.clientSecretId);
      await app.client.revokeRefreshToken(refreshToken, secret);
      return true;
    } catch (error) {
      // RFC 7009 §2.2.1: an unsupported token type or any other refusal with an OAuth error means the provider
      // will not revoke it; a 503, a timeout or a network error means the token must be assumed alive.
      if (error instanceof OAuthError && !error.isTransient) {
        this.logger.warn('Provider refused the revocation; tokens removed from the vault anyway.', { applicationId: record.applicationId, ...describeError(error) });
        return true;
      }
      this.logger.warn('Provider revocation failed; will be retried.', { applicationId: record.applicationId, ...describeError(error) });
      return false;
    }
  }
}
