/**
 * The connections store against moto (packages/cdk/functions/core/store/connection-store.ts): every change is a
 * conditional write fenced by `version`, and each condition refuses what it must (a second first save, a stale
 * version, a live lease of another container, a flow a revoke ended), with the counter and the reserved items
 * written in the same transaction or not at all.
 */
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import { shardOf } from '@token-vault/cdk/functions/core/store/codec';
import { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import type { Connection, ConnectionKey } from '@token-vault/cdk/functions/core/store/types';
import { CLOCK_SKEW_MS } from '@token-vault/cdk/functions/core/time/clock';
import { testDeadline } from '../../../support/refresh';
import { sealedTokens, storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
beforeAll(async () => {
  s = await storesOnMoto();
}, 60_000);
afterAll(() => s?.close());

let users = 0;
/** A user of its own for each test (one table for the file). */
const fresh = (applicationId = 'app'): ConnectionKey => ({ userId: `user-${++users}`, applicationId });

async function refusal(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StoreError)) throw new Error(`expected a StoreError, got ${String(error)}`);
  return error;
}

/** The refusal of a save whose flow a revoke ended (FlowEndedError: a conflict that says why). */
const FLOW_ENDED = { code: 'conflict', message: 'save connection: a revoke ended this authorization flow.' };

const save = (key: ConnectionKey, previous: Connection | undefined, options: Record<string, unknown> = {}) =>
  s.connections.saveConnected(
    key,
    previous,
    sealedTokens(s.clock.now()),
    { connectionId: 'c-new', dueAt: s.clock.now() + 1_000, flowStartedAt: s.clock.now(), ...options },
    testDeadline(),
  );

describe('saveConnected', () => {
  it('creates an active connection at version 1, due in the index, and counts it', async () => {
    const key = fresh('counted');
    const before = await s.counter('counted');
    const saved = await save(key, undefined);
    expect(saved).toMatchObject({ ...key, status: 'active', version: 1, connectionId: 'c-new' });
    const item = await s.item(key.userId, key.applicationId);
    expect(item).toMatchObject({ status: 'active', version: 1, dueShard: String(shardOf(key)) });
    expect(item!.refreshDueAt).toBe(s.clock.now() + 1_000);
    expect(await s.counter('counted')).toBe(before + 1);
  });

  it('refuses a second first save (two callbacks racing), and counts once', async () => {
    const key = fresh('racing');
    await save(key, undefined);
    const error = await refusal(save(key, undefined));
    expect(error.code).toBe('conflict');
    expect(error.message).not.toBe(FLOW_ENDED.message);
    expect(await s.counter('racing')).toBe(1);
  });

  it('replaces a connection only at the version read, and a reconnect does not count again', async () => {
    const key = fresh('reconnect');
    const first = await save(key, undefined);
    const second = await save(key, first, { connectionId: 'c-second' });
    expect(second.version).toBe(2);
    expect((await refusal(save(key, first))).code).toBe('conflict');
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({ version: 2, connectionId: 'c-second' });
    expect(await s.counter('reconnect')).toBe(1);
  });

  it('with noLeaseAt, refuses while another container holds a live lease on the item', async () => {
    const key = fresh();
    const first = await save(key, undefined);
    const lease = await s.leases.acquire(first, 'refresher', 10_000, testDeadline());
    expect(lease).toBeDefined();
    const leased = { ...first, lease: lease! };
    expect((await refusal(save(key, leased, { noLeaseAt: s.clock.now() }))).code).toBe('conflict');
    // Past the lease's expiry the save goes through.
    expect((await save(key, leased, { noLeaseAt: lease!.expiresAt + 1 })).version).toBe(2);
  });

  it('refuses a flow started before a revoke ended its flows, within the clock skew too', async () => {
    const key = fresh();
    await s.connections.endFlows(key.userId, key.applicationId, testDeadline());
    const ended = s.clock.now();
    const error = await refusal(save(key, undefined, { flowStartedAt: ended + CLOCK_SKEW_MS }));
    expect(error).toMatchObject(FLOW_ENDED);
    expect(await s.item(key.userId, key.applicationId)).toBeUndefined();
    expect((await save(key, undefined, { flowStartedAt: ended + CLOCK_SKEW_MS + 1 })).version).toBe(1);
  });

  it("a revoke of all the user's flows ends every application's, another application's does not", async () => {
    const key = fresh('one');
    await s.connections.endFlows(key.userId, 'other', testDeadline());
    const started = s.clock.now() - CLOCK_SKEW_MS - 1;
    expect((await save(key, undefined, { flowStartedAt: started })).version).toBe(1);
    const all = fresh('one');
    await s.connections.endFlows(all.userId, '*', testDeadline());
    expect(await refusal(save(all, undefined, { flowStartedAt: started }))).toMatchObject(FLOW_ENDED);
  });

  it('with revokeReplaced, moves the replaced refresh token into a pending revocation in the same transaction', async () => {
    const key = fresh();
    const first = await save(key, undefined);
    await save(key, first, { revokeReplaced: true });
    const pendingKey = `${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}${key.applicationId}#1-replaced`;
    const pending = await s.item(key.userId, pendingKey);
    expect(pending).toMatchObject({ reason: 'replaced_by_reconnect', targetApplicationId: key.applicationId });
    expect(pending!.refreshToken).toEqual(first.tokens.refreshToken);
  });
});

describe('markFetched', () => {
  it('marks an access token once, and moves its due time onto the expiry track', async () => {
    const key = fresh();
    const connection = await save(key, undefined);
    const at = s.clock.now() + 5;
    expect(await s.connections.markFetched(connection, at, at + 99, testDeadline())).toBe(true);
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({ lastFetchedAt: at, refreshDueAt: at + 99 });
    // Another container's mark of the same token: refused, nothing moved.
    expect(await s.connections.markFetched(connection, at + 1, at + 1_000, testDeadline())).toBe(false);
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({ lastFetchedAt: at, refreshDueAt: at + 99 });
  });

  it('refuses once the connection moved on (a newer version)', async () => {
    const key = fresh();
    const first = await save(key, undefined);
    await save(key, first);
    expect(await s.connections.markFetched(first, s.clock.now(), undefined, testDeadline())).toBe(false);
    expect((await s.item(key.userId, key.applicationId))!.lastFetchedAt).toBeUndefined();
  });

  it('leaves the due time alone for a connection without a refresh token', async () => {
    const key = fresh();
    const { refreshToken: _none, ...noRefresh } = sealedTokens(s.clock.now());
    const connection = await s.connect(key, noRefresh);
    expect(await s.connections.markFetched(connection, s.clock.now(), 123, testDeadline())).toBe(true);
    expect((await s.item(key.userId, key.applicationId))!.refreshDueAt).toBeUndefined();
  });
});

describe('reschedule', () => {
  it('moves the due time at the version read, and refuses a stale one', async () => {
    const key = fresh();
    const first = await save(key, undefined);
    expect(await s.connections.reschedule(first, 42, testDeadline())).toBe(true);
    expect((await s.item(key.userId, key.applicationId))!.refreshDueAt).toBe(42);
    await save(key, first);
    expect(await s.connections.reschedule(first, 43, testDeadline())).toBe(false);
  });

  it('refuses a connection that is not in the due index (no refresh token)', async () => {
    const key = fresh();
    const { refreshToken: _none, ...noRefresh } = sealedTokens(s.clock.now());
    const connection = await s.connect(key, noRefresh);
    expect(await s.connections.reschedule(connection, 42, testDeadline())).toBe(false);
    expect((await s.item(key.userId, key.applicationId))!.refreshDueAt).toBeUndefined();
  });
});

describe('markReauthorizationRequired', () => {
  it('ends the connection without its token material and uncounts it', async () => {
    const key = fresh('reauth');
    const connection = await save(key, undefined);
    await s.connections.markReauthorizationRequired(connection, 'invalid_grant', undefined, testDeadline());
    const item = await s.item(key.userId, key.applicationId);
    expect(item).toMatchObject({
      status: 'reauthorization_required',
      reauthorizationReason: 'invalid_grant',
      version: 2,
    });
    for (const attribute of ['accessToken', 'refreshToken', 'encryptedDataKey', 'dueShard', 'refreshDueAt'])
      expect(item).not.toHaveProperty(attribute);
    expect(await s.counter('reauth')).toBe(0);
  });

  it("refuses while another container's lease is live; its own lease, or an expired one, does not stop it", async () => {
    const key = fresh('reauth-lease');
    const connection = await save(key, undefined);
    const lease = (await s.leases.acquire(connection, 'other', 10_000, testDeadline()))!;
    const refused = await refusal(
      s.connections.markReauthorizationRequired(connection, 'invalid_grant', 'me', testDeadline()),
    );
    expect(refused.code).toBe('conflict');
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({ status: 'active', version: 1 });
    expect(await s.counter('reauth-lease')).toBe(1);
    await s.connections.markReauthorizationRequired(connection, 'invalid_grant', lease.owner, testDeadline());
    expect(await s.item(key.userId, key.applicationId)).toMatchObject({ status: 'reauthorization_required' });

    const other = fresh('reauth-lease');
    const second = await save(other, undefined);
    await s.leases.acquire(second, 'crashed', 1_000, testDeadline());
    s.clock.advance(1_001);
    await s.connections.markReauthorizationRequired(second, 'invalid_grant', undefined, testDeadline());
    expect(await s.item(other.userId, other.applicationId)).toMatchObject({ status: 'reauthorization_required' });
  });

  it('refuses a stale version', async () => {
    const key = fresh();
    const first = await save(key, undefined);
    await save(key, first);
    expect(
      (await refusal(s.connections.markReauthorizationRequired(first, 'invalid_grant', undefined, testDeadline())))
        .code,
    ).toBe('conflict');
  });
});

describe('markRevoked', () => {
  it('revokes in one transaction: status, record, pending revocation, counter and flows', async () => {
    const key = fresh('revoke');
    const connection = await save(key, undefined);
    const { pendingKey, recordKey } = await s.connections.markRevoked(connection, 'user_request', testDeadline());
    const revoked = await s.connections.get(key, testDeadline());
    const item = await s.item(key.userId, key.applicationId);
    expect(item).toMatchObject({ status: 'revoked', revocationReason: 'user_request', version: 2 });
    for (const attribute of ['accessToken', 'refreshToken', 'encryptedDataKey', 'dueShard'])
      expect(item).not.toHaveProperty(attribute);
    expect(await s.counter('revoke')).toBe(0);
    expect(pendingKey).toBe(`${RESERVED_KEYS.PENDING_REVOCATION_PREFIX}revoke#1`);
    expect((await s.item(key.userId, pendingKey!))!.refreshToken).toEqual(connection.tokens.refreshToken);
    expect((await s.item(key.userId, recordKey))!.revocation).toEqual({
      ...key,
      revokedAt: new Date(s.clock.now()).toISOString(),
      reason: 'user_request',
      providerConfirmed: false,
    });
    // The flows of that application ended with it: a callback of a flow started before cannot save.
    expect(await refusal(save(key, revoked, { flowStartedAt: s.clock.now() }))).toMatchObject(FLOW_ENDED);
    expect((await s.item(key.userId, RESERVED_KEYS.FLOWS_MARKER))![`notBefore:${key.applicationId}`]).toBe(
      s.clock.now(),
    );
  });

  it('refuses a stale version and writes nothing', async () => {
    const key = fresh('revoke-stale');
    const first = await save(key, undefined);
    await save(key, first);
    const before = await s.userItems(key.userId);
    expect((await refusal(s.connections.markRevoked(first, 'user_request', testDeadline()))).code).toBe('conflict');
    expect(await s.userItems(key.userId)).toEqual(before);
    expect(await s.counter('revoke-stale')).toBe(1);
  });

  it('a connection without a refresh token, or one already ended, leaves nothing pending and the record confirmed', async () => {
    const key = fresh('revoke-ended');
    const connection = await save(key, undefined);
    await s.connections.markReauthorizationRequired(connection, 'invalid_grant', undefined, testDeadline());
    const ended = await s.connections.get(key, testDeadline());
    const { pendingKey, recordKey } = await s.connections.markRevoked(ended!, 'user_request', testDeadline());
    expect(pendingKey).toBeUndefined();
    expect((await s.item(key.userId, recordKey))!.revocation).toMatchObject({ providerConfirmed: true });
    // Uncounted once, by the reauthorization, not again.
    expect(await s.counter('revoke-ended')).toBe(0);
  });
});

describe('reads', () => {
  it('get decodes the stored state; listForUser leaves the reserved items out', async () => {
    const key = fresh('read-a');
    const connection = await save(key, undefined);
    await s.connections.markRevoked(connection, 'user_request', testDeadline());
    await s.connect({ userId: key.userId, applicationId: 'read-b' });
    expect(await s.connections.get(key, testDeadline())).toMatchObject({ status: 'revoked' });
    expect(await s.connections.get({ userId: key.userId, applicationId: 'none' }, testDeadline())).toBeUndefined();
    const listed = await s.connections.listForUser(key.userId, testDeadline());
    expect(listed.map((c) => [c.applicationId, c.status]).sort()).toEqual([
      ['read-a', 'revoked'],
      ['read-b', 'active'],
    ]);
    // The partition holds the record, the pending item and the flows marker too.
    expect((await s.connections.queryUser(key.userId, testDeadline())).length).toBe(5);
  });

  it('a get through a plain DynamoDB read client decodes the same connection', async () => {
    const key = fresh();
    await save(key, undefined);
    const viaReadClient = new ConnectionStore({
      client: s.aws.doc,
      readClient: s.aws.ddb,
      tableName: s.aws.connectionsTable,
      callTimeoutMs: 5_000,
    });
    expect(await viaReadClient.get(key, testDeadline())).toEqual(await s.connections.get(key, testDeadline()));
  });

  it("queryDue answers a shard's work due by the time given, oldest first, paged", async () => {
    // Due times far ahead of every other test's, on users of one shard.
    const base = s.clock.now() + 10 ** 9;
    const keys: ConnectionKey[] = [];
    for (let i = 0; keys.length < 3; i++) {
      const key = { userId: `due-${i}`, applicationId: 'app' };
      if (shardOf(key) === 0) keys.push(key);
    }
    for (const [i, key] of keys.entries())
      await s.connections.saveConnected(
        key,
        undefined,
        sealedTokens(s.clock.now()),
        { connectionId: 'c', dueAt: base + 3 - i, flowStartedAt: s.clock.now() },
        testDeadline(),
      );
    const until = (dueBy: number) => s.connections.queryDue(0, dueBy, 100, testDeadline());
    const due = (await until(base + 2)).items.filter((i) => i.dueAt >= base);
    expect(due).toEqual([
      { ...keys[2]!, dueAt: base + 1 },
      { ...keys[1]!, dueAt: base + 2 },
    ]);
    const page = await s.connections.queryDue(0, base + 3, 1, testDeadline());
    expect(page.items).toHaveLength(1);
    expect(page.cursor).toBeDefined();
  });

  it('listRevocations pages the records; activeCounts reads the counters', async () => {
    const key = fresh('paged');
    for (const applicationId of ['paged', 'paged-2']) {
      const connection = await save({ userId: key.userId, applicationId }, undefined);
      await s.connections.markRevoked(connection, 'user_request', testDeadline());
    }
    const all: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.connections.listRevocations(testDeadline(), { limit: 1, ...(cursor ? { cursor } : {}) });
      expect(page.records.length).toBeLessThanOrEqual(1);
      all.push(...page.records);
      cursor = page.cursor;
    } while (cursor);
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: key.userId, applicationId: 'paged' }),
        expect.objectContaining({ userId: key.userId, applicationId: 'paged-2' }),
      ]),
    );
    const counts = await s.connections.activeCounts(testDeadline());
    expect(counts).toMatchObject({ paged: 0, 'paged-2': 0 });
    expect(counts.counted).toBe(await s.counter('counted'));
  });
});
