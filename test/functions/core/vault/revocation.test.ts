/**
 * The revocation service alone (packages/cdk/functions/core/vault/revocation.ts), called directly against the
 * development provider and moto: the vault's own revocation commits first and whatever the provider does; the
 * provider is told after, confirmed once, retried while it fails; a concurrent change is revoked as it is now.
 */
import { RecordingPublisher } from '@token-vault/cdk/functions/core/events/publisher';
import type { ConnectionStore } from '@token-vault/cdk/functions/core/store/connection-store';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import { PendingRevocations } from '@token-vault/cdk/functions/core/store/pending-revocations';
import type { Connection } from '@token-vault/cdk/functions/core/store/types';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { VaultError } from '@token-vault/cdk/functions/core/errors';
import { ApplicationRegistry } from '@token-vault/cdk/functions/core/vault/applications';
import { RevocationService } from '@token-vault/cdk/functions/core/vault/revocation';
import { RESERVED_KEYS } from '@token-vault/cdk/src/definitions/tables';
import { EVENT_DETAIL_TYPES } from '@token-vault/cdk/functions/contract/events';
import {
  metricsRecorder,
  openStoredRefreshToken,
  storedRecord,
  testDeadline,
  type MetricsRecorder,
} from '../../../support/refresh';
import { connectThrough, revocationOf } from '../../../support/services';
import { startVault, type Vault } from '../../../support/vault';

let vault: Vault;
beforeAll(async () => {
  vault = await startVault({ loadHandlers: false });
}, 60_000);
afterAll(async () => vault?.close());

let metrics: MetricsRecorder;
let events: RecordingPublisher;
beforeEach(async () => {
  metrics = metricsRecorder();
  events = new RecordingPublisher();
  await vault.provider.clearFaults();
});
const service = () => revocationOf(vault.container, { metrics, events });
const published = () => events.events.map((e) => [e.type, e.detail.userId]);
const connect = (userId: string) => connectThrough(vault.container.authorization(), userId);

/** The user's pending revocations and revocation records, as stored. */
async function reserved(userId: string) {
  const items = await vault.container.connections().queryUser(userId, testDeadline());
  return {
    pending: PendingRevocations.fromUserItems(items),
    records: items
      .filter((i) => String(i.applicationId).startsWith(RESERVED_KEYS.REVOCATION_PREFIX))
      .map((i) => i.revocation as { providerConfirmed: boolean; reason: string }),
  };
}

describe('revoke', () => {
  it('revokes in the vault, then at the provider, which confirms: nothing left pending', async () => {
    await connect('alice');
    const refreshToken = await openStoredRefreshToken(vault, 'alice');
    expect(
      await service().revoke(
        { userId: 'alice', applicationId: 'default', reason: 'user_disconnected' },
        testDeadline(),
      ),
    ).toEqual({ revoked: 1, providerPending: 0 });
    expect(await storedRecord(vault, 'alice')).toMatchObject({
      status: 'revoked',
      revocationReason: 'user_disconnected',
    });
    expect(await vault.server.isRefreshTokenActive(refreshToken)).toBe(false);
    const { pending, records } = await reserved('alice');
    expect(pending).toEqual([]);
    expect(records).toEqual([expect.objectContaining({ providerConfirmed: true, reason: 'user_disconnected' })]);
    expect(metrics.total('REVOCATION', { Application: 'default', Reason: 'user_disconnected' })).toBe(1);
    expect(metrics.total('PROVIDER_REVOCATION', { Result: 'confirmed' })).toBe(1);
    // One event per revoked connection, after the commit; revoke's own confirmation is in it, not announced apart.
    expect(published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'alice']]);
    expect(events.events[0]!.detail).toMatchObject({ providerRevocation: 'confirmed', previousStatus: 'active' });
  });

  it('a repeated revoke answers 0 and tells the provider nothing', async () => {
    await connect('bob');
    await service().revoke({ userId: 'bob', applicationId: 'default', reason: 'user_disconnected' }, testDeadline());
    const before = (await vault.provider.stats()).revocationRequests;
    events.events.length = 0;
    expect(await service().revoke({ userId: 'bob', reason: 'user_disconnected' }, testDeadline())).toEqual({
      revoked: 0,
      providerPending: 0,
    });
    expect(published()).toEqual([]);
    expect((await vault.provider.stats()).revocationRequests).toBe(before);
  });

  it("without an application, revokes every connection of the user and ends every application's flows", async () => {
    await connect('carol');
    expect(await service().revoke({ userId: 'carol', reason: 'account_deactivated' }, testDeadline())).toMatchObject({
      revoked: 1,
    });
    const marker = await storedRecord(vault, 'carol', RESERVED_KEYS.FLOWS_MARKER);
    expect(marker).toHaveProperty(['notBefore:*']);
    // Also a user with no connection: the flows end all the same.
    expect(await service().revoke({ userId: 'nobody-yet', reason: 'user_disconnected' }, testDeadline())).toEqual({
      revoked: 0,
      providerPending: 0,
    });
    expect(await storedRecord(vault, 'nobody-yet', RESERVED_KEYS.FLOWS_MARKER)).toHaveProperty(['notBefore:*']);
  });

  it('refuses an unknown application before writing anything', async () => {
    const error = await service()
      .revoke({ userId: 'dave', applicationId: 'unknown-app', reason: 'user_disconnected' }, testDeadline())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ code: 'invalid_request' });
    expect(await storedRecord(vault, 'dave', RESERVED_KEYS.FLOWS_MARKER)).toBeUndefined();
  });

  it('while the provider fails, commits in the vault and leaves the token pending; the retry confirms it once', async () => {
    await connect('erin');
    await vault.provider.injectFault({ endpoint: 'revocation', mode: 'status', status: 503 });
    expect(
      await service().revoke({ userId: 'erin', applicationId: 'default', reason: 'user_disconnected' }, testDeadline()),
    ).toEqual({ revoked: 1, providerPending: 1 });
    expect(await storedRecord(vault, 'erin')).toMatchObject({ status: 'revoked' });
    const { pending, records } = await reserved('erin');
    expect(pending).toEqual([expect.objectContaining({ attempts: 1, reason: 'user_disconnected' })]);
    expect(records).toEqual([expect.objectContaining({ providerConfirmed: false })]);
    expect(metrics.total('PROVIDER_REVOCATION', { Result: 'pending' })).toBe(1);

    expect(events.events[0]!.detail).toMatchObject({ providerRevocation: 'pending' });

    await vault.provider.clearFaults();
    events.events.length = 0;
    expect(await service().retryRevocation('erin', pending[0]!.itemKey, testDeadline())).toBe(true);
    // The sweep's confirmation is announced, once.
    expect(published()).toEqual([[EVENT_DETAIL_TYPES.providerRevocationConfirmed, 'erin']]);
    expect(events.events[0]!.detail).toMatchObject({ attempts: 2 });
    expect(await reserved('erin')).toEqual({
      pending: [],
      records: [expect.objectContaining({ providerConfirmed: true })],
    });
    // Confirmed before: nothing more to do, no request.
    const before = (await vault.provider.stats()).revocationRequests;
    expect(await service().retryRevocation('erin', pending[0]!.itemKey, testDeadline())).toBe(true);
    expect((await vault.provider.stats()).revocationRequests).toBe(before);
    expect(published()).toHaveLength(1);
  });

  it('commits in the vault even when no time is left to tell the provider', async () => {
    await connect('frank');
    const before = (await vault.provider.stats()).revocationRequests;
    // Enough for the vault's writes, not for a provider attempt (two AWS calls and the provider timeout).
    const short = Deadline.fromRemaining(vault.container.timing.awsCallMs * 2, SYSTEM_CLOCK, 0);
    expect(
      await service().revoke({ userId: 'frank', applicationId: 'default', reason: 'user_disconnected' }, short),
    ).toEqual({ revoked: 1, providerPending: 1 });
    expect(await storedRecord(vault, 'frank')).toMatchObject({ status: 'revoked' });
    expect((await reserved('frank')).pending).toEqual([expect.objectContaining({ attempts: 0 })]);
    expect((await vault.provider.stats()).revocationRequests).toBe(before);
  });

  it('a provider without revocation: the token leaves the vault, the record stays unconfirmed', async () => {
    await connect('gina');
    const unsupported = revocationOf(vault.container, {
      metrics,
      applications: new ApplicationRegistry(
        vault.container.applicationConfigs.map((c) => ({ ...c, revocationBody: 'none' as const })),
      ),
    });
    expect(
      await unsupported.revoke(
        { userId: 'gina', applicationId: 'default', reason: 'user_disconnected' },
        testDeadline(),
      ),
    ).toEqual({ revoked: 1, providerPending: 0 });
    expect(await reserved('gina')).toEqual({
      pending: [],
      records: [expect.objectContaining({ providerConfirmed: false })],
    });
  });

  // Regression: revoke threw after its commit (the caller got internal_error, the event was never published).
  it.each(['confirm', 'get'] as const)(
    'pending.%s failing after the commit: answered as revoked, event out, the token left for the sweep',
    async (method) => {
      const userId = `ivan-${method}`;
      await connect(userId);
      const c = vault.container;
      const flaky = Object.create(c.pending()) as PendingRevocations;
      // What table.ts makes of a timed-out or throttled call.
      Object.assign(flaky, {
        [method]: () => Promise.reject(new StoreError('unavailable', `${method}: DynamoDB failed (TimeoutError).`)),
      });
      const revocation = new RevocationService({
        applications: c.applications(),
        connections: c.connections(),
        pending: flaky,
        cipher: c.cipher(),
        provider: c.provider(),
        timing: c.timing,
        metrics,
        events,
      });
      expect(
        await revocation.revoke({ userId, applicationId: 'default', reason: 'user_disconnected' }, testDeadline()),
      ).toEqual({ revoked: 1, providerPending: 1 });
      expect(await storedRecord(vault, userId)).toMatchObject({ status: 'revoked' });
      expect(published()).toEqual([[EVENT_DETAIL_TYPES.revoked, userId]]);
      expect(events.events[0]!.detail).toMatchObject({ providerRevocation: 'pending' });
      expect(metrics.total('PROVIDER_REVOCATION', { Result: 'pending' })).toBe(1);
      // The pending item stays; the sweep's retry confirms it (a token revoked already is confirmed: RFC 7009).
      const { pending } = await reserved(userId);
      expect(pending).toEqual([expect.objectContaining({ reason: 'user_disconnected' })]);
      expect(await service().retryRevocation(userId, pending[0]!.itemKey, testDeadline())).toBe(true);
      expect(await reserved(userId)).toEqual({
        pending: [],
        records: [expect.objectContaining({ providerConfirmed: true })],
      });
    },
  );

  it('a change committed between the read and the revocation (a refresh, a reconnect) is revoked as it is now', async () => {
    await connect('hank');
    const real = vault.container.connections();
    let raced = false;
    // Right before the first revocation write, another container replaces the connection (version + 1).
    const racing = Object.create(real) as ConnectionStore;
    racing.markRevoked = async (connection: Connection, reason, deadline) => {
      if (!raced && connection.status === 'active') {
        raced = true;
        await real.saveConnected(
          connection,
          connection,
          connection.tokens,
          { connectionId: 'replaced', dueAt: 0, flowStartedAt: Date.now() + 60_000 },
          testDeadline(),
        );
      }
      return real.markRevoked(connection, reason, deadline);
    };
    const c = vault.container;
    const revocation = new RevocationService({
      applications: c.applications(),
      connections: racing,
      pending: c.pending(),
      cipher: c.cipher(),
      provider: c.provider(),
      timing: c.timing,
    });
    expect(
      await revocation.revoke(
        { userId: 'hank', applicationId: 'default', reason: 'user_disconnected' },
        testDeadline(),
      ),
    ).toMatchObject({ revoked: 1 });
    expect(raced).toBe(true);
    expect(await storedRecord(vault, 'hank')).toMatchObject({
      status: 'revoked',
      connectionId: 'replaced',
      version: 3,
    });
  });
});

/**
 * A revoke write whose fate is unknown (StoreError `unavailable`: DynamoDB may have applied the transaction and its
 * answer not arrived within the call's budget). Found by adversarial review: revoke answered internal_error for a
 * committed revocation, published no event for it, and the caller's retry answered `revoked: 0`: no event, ever.
 * The store is moto; only the lost answer (or the failed call) is faked, as a real peer cannot produce it.
 */
describe('revoke, when the revocation write answers unavailable', () => {
  const lost = () => new StoreError('unavailable', 'revoke connection: DynamoDB failed (TimeoutError).');

  /** A revocation service whose connection store's markRevoked (and, with `failReads`, get) misbehaves. */
  function faulty(options: { apply: Array<boolean | 'other'>; failReads?: boolean }) {
    const real = vault.container.connections();
    const store = Object.create(real) as ConnectionStore;
    const outcomes = [...options.apply];
    let writes = 0;
    let failing = false;
    store.markRevoked = async (...args: Parameters<ConnectionStore['markRevoked']>) => {
      writes += 1;
      const outcome = outcomes.shift();
      if (outcome === undefined) return real.markRevoked(...args);
      // The transaction is applied (or not), and its answer is lost either way.
      if (outcome === 'other') {
        // A concurrent revoke of the same version commits instead (its own time); this call's write fails.
        const [connection, reason, deadline, at] = args;
        await real.markRevoked(connection, reason, deadline, (at ?? Date.now()) - 1_000);
      } else if (outcome) await real.markRevoked(...args);
      failing = options.failReads === true;
      throw lost();
    };
    store.get = (...args: Parameters<ConnectionStore['get']>) => (failing ? Promise.reject(lost()) : real.get(...args));
    const c = vault.container;
    const revocation = new RevocationService({
      applications: c.applications(),
      connections: store,
      pending: c.pending(),
      cipher: c.cipher(),
      provider: c.provider(),
      timing: c.timing,
      events,
    });
    const revoke = (userId: string) =>
      revocation.revoke({ userId, applicationId: 'default', reason: 'user_disconnected' }, testDeadline()).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error: String(error) }),
      );
    return { revoke, writes: () => writes };
  }

  it("applied, its answer lost: the re-read finds this call's commit; counted, its event published once, provider told", async () => {
    await connect('ivan');
    const f = faulty({ apply: [true] });
    expect(await f.revoke('ivan')).toEqual({ answer: { revoked: 1, providerPending: 0 } });
    expect(f.writes()).toBe(1);
    expect(await storedRecord(vault, 'ivan')).toMatchObject({ status: 'revoked' });
    expect(await reserved('ivan')).toEqual({
      pending: [],
      records: [expect.objectContaining({ providerConfirmed: true })],
    });
    // The caller's retry (it cannot tell the answer was right) revokes nothing more and publishes nothing more.
    expect(await f.revoke('ivan')).toEqual({ answer: { revoked: 0, providerPending: 0 } });
    expect(published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'ivan']]);
    expect(events.events[0]!.detail).toMatchObject({ reason: 'user_disconnected', providerRevocation: 'confirmed' });
  });

  it('not applied: the re-read finds the connection unchanged, and the write is tried once more', async () => {
    await connect('judy');
    const f = faulty({ apply: [false] });
    expect(await f.revoke('judy')).toEqual({ answer: { revoked: 1, providerPending: 0 } });
    expect(f.writes()).toBe(2);
    expect(published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'judy']]);
  });

  it('not applied twice: answers the error, nothing revoked, no event', async () => {
    await connect('karl');
    const f = faulty({ apply: [false, false] });
    expect(await f.revoke('karl')).toEqual({ error: expect.stringContaining('DynamoDB failed') });
    expect(f.writes()).toBe(2);
    expect(await storedRecord(vault, 'karl')).toMatchObject({ status: 'active' });
    expect(published()).toEqual([]);
  });

  it('applied, and the re-read fails too: the error answer (documented), and the retry answers 0', async () => {
    await connect('lena');
    const f = faulty({ apply: [true], failReads: true });
    expect(await f.revoke('lena')).toEqual({ error: expect.stringContaining('DynamoDB failed') });
    expect(await storedRecord(vault, 'lena')).toMatchObject({ status: 'revoked' });
    // The caller's retry finds it revoked: 0, and the event of that commit is never published (contract).
    expect(await faulty({ apply: [] }).revoke('lena')).toEqual({ answer: { revoked: 0, providerPending: 0 } });
    expect(published()).toEqual([]);
  });

  it("a concurrent revoke committed the same version instead: not claimed as this call's (0, no event from it)", async () => {
    await connect('mona');
    const f = faulty({ apply: ['other'] });
    expect(await f.revoke('mona')).toEqual({ answer: { revoked: 0, providerPending: 0 } });
    expect(f.writes()).toBe(1);
    expect(await storedRecord(vault, 'mona')).toMatchObject({ status: 'revoked' });
    expect(published()).toEqual([]);
  });
});
