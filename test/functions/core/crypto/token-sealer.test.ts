/**
 * The token sealer against moto's KMS (packages/cdk/functions/core/crypto/token-sealer.ts): the stored form of a
 * token answer (lifetimes counted from the request, the refresh token's expiry stated, kept or assumed), the
 * round trip, and when a connection's data key is reused for its next write. Time is a virtual clock.
 */
import { EnvelopeCipher } from '@token-vault/cdk/functions/core/crypto/envelope';
import { TokenSealer } from '@token-vault/cdk/functions/core/crypto/token-sealer';
import type { TokenResponse } from '@token-vault/cdk/functions/core/oauth/types';
import type { ActiveConnection, StoredTokens } from '@token-vault/cdk/functions/core/store/types';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { freshResources, type FreshResources } from '../../../support/aws';
import { ManualClock } from '../../../support/clock';
import { registerSensitive } from '../../../support/leak-guard';

let aws: FreshResources;
beforeAll(async () => {
  aws = await freshResources();
}, 60_000);
afterAll(() => aws?.close());

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const lifetimes = { defaultAccessTokenTtlMs: HOUR_MS, defaultRefreshTokenTtlMs: 30 * DAY_MS };
const binding = { userId: 'sealer-user', applicationId: 'app' };
const ACCESS = 'access-token-for-the-sealer-test';
const REFRESH = 'refresh-token-for-the-sealer-test';
registerSensitive(ACCESS, REFRESH);

const answer = (extra: Partial<TokenResponse> = {}): TokenResponse => ({
  accessToken: ACCESS,
  tokenType: 'Bearer',
  ...extra,
});

function setUp(reuse?: { maxWrites: number; maxAgeMs: number }) {
  const clock = new ManualClock();
  const cipher = new EnvelopeCipher({ kms: aws.kms, keyId: aws.keyId });
  const sealer = new TokenSealer(cipher, lifetimes, reuse);
  const deadline = () => Deadline.at(clock.now() + 20_000, clock);
  return { clock, sealer, deadline };
}

const connectionOf = (tokens: StoredTokens): ActiveConnection => ({
  ...binding,
  status: 'active',
  version: 1,
  connectionId: 'c',
  connectedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  tokens,
});

describe('seal', () => {
  it('counts lifetimes from the request, with the stated expiries', async () => {
    const { clock, sealer, deadline } = setUp();
    const requestedAt = clock.now() - 500;
    const tokens = sealer.seal(
      binding,
      answer({ expiresIn: 600, refreshToken: REFRESH, refreshTokenExpiresIn: 7_200, scope: 'read write' }),
      { plaintext: REFRESH },
      requestedAt,
      await sealer.newDataKey(binding, deadline()),
    );
    expect(tokens).toMatchObject({
      tokenType: 'Bearer',
      scope: 'read write',
      accessTokenIssuedAt: requestedAt,
      accessTokenExpiresAt: requestedAt + 600_000,
      refreshTokenExpiresAt: requestedAt + 7_200_000,
      dataKeyCreatedAt: clock.now(),
      dataKeyWrites: 1,
    });
    expect(tokens).not.toHaveProperty('refreshTokenExpiryAssumed');
    expect(Buffer.from(tokens.accessToken).includes(Buffer.from(ACCESS))).toBe(false);
  });

  it('assumes the default lifetimes when the provider states none, and says the refresh expiry is assumed', async () => {
    const { clock, sealer, deadline } = setUp();
    const tokens = sealer.seal(
      binding,
      answer({ refreshToken: REFRESH }),
      { plaintext: REFRESH },
      clock.now(),
      await sealer.newDataKey(binding, deadline()),
    );
    expect(tokens).toMatchObject({
      scope: '',
      accessTokenExpiresAt: clock.now() + HOUR_MS,
      refreshTokenExpiresAt: clock.now() + 30 * DAY_MS,
      refreshTokenExpiryAssumed: true,
    });
  });

  it('keeps the stored refresh token expiry when the provider did not rotate', async () => {
    const { clock, sealer, deadline } = setUp();
    const kept = { plaintext: REFRESH, expiresAt: clock.now() + 5 * DAY_MS, expiryAssumed: true };
    const tokens = sealer.seal(
      binding,
      answer({ expiresIn: 60 }),
      kept,
      clock.now(),
      await sealer.newDataKey(binding, deadline()),
    );
    expect(tokens).toMatchObject({ refreshTokenExpiresAt: kept.expiresAt, refreshTokenExpiryAssumed: true });
  });

  it('without a refresh token, stores none and no expiry for it', async () => {
    const { clock, sealer, deadline } = setUp();
    const tokens = sealer.seal(binding, answer(), undefined, clock.now(), await sealer.newDataKey(binding, deadline()));
    for (const field of ['refreshToken', 'refreshTokenExpiresAt', 'refreshTokenExpiryAssumed'])
      expect(tokens).not.toHaveProperty(field);
    expect(await sealer.openRefreshToken(connectionOf(tokens), deadline())).toBeUndefined();
  });
});

describe('open', () => {
  it('opens both tokens again; a cold container needs KMS once, a warm one not', async () => {
    const { clock, sealer, deadline } = setUp();
    const tokens = sealer.seal(
      binding,
      answer({ refreshToken: REFRESH }),
      { plaintext: REFRESH },
      clock.now(),
      await sealer.newDataKey(binding, deadline()),
    );
    const connection = connectionOf(tokens);
    expect(sealer.needsKms(connection)).toBe(false);
    const cold = setUp().sealer;
    expect(cold.needsKms(connection)).toBe(true);
    expect(await cold.openAccessToken(connection, deadline())).toBe(ACCESS);
    expect(await cold.openRefreshToken(connection, deadline())).toBe(REFRESH);
    expect(cold.needsKms(connection)).toBe(false);
  });
});

describe('nextDataKey', () => {
  const MAX_AGE = DAY_MS;
  async function sealedWith(sealer: TokenSealer, deadline: () => Deadline, now: number): Promise<ActiveConnection> {
    return connectionOf(
      sealer.seal(
        binding,
        answer({ refreshToken: REFRESH }),
        { plaintext: REFRESH },
        now,
        await sealer.newDataKey(binding, deadline()),
      ),
    );
  }

  it('reuses the stored key while it has made fewer writes than the bound and is young enough', async () => {
    const { clock, sealer, deadline } = setUp({ maxWrites: 3, maxAgeMs: MAX_AGE });
    const connection = await sealedWith(sealer, deadline, clock.now());
    clock.advance(MAX_AGE - 1);
    const next = await sealer.nextDataKey(connection, deadline());
    expect(Buffer.from(next.encrypted)).toEqual(Buffer.from(connection.tokens.encryptedDataKey));
    expect(next).toMatchObject({ createdAt: connection.tokens.dataKeyCreatedAt, writes: 2 });
    // What it seals opens with the same stored key.
    const resealed = connectionOf(sealer.seal(binding, answer(), { plaintext: REFRESH }, clock.now(), next));
    expect(await setUp().sealer.openAccessToken(resealed, deadline())).toBe(ACCESS);
  });

  it('makes a new key past the write bound, past the age bound, or when the clock went back', async () => {
    const { clock, sealer, deadline } = setUp({ maxWrites: 3, maxAgeMs: MAX_AGE });
    const connection = await sealedWith(sealer, deadline, clock.now());
    const isNew = async (c: ActiveConnection) =>
      !Buffer.from((await sealer.nextDataKey(c, deadline())).encrypted).equals(Buffer.from(c.tokens.encryptedDataKey));
    expect(await isNew({ ...connection, tokens: { ...connection.tokens, dataKeyWrites: 3 } })).toBe(true);
    expect(await isNew({ ...connection, tokens: { ...connection.tokens, dataKeyCreatedAt: clock.now() + 1 } })).toBe(
      true,
    );
    const { dataKeyWrites: _w, ...unknownCount } = connection.tokens;
    expect(await isNew({ ...connection, tokens: unknownCount })).toBe(true);
    clock.advance(MAX_AGE);
    expect(await isNew(connection)).toBe(true);
  });

  it('with the default (one write per key), always makes a new key', async () => {
    const { clock, sealer, deadline } = setUp();
    const connection = await sealedWith(sealer, deadline, clock.now());
    const next = await sealer.nextDataKey(connection, deadline());
    expect(Buffer.from(next.encrypted).equals(Buffer.from(connection.tokens.encryptedDataKey))).toBe(false);
    expect(next.writes).toBe(1);
  });
});
