/**
 * How a refresh under the lease ended, and the contract's answers for a failure, a cool-down, an ended connection
 * or a refresh that can't be made now.
 */
import { MESSAGES, VaultError } from '../errors';
import { OAuthError } from '../oauth/errors';
import type { ActiveConnection, Connection, Cooldown } from '../store/types';

/** How a refresh under the lease ended. */
export type RefreshOutcome =
  /**
   * New tokens stored; the write is this outcome's evidence that the connection is live, unless `announced`: an
   * event was put after it, and the answer then waits for a consistent read (a revoke may have answered meanwhile).
   */
  | {
      readonly kind: 'committed';
      readonly connection: ActiveConnection;
      readonly accessToken: string;
      readonly announced?: boolean;
    }
  /** No new tokens; the lease was given back at this version, which proves the connection still live (`announced`: as above). */
  | {
      readonly kind: 'released';
      readonly connection: ActiveConnection;
      readonly error: VaultError;
      readonly announced?: boolean;
    }
  /** No new tokens and nothing confirmed about the connection: serve nothing. */
  | { readonly kind: 'failed'; readonly error: VaultError }
  /** The connection ended here (re-authorization required) or was found ended (revoked). */
  | { readonly kind: 'ended'; readonly error: VaultError }
  /** The lease or the item moved on: decide anew, from `current` when it was just read. */
  | { readonly kind: 'moved'; readonly current?: Connection | undefined };

/** The answer for a connection found ended by another writer. */
export function endedError(status: 'reauthorization_required' | 'revoked' | 'active' | undefined): VaultError {
  if (status === 'reauthorization_required')
    return new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired);
  return new VaultError('not_connected', MESSAGES.notConnected);
}

export function failureCode(error: unknown): Cooldown['errorCode'] {
  if (error instanceof VaultError && (error.code === 'rate_limited' || error.code === 'provider_unavailable'))
    return error.code;
  if (error instanceof OAuthError) {
    if (error.code === 'rate_limited') return 'rate_limited';
    return error.isTransient ? 'provider_unavailable' : 'internal_error';
  }
  return 'internal_error';
}

export function messageFor(code: Cooldown['errorCode']): string {
  return code === 'rate_limited'
    ? MESSAGES.rateLimited
    : code === 'provider_unavailable'
      ? MESSAGES.providerUnavailable
      : MESSAGES.internal;
}

/** The connection when it can serve tokens; otherwise the contract's answer for its state. */
export function requireActive(connection: Connection | undefined): ActiveConnection {
  if (connection?.status === 'active') return connection;
  throw endedError(connection?.status);
}

export function reauthorizationError(): VaultError {
  return new VaultError('reauthorization_required', MESSAGES.reauthorizationRequired);
}

export function unavailable(): VaultError {
  return new VaultError('provider_unavailable', MESSAGES.providerUnavailable, { retryAfterSeconds: 1 });
}

export function cooldownError(connection: ActiveConnection, now: number): VaultError {
  const { errorCode, until } = connection.cooldown!;
  return new VaultError(errorCode, messageFor(errorCode), { retryAfterSeconds: (until - now) / 1000 });
}
