/**
 * The proactive refresh policy (default `used`): a connection in use is refreshed ahead of expiry and never waits
 * for an on-demand refresh; one nobody uses is not refreshed hourly but moved to the keep-alive track, and kept
 * alive before its refresh token dies. The `lastFetchedAt` mark costs one write per access token.
 */
import { Container } from '@token-vault/cdk/functions/runtime/container';
import {
  closeContainer,
  countAwsCalls,
  patchRecord,
  storedRecord,
  testDeadline,
  ageAccessToken,
} from '../support/refresh';
import { registerSensitive } from '../support/leak-guard';
import { startVault, type Vault } from '../support/vault';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const LEAD = 2 * DAY;

describe('through the functions (policy used)', () => {
  let vault: Vault;
  beforeAll(async () => {
    vault = await startVault();
  });
  afterAll(async () => vault.close());

  const fetch = async (userId: string): Promise<Record<string, unknown>> => {
    const answer = await vault.invoke('tokenFetch', { userId });
    expect(answer).toMatchObject({ ok: true });
    return answer;
  };

  it('a connection in use is refreshed ahead by the worker and never waits for an on-demand refresh', async () => {
    await vault.connectUser('in-use');
    await fetch('in-use');
    const marked = (await storedRecord(vault, 'in-use'))!;
    expect(marked.lastFetchedAt).toBeGreaterThanOrEqual(marked.accessTokenIssuedAt!);
    // Its token nears expiry (1 minute left): the index shows it due, the proactive refresh takes it.
    await ageAccessToken(vault, 'in-use', 60_000);
    await patchRecord(vault, 'in-use', { lastFetchedAt: Date.now() - HOUR + 1000 });
    await vault.provider.resetStats();
    expect(await vault.sweep()).toMatchObject({ sweep: { enqueued: 1 }, received: 1, failed: 0 });
    expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 1 });
    // The caller's next fetches are answered from the stored token: no provider call, no wait.
    for (let i = 0; i < 3; i++) await fetch('in-use');
    expect((await vault.provider.stats()).refreshGrants).toBe(1);
    // The successor is used too (marked by that fetch), so it stays on the expiry track.
    const after = (await storedRecord(vault, 'in-use'))!;
    expect(after.lastFetchedAt).toBeGreaterThanOrEqual(after.accessTokenIssuedAt!);
    expect(after.refreshDueAt).toBe(after.accessTokenExpiresAt! - 5 * 60 * 1000);
  });

  it('a connection nobody fetched is not refreshed ahead: its due time moves to the keep-alive track', async () => {
    await vault.connectUser('idle');
    await ageAccessToken(vault, 'idle', 60_000);
    await vault.provider.resetStats();
    expect(await vault.sweep()).toMatchObject({ sweep: { enqueued: 1 }, received: 1, failed: 0 });
    expect((await vault.provider.stats()).refreshGrants).toBe(0);
    const record = (await storedRecord(vault, 'idle'))!;
    expect(record.refreshDueAt).toBe(Math.max(record.accessTokenIssuedAt! + DAY, record.refreshTokenExpiresAt! - LEAD));
    // The next sweep finds nothing due.
    expect(await vault.sweep()).toMatchObject({ sweep: { examined: 0 }, received: 0 });
    // Fetched later, it is refreshed on demand (its token expired meanwhile) and back on the expiry track.
    await ageAccessToken(vault, 'idle', -1000);
    await fetch('idle');
    expect((await vault.provider.stats()).refreshGrants).toBe(1);
    const back = (await storedRecord(vault, 'idle'))!;
    expect(back.refreshDueAt).toBe(back.accessTokenExpiresAt! - 5 * 60 * 1000);
    expect(back.lastFetchedAt).toBeGreaterThanOrEqual(back.accessTokenIssuedAt!);
  });

  it('an idle connection is kept alive before its refresh token dies', async () => {
    await vault.connectUser('keep-alive');
    const now = Date.now();
    // Unused for 29 days; its refresh token dies in a day (inside the 2-day lead).
    const dies = now + DAY;
    await patchRecord(vault, 'keep-alive', {
      accessTokenIssuedAt: now - 29 * DAY,
      accessTokenExpiresAt: now - 29 * DAY + HOUR,
      refreshTokenExpiresAt: dies,
      refreshDueAt: dies - LEAD,
    });
    await vault.provider.resetStats();
    expect(await vault.sweep()).toMatchObject({ sweep: { enqueued: 1 }, received: 1, failed: 0 });
    expect((await vault.provider.stats()).refreshGrants).toBe(1);
    const record = (await storedRecord(vault, 'keep-alive'))!;
    expect(record.status).toBe('active');
    expect(record.refreshTokenExpiresAt).toBeGreaterThan(dies);
    // Still unused: the new token goes to the keep-alive track, not the hourly one.
    expect(record.refreshDueAt).toBe(Math.max(record.accessTokenIssuedAt! + DAY, record.refreshTokenExpiresAt! - LEAD));
  });

  it('a warm fetch: one read and no KMS call; the first answer of each access token adds one write', async () => {
    await vault.connectUser('warm');
    const container = new Container({ ...process.env, ...vault.env });
    try {
      const calls = countAwsCalls(container);
      const once = async (): Promise<void> =>
        registerSensitive(
          (
            await container
              .tokens()
              .fetch({ userId: 'warm', applicationId: 'default', minValiditySeconds: 60 }, testDeadline())
          ).accessToken,
        );
      await once();
      expect(calls.calls['DynamoDB.UpdateItemCommand']).toBe(1);
      calls.reset();
      for (let i = 0; i < 20; i++) await once();
      expect(calls.calls).toEqual({ 'DynamoDB.GetItemCommand': 20 });
    } finally {
      closeContainer(container);
    }
  });
});
