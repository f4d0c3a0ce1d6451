/**
 * Refresh storms against moto and each real authorization server (oidc-provider and Keycloak, rotation + reuse
 * detection): many concurrent token-fetches of one expired connection make exactly one refresh at the server,
 * whether the callers share a container or are spread over separate OS processes (separate "Lambda containers"
 * that meet only at DynamoDB). The slow-server storm needs oidc-provider's fault injection.
 */
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { registerSensitive } from '../support/leak-guard';
import {
  ageAccessToken,
  closeContainer,
  expectSameToken,
  openStoredAccessToken,
  sha256,
  startWorker,
  storedRecord,
  testDeadline,
  type Worker,
} from '../support/refresh';
import { SERVERS, startVault, type AnyVault } from '../support/vault';

describe.each(SERVERS)('100 concurrent token-fetches of an expired connection (%s)', (server) => {
  let vault: AnyVault;

  beforeAll(async () => {
    vault = await startVault({ server });
  });
  afterAll(async () => vault?.close());

  /** Connects a user and makes the stored access token expired (the server's token itself is still fine). */
  async function expiredConnection(userId: string): Promise<number> {
    await vault.connectUser(userId);
    await ageAccessToken(vault, userId, -1000);
    await vault.server.resetStats();
    return (await storedRecord(vault, userId))!.version;
  }

  it('in one container: all succeed with the same new token, one refresh, no reuse', async () => {
    const version = await expiredConnection('storm-one');
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => vault.invoke('tokenFetch', { userId: 'storm-one' })),
    );
    expect(answers.filter((a) => a.ok !== true)).toEqual([]);
    expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
    expect(await vault.server.stats()).toMatchObject({
      refreshGrants: 1,
      reuseDetected: 0,
      refreshFailures: 0,
      tokenRequests: 1,
    });
    const record = (await storedRecord(vault, 'storm-one'))!;
    expect(record.version).toBe(version + 1);
    expect(record.leaseOwner).toBeUndefined();
    expectSameToken(answers[0]!.accessToken, await openStoredAccessToken(vault, 'storm-one'));
  });

  it('over 4 OS processes of 25 callers each: all succeed with the same new token, one refresh, no reuse', async () => {
    const version = await expiredConnection('storm-procs');
    const workers: Worker[] = Array.from({ length: 4 }, () =>
      startWorker(vault.env, { userId: 'storm-procs', concurrency: 25, waitForGo: true }),
    );
    try {
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.go();
      const results = (await Promise.all(workers.map((w) => w.result))).flat();
      expect(results).toHaveLength(100);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const stored = await openStoredAccessToken(vault, 'storm-procs');
      expect(new Set(results.map((r) => r.tokenSha256))).toEqual(new Set([sha256(stored)]));
      expect(await vault.server.stats()).toMatchObject({
        refreshGrants: 1,
        reuseDetected: 0,
        refreshFailures: 0,
        tokenRequests: 1,
      });
      expect((await storedRecord(vault, 'storm-procs'))!.version).toBe(version + 1);
    } finally {
      for (const w of workers) w.kill();
    }
  });

  it('across two containers in one process (no shared memory): one refresh, and the rotated token keeps working', async () => {
    await expiredConnection('storm-two');
    const a = new Container({ ...process.env, ...vault.env });
    const b = new Container({ ...process.env, ...vault.env });
    try {
      const fetches = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? a : b)
          .tokens()
          .fetch({ userId: 'storm-two', applicationId: 'default', minValiditySeconds: 60 }, testDeadline()),
      );
      const tokens = await Promise.all(fetches);
      registerSensitive(tokens[0]!.accessToken);
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
      expect(await vault.server.stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0 });
      // Next storm after expiry: presents the rotated refresh token (the old one would revoke the grant).
      await ageAccessToken(vault, 'storm-two', -1000);
      const again = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? b : a)
            .tokens()
            .fetch({ userId: 'storm-two', applicationId: 'default', minValiditySeconds: 60 }, testDeadline()),
        ),
      );
      registerSensitive(again[0]!.accessToken);
      expect(new Set(again.map((t) => t.accessToken)).size).toBe(1);
      expectSameToken(again[0]!.accessToken, tokens[0]!.accessToken, false);
      expect(await vault.server.stats()).toMatchObject({ refreshGrants: 2, reuseDetected: 0, refreshFailures: 0 });
    } finally {
      closeContainer(a);
      closeContainer(b);
    }
  });

  if (server === 'oidc-provider') {
    it("with a slow provider (1.5 s): the waiters get the winner's token, still one refresh", async () => {
      if (vault.kind !== 'oidc-provider') throw new Error("needs oidc-provider's faults");
      await expiredConnection('storm-slow');
      await vault.provider.injectFault({ endpoint: 'token', mode: 'slow', delayMs: 1500 });
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => vault.invoke('tokenFetch', { userId: 'storm-slow' })),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      expect(answers.filter((a) => a.ok !== true)).toEqual([]);
      expect(new Set(answers.map((a) => a.accessToken)).size).toBe(1);
      expect(await vault.provider.stats()).toMatchObject({ refreshGrants: 1, reuseDetected: 0, tokenRequests: 1 });
    });
  }
});
