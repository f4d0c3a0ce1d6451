/**
 * `import`: stores a refresh token issued outside the vault (a migration from another token store) as a
 * connection, so that the user does not have to connect again. By default the token is checked first with one
 * refresh at the provider, and the refreshed tokens are stored (a provider that rotates then has the successor,
 * known to the vault only); with `validate: false` the given access token is stored as it is.
 *
 * The save is the callback's (ConnectionSaver): same transaction, same fences, `Connection Connected` with
 * `imported: true`. Nothing is written on a refusal, and an active connection is overwritten only with `replace`.
 * An import is safe to repeat: the connection it made carries a fingerprint of the given token
 * (import-fingerprint.ts), and a repeat is answered from it without presenting the token at the provider again.
 * The refresh token is never logged and never in an answer or an error.
 */
import { randomUUID } from 'node:crypto';
import { FUNCTIONS } from '../../../src/definitions/functions';
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import type { TokenResponse } from '../oauth/types';
import { NO_LOGS, describeError, type VaultLogger } from '../observability';
import { fullJitterDelay } from '../refresh/backoff';
import { CLOCK_SKEW_MS, PROVIDER_ATTEMPTS, type RefreshTiming } from '../refresh/budget';
import type { ConnectionStore } from '../store/connection-store';
import { FlowEndedError } from '../store/errors';
import type { ImportClaims } from '../store/import-claims';
import type { Connection, StoredTokens } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { ApplicationRegistry } from './applications';
import { ActiveConnectionExists, SaveOutcomeUnknown, type ConnectionSaver } from './connection-saver';
import { AlreadyImported, importFingerprint, priorImport } from './import-fingerprint';
import type { ProviderGateway } from '../refresh/provider-gateway';

export interface ImportRequest {
  readonly userId: string;
  readonly applicationId: string;
  readonly refreshToken: string;
  readonly scope?: string;
  readonly accessToken?: string;
  /** ISO 8601, with `validate: false`. */
  readonly expiresAt?: string;
  readonly replace: boolean;
  readonly validate: boolean;
}

export interface ImportResult {
  readonly applicationId: string;
  readonly replaced: boolean;
  readonly validated: boolean;
  readonly accessTokenExpiresAt: string;
  readonly refreshTokenExpiresAt: string | null;
}

/** The import service's dependencies. */
export interface ImportServiceOptions {
  /** The configured applications an import may name. */
  readonly applications: ApplicationRegistry;
  /** The connections table (what an import would replace). */
  readonly connections: ConnectionStore;
  /** The provider's token endpoint (an imported refresh token is proven by one refresh) and the client secret. */
  readonly provider: ProviderGateway;
  /** Saves the imported tokens as the callback does. */
  readonly saver: ConnectionSaver;
  /** Claims of validated imports in flight (the states table). */
  readonly claims: ImportClaims;
  /** The time one AWS call and one provider call may take. */
  readonly timing: RefreshTiming;
  /**
   * Jitter of the provider retries' backoff, in [0, 1).
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Where warnings and errors go (never token material).
   * @default - nothing is logged
   */
  readonly logger?: VaultLogger;
}

/**
 * AWS calls after the provider's answer, each up to the AWS call time: the save's read, the data key, the save's
 * transaction, the event put and its fallback to the retry queue, the read-back after the event, the claim's delete.
 */
const AWS_CALLS_AFTER_PROVIDER = 7;

/** A claim outlives the run that holds it (the function's timeout) by the clock-skew allowance. */
const IMPORT_CLAIM_MS = FUNCTIONS.importConnection.timeoutSeconds * 1000 + CLOCK_SKEW_MS;

/** When a run that met another run's claim is told to try again: the other has answered or failed by then, mostly. */
const IMPORT_IN_FLIGHT_RETRY_SECONDS = 5;

const ACTIVE_EXISTS =
  'replace: an active connection exists for this user and application; pass replace: true to overwrite it.';

export class ImportService {
  private readonly logger: VaultLogger;

  constructor(private readonly o: ImportServiceOptions) {
    this.logger = o.logger ?? NO_LOGS;
  }

  async import(request: ImportRequest, deadline: Deadline): Promise<ImportResult> {
    const { userId, applicationId } = request;
    const key = { userId, applicationId };
    this.o.applications.require(applicationId);
    // A revoke of the user after this moment ends the import (the save's flows fence), as it ends a connect.
    const startedAt = deadline.clock.now();
    const fingerprint = importFingerprint(key, request.refreshToken);
    // Refused before the provider is asked, and before anything is written: an import never consumes a token it
    // would not store.
    const repeated = this.repeatOrRefusal(request, await this.o.connections.get(key, deadline), fingerprint);
    if (repeated !== undefined || !request.validate)
      return repeated ?? this.store(request, fingerprint, startedAt, deadline);
    // The token is presented only under a claim of its fingerprint: a second run of this import in flight (an SDK
    // retry of a reset Invoke) is held back, never presents it too.
    const claim = randomUUID();
    if (!(await this.o.claims.claim(fingerprint, claim, IMPORT_CLAIM_MS, deadline)))
      throw new VaultError('rate_limited', 'The same import is in flight; retry shortly.', {
        retryAfterSeconds: IMPORT_IN_FLIGHT_RETRY_SECONDS,
      });
    try {
      // What a run that held the claim before this one stored is judged again.
      const again = this.repeatOrRefusal(request, await this.o.connections.get(key, deadline), fingerprint);
      return again ?? (await this.store(request, fingerprint, startedAt, deadline));
    } finally {
      await this.o.claims.release(fingerprint, claim, deadline).catch((error: unknown) => {
        this.logger.warn('An import claim could not be deleted; it ends at its expiry.', describeError(error));
      });
    }
  }

  /**
   * The answer of a repeated import (its first answer was lost), from what that import stored: the token it
   * presents was used up by the first one, and presenting it again is reuse, which kills the grant the first one
   * stored. Throws the refusals that come before the provider; undefined when the import goes ahead.
   */
  private repeatOrRefusal(
    request: ImportRequest,
    previous: Connection | undefined,
    fingerprint: string,
  ): ImportResult | undefined {
    const { userId, applicationId } = request;
    const prior = priorImport(previous, fingerprint);
    if (prior.kind === 'live') {
      this.logger.info('A repeated import was answered as the first one.', { userId, applicationId });
      return answer(applicationId, prior.connection.tokens, prior.mark.replaced, prior.mark.validated);
    }
    if (prior.kind === 'ended')
      throw new VaultError(
        'reauthorization_required',
        `This refresh token was imported before and that connection has ended (${prior.status}); the user must connect.`,
      );
    if (previous?.status === 'active' && !request.replace) throw new VaultError('invalid_request', ACTIVE_EXISTS);
    return undefined;
  }

  /** Validates the token (one refresh) when asked, and saves the connection. */
  private async store(
    request: ImportRequest,
    fingerprint: string,
    startedAt: number,
    deadline: Deadline,
  ): Promise<ImportResult> {
    const { userId, applicationId } = request;
    const key = { userId, applicationId };
    const clock = deadline.clock;
    let response: TokenResponse;
    let secret: string | undefined;
    const requestedAt = clock.now();
    if (request.validate) {
      secret = await this.o.provider.clientSecret(applicationId, deadline);
      response = await this.validate(request, secret, deadline);
    } else {
      const expiresInMs = Date.parse(request.expiresAt!) - requestedAt;
      response = {
        accessToken: request.accessToken!,
        tokenType: 'Bearer',
        expiresIn: Math.max(0, Math.floor(expiresInMs / 1000)),
        refreshToken: request.refreshToken,
        ...(request.scope === undefined ? {} : { scope: request.scope }),
      };
    }
    // The successor of a rotating provider exists only in this invocation: revoked if it is not stored.
    const successor =
      request.validate && response.refreshToken !== request.refreshToken ? response.refreshToken : undefined;
    try {
      const receipt = await this.o.saver.save(
        key,
        response,
        {
          via: 'import',
          requestedAt,
          flowStartedAt: startedAt,
          keepActive: !request.replace,
          imported: { fingerprint, validated: request.validate },
        },
        deadline,
      );
      this.logger.info('Connection imported.', {
        userId,
        applicationId,
        validated: request.validate,
        replaced: receipt.previous?.status === 'active',
      });
      return answer(applicationId, receipt.tokens, receipt.previous?.status === 'active', request.validate);
    } catch (error) {
      // A concurrent run of this import stored first: its answer. A successor this run got is of the same grant as
      // the stored one (both came from the given token), and revoking it may end that grant: it is left unused.
      if (error instanceof AlreadyImported) {
        this.logger.info('A concurrent run of this import stored first; answered as it was.', {
          userId,
          applicationId,
        });
        return answer(applicationId, error.connection.tokens, error.mark.replaced, error.mark.validated);
      }
      if (successor !== undefined && secret !== undefined && !(error instanceof SaveOutcomeUnknown)) {
        await this.o.saver.revokeUnkept(key, successor, secret, deadline, 'import_not_kept');
      }
      if (error instanceof ActiveConnectionExists) throw new VaultError('invalid_request', ACTIVE_EXISTS);
      if (error instanceof FlowEndedError)
        throw new VaultError('invalid_request', 'A revoke of this user ended the import; nothing was stored.');
      this.logger.warn('An imported connection could not be stored.', {
        userId,
        applicationId,
        ...describeError(error),
      });
      throw new VaultError('internal_error', MESSAGES.internal, { cause: error });
    }
  }

  /**
   * One refresh with the given token (retried only where the token is certainly unused). The answer keeps the
   * given refresh token when the provider does not rotate (RFC 6749 §6), and the given scope when it names none.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  private async validate(request: ImportRequest, secret: string, deadline: Deadline): Promise<TokenResponse> {
    const { timing } = this.o;
    // The refresh and everything after it must fit.
    const after = AWS_CALLS_AFTER_PROVIDER * timing.awsCallMs;
    for (let attempt = 0; ; attempt++) {
      if (!deadline.allows(after + timing.providerTimeoutMs))
        throw new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 });
      try {
        const response = await this.o.provider.refresh(request.applicationId, request.refreshToken, secret, {
          signal: deadline.signal(timing.providerTimeoutMs),
          timeoutMs: timing.providerTimeoutMs,
        });
        if (response.tokenType !== 'Bearer')
          throw new VaultError(
            'internal_error',
            `The provider issued a ${response.tokenType} token; only Bearer tokens can be served.`,
          );
        return {
          ...response,
          refreshToken: response.refreshToken ?? request.refreshToken,
          ...(response.scope === undefined && request.scope !== undefined ? { scope: request.scope } : {}),
        };
      } catch (error) {
        if (error instanceof VaultError) throw error;
        if (!(error instanceof OAuthError)) throw new VaultError('internal_error', MESSAGES.internal, { cause: error });
        this.logger.warn('Validating an imported refresh token failed.', {
          userId: request.userId,
          applicationId: request.applicationId,
          ...describeError(error),
        });
        if (error.isInvalidGrant)
          throw new VaultError(
            'reauthorization_required',
            'The provider refused the refresh token; the user must connect.',
          );
        if (error.isSafeToRetry && attempt + 1 < PROVIDER_ATTEMPTS) {
          const delay = error.retryAfterMs ?? fullJitterDelay(attempt, 200, 2000, this.o.random ?? Math.random);
          if (deadline.allows(delay + after + timing.providerTimeoutMs)) {
            await deadline.clock.sleep(delay);
            continue;
          }
        }
        if (error.code === 'rate_limited')
          throw new VaultError('rate_limited', MESSAGES.rateLimited, {
            ...(error.retryAfterMs === undefined ? {} : { retryAfterSeconds: error.retryAfterMs / 1000 }),
          });
        if (error.isTransient) throw new VaultError('provider_unavailable', MESSAGES.providerUnavailable);
        throw new VaultError(
          'internal_error',
          "The provider refused the vault's refresh request (check the client configuration).",
        );
      }
    }
  }
}

function answer(applicationId: string, tokens: StoredTokens, replaced: boolean, validated: boolean): ImportResult {
  let refreshTokenExpiresAt: string | null = null;
  if (tokens.refreshToken !== undefined && tokens.refreshTokenExpiresAt !== undefined) {
    refreshTokenExpiresAt = tokens.refreshTokenExpiryAssumed
      ? 'unknown'
      : new Date(tokens.refreshTokenExpiresAt).toISOString();
  }
  return {
    applicationId,
    replaced,
    validated,
    accessTokenExpiresAt: new Date(tokens.accessTokenExpiresAt).toISOString(),
    refreshTokenExpiresAt,
  };
}
