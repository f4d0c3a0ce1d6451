/**
 * The import service alone (packages/cdk/functions/core/vault/import.ts, import-fingerprint.ts): the fingerprint
 * of an imported refresh token, how a repeated import is recognised from the connection it read, and the time the
 * service asks for before presenting a token at the provider. Collaborators are stubs; the handlers against a real
 * provider are test/functions/import*.test.ts.
 */
import { refreshTiming } from '@token-vault/cdk/functions/runtime/config';
import { readTunables } from '@token-vault/cdk/src/definitions/tunables';
import { createHash } from 'node:crypto';
import { VaultError } from '@token-vault/cdk/functions/core/errors';
import { OAuthError } from '@token-vault/cdk/functions/core/oauth/errors';
import { SYSTEM_CLOCK, type Clock } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import type { Connection, ImportMark } from '@token-vault/cdk/functions/core/store/types';
import { ConnectionSaver, type ConnectionSaverOptions } from '@token-vault/cdk/functions/core/vault/connection-saver';
import { sealedTokens } from '../../../support/stores';
import { ImportService, type ImportServiceOptions } from '@token-vault/cdk/functions/core/vault/import';
import {
  AlreadyImported,
  importFingerprint,
  priorImport,
} from '@token-vault/cdk/functions/core/vault/import-fingerprint';

const T0 = Date.UTC(2026, 0, 1);
const KEY = { userId: 'u1', applicationId: 'app' };
const TOKEN = 'refresh-token-given-to-the-import';
/** The deployed defaults (provider 5 s, AWS call 2 s, lease 25 s). */
const TIMING = refreshTiming(readTunables({}));

const base = { ...KEY, version: 2, connectionId: 'c-1', connectedAt: 'then', updatedAt: 'then' };
const REFRESH_TOKEN_EXPIRES_AT = T0 + 86_400_000;
const tokens = sealedTokens(T0, { refreshTokenExpiresAt: REFRESH_TOKEN_EXPIRES_AT });
const mark = (fingerprint = importFingerprint(KEY, TOKEN)) => ({ fingerprint, validated: true, replaced: true });
const active = (imported = mark()): Connection => ({ ...base, status: 'active', tokens, imported });
const revoked = (imported = mark()): Connection => ({
  ...base,
  status: 'revoked',
  revokedAt: 'then',
  revocationReason: 'user_disconnected',
  imported,
});

describe('importFingerprint', () => {
  it('is a stable base64url SHA-256, not the token, and differs from a plain digest of it', () => {
    const fingerprint = importFingerprint(KEY, TOKEN);
    expect(fingerprint).toMatch(/^[\w-]{43}$/);
    expect(importFingerprint({ ...KEY }, TOKEN)).toBe(fingerprint);
    expect(fingerprint).not.toContain(TOKEN);
    expect(fingerprint).not.toBe(createHash('sha256').update(TOKEN).digest('base64url'));
  });

  it('differs per token, per user and per application, and separators inside the parts cannot collide', () => {
    const fingerprint = importFingerprint(KEY, TOKEN);
    expect(importFingerprint(KEY, `${TOKEN}x`)).not.toBe(fingerprint);
    expect(importFingerprint({ ...KEY, userId: 'u2' }, TOKEN)).not.toBe(fingerprint);
    expect(importFingerprint({ ...KEY, applicationId: 'other' }, TOKEN)).not.toBe(fingerprint);
    expect(importFingerprint({ userId: 'a\u0000b', applicationId: 'c' }, 't')).not.toBe(
      importFingerprint({ userId: 'a', applicationId: 'b\u0000c' }, 't'),
    );
  });
});

describe('priorImport', () => {
  const fingerprint = importFingerprint(KEY, TOKEN);

  it('no connection, no mark (a callback made it) or another token: none', () => {
    expect(priorImport(undefined, fingerprint)).toEqual({ kind: 'none' });
    const { imported: _none, ...unmarked } = active();
    expect(priorImport(unmarked, fingerprint)).toEqual({ kind: 'none' });
    expect(priorImport(active(mark(importFingerprint(KEY, 'another token'))), fingerprint)).toEqual({ kind: 'none' });
    expect(priorImport(active(mark('short')), fingerprint)).toEqual({ kind: 'none' });
  });

  it('the connection that import made, still active: live with its mark; revoked or dead: ended', () => {
    const connection = active();
    expect(priorImport(connection, fingerprint)).toEqual({ kind: 'live', connection, mark: mark() });
    expect(priorImport(revoked(), fingerprint)).toEqual({ kind: 'ended', status: 'revoked' });
    const dead: Connection = {
      ...base,
      status: 'reauthorization_required',
      reauthorizationReason: 'invalid_grant',
      reauthorizationAt: 'then',
      imported: mark(),
    };
    expect(priorImport(dead, fingerprint)).toEqual({ kind: 'ended', status: 'reauthorization_required' });
  });
});

describe('ImportService', () => {
  let now: number;
  const clock: Clock = {
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    timeoutSignal: () => new AbortController().signal,
  };
  const invalidGrant = new OAuthError('oauth_error', 'refused', { providerError: 'invalid_grant', status: 400 });

  /** `previous`: what each read of the connection finds (the last one repeats). `held`: another run's claim. */
  function service(previous: Connection | undefined, reads: (Connection | undefined)[] = [], held = false) {
    const refresh = jest.fn((): Promise<unknown> => Promise.reject(invalidGrant));
    const save = jest.fn();
    const revokeUnkept = jest.fn();
    const found = [previous, ...reads];
    const get = jest.fn(() => Promise.resolve(found.length > 1 ? found.shift() : found[0]));
    const claims = { claim: jest.fn(() => Promise.resolve(!held)), release: jest.fn(() => Promise.resolve()) };
    const options = {
      applications: { require: () => ({}) },
      connections: { get },
      provider: { clientSecret: () => Promise.resolve('secret'), refresh },
      saver: { save, revokeUnkept },
      claims,
      timing: TIMING,
    } as unknown as ImportServiceOptions;
    return { importer: new ImportService(options), refresh, save, revokeUnkept, claims, get };
  }
  const request = (extra: object = {}) => ({ ...KEY, refreshToken: TOKEN, replace: true, validate: true, ...extra });

  beforeEach(() => {
    now = T0;
  });

  it('a repeat of the import that made the active connection is answered from it: no provider call, no save', async () => {
    const { importer, refresh, save } = service(active());
    for (const replace of [true, false]) {
      await expect(importer.import(request({ replace }), Deadline.at(T0 + 20_000, clock))).resolves.toEqual({
        applicationId: 'app',
        replaced: true,
        validated: true,
        accessTokenExpiresAt: new Date(tokens.accessTokenExpiresAt).toISOString(),
        refreshTokenExpiresAt: new Date(REFRESH_TOKEN_EXPIRES_AT).toISOString(),
      });
    }
    expect(refresh).not.toHaveBeenCalled();
    expect(save).not.toHaveBeenCalled();
  });

  it('a repeat after the connection ended is refused as reauthorization_required, before the provider', async () => {
    const { importer, refresh, save } = service(revoked());
    const error = await importer.import(request(), Deadline.at(T0 + 20_000, clock)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ code: 'reauthorization_required' });
    expect((error as Error).message).toBe(
      'This refresh token was imported before and that connection has ended (revoked); the user must connect.',
    );
    expect(refresh).not.toHaveBeenCalled();
    expect(save).not.toHaveBeenCalled();
  });

  it('presents the token only when the provider call and the seven AWS calls after it fit', async () => {
    const needs = 7 * TIMING.awsCallMs + TIMING.providerTimeoutMs;
    const short = service(undefined);
    await expect(short.importer.import(request(), Deadline.at(T0 + needs - 1, clock))).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(short.refresh).not.toHaveBeenCalled();

    const enough = service(undefined);
    await expect(enough.importer.import(request(), Deadline.at(T0 + needs, clock))).rejects.toMatchObject({
      code: 'reauthorization_required',
    });
    expect(enough.refresh).toHaveBeenCalledTimes(1);
    expect(enough.save).not.toHaveBeenCalled();
  });

  it('a run that meets another run of the same import in flight presents nothing and is told to retry', async () => {
    const run = service(undefined, [], true);
    await expect(run.importer.import(request(), Deadline.at(T0 + 20_000, clock))).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterSeconds: 5,
    });
    expect(run.claims.claim).toHaveBeenCalledWith(
      importFingerprint(KEY, TOKEN),
      expect.any(String),
      30_000 + 1_000,
      expect.anything(),
    );
    expect(run.refresh).not.toHaveBeenCalled();
    expect(run.claims.release).not.toHaveBeenCalled();
  });

  it('under its claim, a run finds what the run before it stored and answers from it, never presenting the token', async () => {
    const run = service(undefined, [active()]);
    await expect(run.importer.import(request(), Deadline.at(T0 + 20_000, clock))).resolves.toMatchObject({
      replaced: true,
      validated: true,
    });
    expect(run.get).toHaveBeenCalledTimes(2);
    expect(run.refresh).not.toHaveBeenCalled();
    expect(run.save).not.toHaveBeenCalled();
    // Its own claim is deleted, whatever the outcome.
    const [fingerprint, claim] = run.claims.claim.mock.calls[0] as unknown as [string, string];
    expect(run.claims.release).toHaveBeenCalledWith(fingerprint, claim, expect.anything());
  });

  it('a refused import deletes its claim too; an import without validation claims nothing', async () => {
    const refused = service(undefined);
    await expect(refused.importer.import(request(), Deadline.at(T0 + 20_000, clock))).rejects.toMatchObject({
      code: 'reauthorization_required',
    });
    expect(refused.claims.release).toHaveBeenCalledTimes(1);
    const unvalidated = service(undefined);
    unvalidated.save.mockResolvedValueOnce({ tokens, previous: undefined });
    await unvalidated.importer.import(
      request({ validate: false, accessToken: 'a', expiresAt: new Date(T0 + 60_000).toISOString() }),
      Deadline.at(T0 + 20_000, clock),
    );
    expect(unvalidated.claims.claim).not.toHaveBeenCalled();
  });

  it('a concurrent run of the same import that stored first: its answer, and the successor is not revoked', async () => {
    const run = service(undefined);
    run.refresh.mockResolvedValueOnce({ accessToken: 'a', tokenType: 'Bearer', expiresIn: 60, refreshToken: 'next' });
    const first = active();
    run.save.mockRejectedValueOnce(new AlreadyImported(first as Extract<Connection, { status: 'active' }>, mark()));
    await expect(run.importer.import(request(), Deadline.at(T0 + 20_000, clock))).resolves.toMatchObject({
      replaced: true,
      validated: true,
    });
    expect(run.revokeUnkept).not.toHaveBeenCalled();
  });
});

describe('two runs of the same import at once (an SDK retry of a reset Invoke)', () => {
  it("present the refresh token once: the second meets the first one's claim", async () => {
    let stored: Connection | undefined;
    const presented: string[] = [];
    let answerProvider!: () => void;
    const providerAnswers = new Promise<void>((resolve) => (answerProvider = resolve));
    const refresh = jest.fn(async (_app: string, token: string) => {
      presented.push(token);
      await providerAnswers; // the first run still waits on the provider when the retry arrives
      return { accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'successor' };
    });
    const save = jest.fn((_key: unknown, _response: unknown, r: { imported: ImportMark }) => {
      stored = { ...active(), imported: { ...r.imported, replaced: false } };
      return Promise.resolve({ tokens, previous: undefined });
    });
    // Conditional claims as the states table keeps them (import-claims.test.ts shows them on moto).
    const held = new Map<string, string>();
    const claims = {
      claim: (f: string, id: string) => Promise.resolve(held.get(f) === id || (!held.has(f) && !!held.set(f, id))),
      release: (f: string, id: string) => Promise.resolve(void (held.get(f) === id && held.delete(f))),
    };
    const importer = new ImportService({
      applications: { require: () => ({}) },
      connections: { get: () => Promise.resolve(stored) },
      provider: { clientSecret: () => Promise.resolve('secret'), refresh },
      saver: { save, revokeUnkept: jest.fn() },
      claims,
      timing: TIMING,
    } as unknown as ImportServiceOptions);
    const request = { ...KEY, refreshToken: TOKEN, replace: false, validate: true };
    const first = importer.import(request, Deadline.at(Date.now() + 29_700, SYSTEM_CLOCK));
    await new Promise((r) => setTimeout(r, 10));
    const retry = importer.import(request, Deadline.at(Date.now() + 29_700, SYSTEM_CLOCK));
    await expect(retry).rejects.toMatchObject({ code: 'rate_limited', retryable: true });
    answerProvider();
    await expect(first).resolves.toMatchObject({ validated: true });
    expect(presented).toEqual([TOKEN]);
    // The retry after the first answered is answered from what it stored.
    await expect(importer.import(request, Deadline.at(Date.now() + 29_700, SYSTEM_CLOCK))).resolves.toMatchObject({
      validated: true,
    });
    expect(presented).toEqual([TOKEN]);
  });
});

describe('ConnectionSaver with an import mark', () => {
  it('a save that meets the connection the same import made (after a conflict) stops instead of overwriting it', async () => {
    const first = active();
    const get = jest.fn().mockResolvedValueOnce(undefined).mockResolvedValue(first);
    const saveConnected = jest.fn().mockRejectedValue(new StoreError('conflict', 'condition failed'));
    const saver = new ConnectionSaver({
      connections: { get, saveConnected },
      provider: { revokesReplacedRefreshTokens: () => true },
      sealer: { newDataKey: () => Promise.resolve({}), seal: () => tokens },
      timing: TIMING,
      marginMs: 60_000,
    } as unknown as ConnectionSaverOptions);
    const response = { accessToken: 'a', tokenType: 'Bearer', expiresIn: 60, refreshToken: TOKEN };
    const request = { via: 'import' as const, requestedAt: T0, flowStartedAt: T0 };
    const imported = { fingerprint: importFingerprint(KEY, TOKEN), validated: false };
    const error = await saver
      .save(KEY, response, { ...request, imported }, Deadline.at(Date.now() + 20_000, SYSTEM_CLOCK))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyImported);
    expect(error).toMatchObject({ connection: first, mark: mark() });
    expect(saveConnected).toHaveBeenCalledTimes(1);
  });
});
