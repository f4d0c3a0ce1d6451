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
  /**
   * Kept from the stored connection when the provider did not rotate (RFC 6749 §6).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  readonly expiresAt?: number;
  readonly expiryAssumed?: boolean;
}

/**
 * How long a connection's data key may be reused for its next writes (a fresh 96-bit IV per field each time), so
 * that a refresh in a container that just opened the refresh token needs no `GenerateDataKey`. The counters live
 * in the item, so the bound holds across containers. `maxWrites` 1: a new key for every write.
 */
export interface DataKeyReuse {
  /** Most writes sealed with one data key (the first included). */
  readonly maxWrites: number;
  /** How long after it was made a data key may seal another write. */
  readonly maxAgeMs: number;
}

export class TokenSealer {
  /**
   * @param cipher the envelope cipher the tokens are sealed and opened with
   * @param lifetimes the lifetimes assumed when the provider states none
   * @param reuse how long a data key may be reused; by default `{ maxWrites: 1, maxAgeMs: 0 }`, a new key per write
   */
  constructor(
    readonly cipher: EnvelopeCipher,
    private readonly lifetimes: TokenLifetimes,
    private readonly reuse: DataKeyReuse = { maxWrites: 1, maxAgeMs: 0 },
  ) {}

  /** A data key for `binding`, made ahead so that sealing later needs no KMS call. */
  async newDataKey(binding: RowBinding, deadline: Deadline): Promise<DataKey> {
    return { ...(await this.cipher.newDataKey(binding, deadline)), createdAt: deadline.clock.now(), writes: 1 };
  }

  /**
   * The data key for the next write of `connection`: its stored key again while it has made fewer than
   * `maxWrites` writes and is younger than `maxAgeMs` (no KMS call when the key is cached, as it is right after
   * the refresh token was opened), else a new one. The encryption context and the row's AAD are unchanged.
   */
  async nextDataKey(connection: ActiveConnection, deadline: Deadline): Promise<DataKey> {
    const t = connection.tokens;
    const now = deadline.clock.now();
    const reusable =
      this.reuse.maxWrites > 1 &&
      t.dataKeyCreatedAt !== undefined &&
      t.dataKeyWrites !== undefined &&
      t.dataKeyWrites < this.reuse.maxWrites &&
      now >= t.dataKeyCreatedAt &&
      now - t.dataKeyCreatedAt < this.reuse.maxAgeMs;
    if (!reusable) return this.newDataKey(connection, deadline);
    const plaintext = await this.cipher.unwrapKey(connection, t.encryptedDataKey, deadline);
    return {
      plaintext,
      encrypted: t.encryptedDataKey,
      binding: { userId: connection.userId, applicationId: connection.applicationId },
      createdAt: t.dataKeyCreatedAt,
      writes: t.dataKeyWrites + 1,
    };
  }

  /**
   * The stored form of a token answer. `requestedAt` is when the request was sent: lifetimes count from then,
   * so the vault never believes a token lives longer than the provider does.
   */
  seal(
    binding: RowBinding,
    response: TokenResponse,
    refreshToken: RefreshTokenToStore | undefined,
    requestedAt: number,
    dataKey: DataKey,
  ): StoredTokens {
    const sealed = this.cipher.sealWith(dataKey, binding, {
      accessToken: response.accessToken,
      ...(refreshToken === undefined ? {} : { refreshToken: refreshToken.plaintext }),
    });
    const accessTtl =
      response.expiresIn !== undefined ? response.expiresIn * 1000 : this.lifetimes.defaultAccessTokenTtlMs;
    let refreshExpiry: Pick<StoredTokens, 'refreshTokenExpiresAt' | 'refreshTokenExpiryAssumed'> = {};
    if (refreshToken !== undefined) {
      if (response.refreshToken === undefined && refreshToken.expiresAt !== undefined) {
        refreshExpiry = {
          refreshTokenExpiresAt: refreshToken.expiresAt,
          ...(refreshToken.expiryAssumed ? { refreshTokenExpiryAssumed: true } : {}),
        };
      } else if (response.refreshTokenExpiresIn !== undefined) {
        refreshExpiry = { refreshTokenExpiresAt: requestedAt + response.refreshTokenExpiresIn * 1000 };
      } else {
        refreshExpiry = {
          refreshTokenExpiresAt: requestedAt + this.lifetimes.defaultRefreshTokenTtlMs,
          refreshTokenExpiryAssumed: true,
        };
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
      ...(dataKey.createdAt === undefined
        ? {}
        : { dataKeyCreatedAt: dataKey.createdAt, dataKeyWrites: dataKey.writes ?? 1 }),
    };
  }

  /** Whether opening this connection's tokens needs a KMS call. */
  needsKms(connection: ActiveConnection): boolean {
    return !this.cipher.hasKey(connection, connection.tokens.encryptedDataKey);
  }

  openAccessToken(connection: ActiveConnection, deadline: Deadline): Promise<string> {
    return this.cipher.open(
      connection,
      connection.tokens.encryptedDataKey,
      'accessToken',
      connection.tokens.accessToken,
      deadline,
    );
  }

  /** The stored refresh token, or undefined when the connection has none. */
  async openRefreshToken(connection: ActiveConnection, deadline: Deadline): Promise<string | undefined> {
    const sealed = connection.tokens.refreshToken;
    if (sealed === undefined) return undefined;
    return this.cipher.open(connection, connection.tokens.encryptedDataKey, 'refreshToken', sealed, deadline);
  }
}
