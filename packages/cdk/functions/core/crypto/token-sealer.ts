/**
 * Turns a provider's token answer into what is stored (both tokens sealed under one data key, with their
 * lifetimes), and opens stored tokens again. Shared by the callback, the refresh and the import, so a token is
 * sealed one way only.
 */
import type { TokenResponse } from '../oauth/types';
import type { ActiveConnection, StoredTokens } from '../store/types';
import type { Deadline } from '../time/deadline';
import type { DataKey, EnvelopeCipher, RowBinding } from './envelope';

export interface TokenLifetimes {
  /** Lifetime assumed when the provider states no `expires_in`. */
  readonly defaultAccessTokenTtlMs: number;
  /** Lifetime assumed for refresh tokens without a stated expiry (the vault still tries them after it). */
  readonly defaultRefreshTokenTtlMs: number;
}

/** The refresh token to store with a token answer, and what is known of its expiry. */
export interface RefreshTokenToStore {
  readonly plaintext: string;
  /** Kept from the stored connection when the provider did not rotate (RFC 6749 §6). */
  readonly expiresAt?: number;
  readonly expiryAssumed?: boolean;
}

export class TokenSealer {
  constructor(
    readonly cipher: EnvelopeCipher,
    private readonly lifetimes: TokenLifetimes,
  ) {}

  /** A data key for `binding`, made ahead so that sealing later needs no KMS call. */
  newDataKey(binding: RowBinding, deadline: Deadline): Promise<DataKey> {
    return this.cipher.newDataKey(binding, deadline);
  }

  /**
   * The stored form of a token answer. `requestedAt` is when the request was sent: lifetimes count from then,
   * so the vault never believes a token lives longer than the provider does.
   */
  seal(binding: RowBinding, response: TokenResponse, refreshToken: RefreshTokenToStore | undefined, requestedAt: number, dataKey: DataKey): StoredTokens {
    const sealed = this.cipher.sealWith(dataKey, binding, { accessToken: response.accessToken, ...(refreshToken === undefined ? {} : { refreshToken: refreshToken.plaintext }) });
    const accessTtl = response.expiresIn !== undefined ? response.expiresIn * 1000 : this.lifetimes.defaultAccessTokenTtlMs;
    let refreshExpiry: Pick<StoredTokens, 'refreshTokenExpiresAt' | 'refreshTokenExpiryAssumed'> = {};
    if (refreshToken !== undefined) {
      if (response.refreshToken === undefined && refreshToken.expiresAt !== undefined) {
        refreshExpiry = { refreshTokenExpiresAt: refreshToken.expiresAt, ...(refreshToken.expiryAssumed ? { refreshTokenExpiryAssumed: true } : {}) };
      } else if (response.refreshTokenExpiresIn !== undefined) {
        refreshExpiry = { refreshTokenExpiresAt: requestedAt + response.refreshTokenExpiresIn * 1000 };
      } else {
        refreshExpiry = { refreshTokenExpiresAt: requestedAt + this.lifetimes.defaultRefreshTokenTtlMs, refreshTokenExpiryAssumed: true };
      }
    }
    return {
      encryptedDataKey: sealed.encryptedDataKey,
      accessToken: sealed.fields.accessToken!,
      ...(sealed.fields.refreshToken === undefined ? {} : { refreshToken: sealed.fields.refreshToken }),
      tokenType: response.tokenType,
      scope: response.scope ?? '',
      accessTokenIssuedAt: requestedAt,
      accessTokenExpiresAt: requestedAt + accessTtl,
      ...refreshExpiry,
    };
  }

  /** Whether opening this connection's tokens needs a KMS call. */
  needsKms(connection: ActiveConnection): boolean {
    return !this.cipher.hasKey(connection, connection.tokens.encryptedDataKey);
  }

  openAccessToken(connection: ActiveConnection, deadline: Deadline): Promise<string> {
    return this.cipher.open(connection, connection.tokens.encryptedDataKey, 'accessToken', connection.tokens.accessToken, deadline);
  }

  /** The stored refresh token, or undefined when the connection has none. */
  async openRefreshToken(connection: ActiveConnection, deadline: Deadline): Promise<string | undefined> {
    const sealed = connection.tokens.refreshToken;
    if (sealed === undefined) return undefined;
    return this.cipher.open(connection, connection.tokens.encryptedDataKey, 'refreshToken', sealed, deadline);
  }
}
