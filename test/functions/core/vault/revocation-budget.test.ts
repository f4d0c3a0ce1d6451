/**
 * The revocation service's time budget after its commit (packages/cdk/functions/core/vault/revocation.ts), on a
 * ManualClock with every dependency a fake that takes its time and, like table.ts and envelope.ts, is aborted at
 * min(deadline, its budget). Regressions: the provider attempt was started when only two AWS calls and the
 * provider fitted (it makes three: open, secret, the confirming write), so the confirming write was cut off, the
 * error escaped revoke after the commit, and the committed revocation was answered as an error without its event.
 */
import { refreshTiming } from '@token-vault/cdk/functions/runtime/config';
import { readTunables } from '@token-vault/cdk/src/definitions/tunables';
import { RecordingPublisher } from '@token-vault/cdk/functions/core/events/publisher';
import { OAuthError } from '@token-vault/cdk/functions/core/oauth/errors';
import { StoreError } from '@token-vault/cdk/functions/core/store/errors';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { RevocationService } from '@token-vault/cdk/functions/core/vault/revocation';
import { EVENT_DETAIL_TYPES } from '@token-vault/cdk/functions/contract/events';
import { ManualClock } from '../../../support/clock';

/** The deployed defaults (provider 5 s, AWS call 2 s, lease 25 s). */
const timing = refreshTiming(readTunables({}));
const AWS = timing.awsCallMs;
const PROVIDER = timing.providerTimeoutMs;
/** endFlows + get + markRevoked before the provider step, 10 ms each. */
const BEFORE = 30;

/** A fake vault whose calls take their time on `clock`; `revokes` answers each provider call in turn. */
function fixture(
  options: {
    revokes?: Array<'ok' | 'invalid_client'>;
    failCommitOf?: string;
    failPendingOf?: string;
    writeMs?: number;
  } = {},
) {
  const clock = new ManualClock();
  const log: string[] = [];
  /** A call of `ms`, aborted at min(deadline, capMs), like table.ts / envelope.ts. */
  const call = <T>(name: string, deadline: Deadline, ms: number, value: T, capMs = AWS): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const signal = deadline.signal(capMs);
      const fail = () => reject(new StoreError('unavailable', `${name}: aborted at the deadline (TimeoutError).`));
      if (signal.aborted) return fail();
      signal.addEventListener('abort', fail, { once: true });
      void clock.sleep(ms).then(() => {
        if (signal.aborted) return;
        log.push(name);
        resolve(value);
      });
    });
  const connection = (applicationId: string) => ({
    userId: 'u',
    applicationId,
    status: 'active',
    version: 3,
    connectionId: `c-${applicationId}`,
    connectedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    tokens: { accessTokenIssuedAt: 0, accessTokenExpiresAt: 0 },
  });
  const pendingItem = (itemKey: string) => ({
    userId: 'u',
    applicationId: itemKey.slice(3),
    itemKey,
    encryptedDataKey: new Uint8Array([1]),
    refreshToken: new Uint8Array([2]),
    reason: 'user_disconnected',
    since: clock.now(),
    attempts: 0,
  });
  const revokes = [...(options.revokes ?? ['ok'])];
  const events = new RecordingPublisher();
  const service = new RevocationService({
    applications: { require: () => ({}), has: () => true } as never,
    connections: {
      endFlows: (_u: string, _a: string, d: Deadline) => call('endFlows', d, 10, undefined),
      get: (k: { applicationId: string }, d: Deadline) => call('get', d, 10, connection(k.applicationId)),
      listForUser: (_u: string, d: Deadline) => call('list', d, 10, [connection('a'), connection('b')]),
      markRevoked: (c: { applicationId: string }, _r: unknown, d: Deadline) =>
        c.applicationId === options.failCommitOf
          ? Promise.reject(new StoreError('unavailable', 'markRevoked: DynamoDB failed (TimeoutError).'))
          : call('markRevoked', d, 10, { pendingKey: `pr#${c.applicationId}` }),
    } as never,
    pending: {
      get: (_u: string, k: string, d: Deadline) =>
        k === `pr#${options.failPendingOf}`
          ? Promise.reject(new StoreError('unavailable', 'pending.get: DynamoDB failed (TimeoutError).'))
          : call('pending.get', d, 10, pendingItem(k)),
      confirm: (_p: unknown, d: Deadline) => call('confirm', d, options.writeMs ?? 200, true),
      retryLater: (_p: unknown, d: Deadline) => call('retryLater', d, options.writeMs ?? 200, 1),
    } as never,
    cipher: {
      open: (_b: unknown, _k: unknown, _f: unknown, _v: unknown, d: Deadline) => call('open', d, AWS - 50, 'rt'),
    } as never,
    provider: {
      // A re-read finds a rotated secret.
      clientSecret: (_a: string, d: Deadline, fresh?: boolean) =>
        call('secret', d, AWS - 50, fresh ? 'rotated' : 'secret'),
      revoke: (_a: string, _t: string, _s: string, o: { signal: AbortSignal }) =>
        new Promise<void>((resolve, reject) => {
          o.signal.addEventListener('abort', () => reject(new Error('provider timeout')), { once: true });
          const answer = revokes.shift() ?? 'ok';
          // A confirmation takes nearly the whole provider timeout, a refusal a second.
          void clock.sleep(answer === 'ok' ? PROVIDER - 50 : 1_000).then(() => {
            log.push(`provider:${answer}`);
            if (answer === 'ok') resolve();
            else reject(new OAuthError('oauth_error', 'refused', { providerError: 'invalid_client', status: 401 }));
          });
        }),
    } as never,
    timing,
    events,
  });
  /** Revokes (`every`: all the user's connections) with `leftMs` at the start, running the clock until it answers. */
  const revoke = async (leftMs: number, every = false) => {
    const deadline = Deadline.at(clock.now() + leftMs, clock);
    const request = { userId: 'u', reason: 'user_disconnected' as const };
    const work = service.revoke(every ? request : { ...request, applicationId: 'default' }, deadline).then(
      (answered) => ({ answered }),
      (error: unknown) => ({ threw: String(error) }),
    );
    let done = false;
    void work.then(() => (done = true));
    for (let i = 0; i < 100_000 && !done; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(5);
    }
    return work;
  };
  const published = () =>
    events.events.map((e) => {
      const detail = e.detail as { applicationId: string; providerRevocation?: string };
      return [e.type, detail.applicationId, detail.providerRevocation];
    });
  return { revoke, log, published };
}

it('an attempt that does not fit whole (open, secret, provider, confirming write) is not started: pending', async () => {
  const f = fixture();
  // The events' AWS call, then what the old check asked (2 AWS calls + the provider, after the read) and 40 ms:
  // it started the attempt, and the confirming write was cut off at the deadline.
  expect(await f.revoke(BEFORE + AWS + 2 * AWS + PROVIDER + 40)).toEqual({
    answered: { revoked: 1, providerPending: 1 },
  });
  expect(f.log).not.toContain('open');
  expect(f.published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'default', 'pending']]);
});

it('an attempt that fits whole runs to its confirming write', async () => {
  const f = fixture();
  expect(await f.revoke(BEFORE + AWS + AWS + 3 * AWS + PROVIDER + 40)).toEqual({
    answered: { revoked: 1, providerPending: 0 },
  });
  expect(f.log.slice(3)).toEqual(['pending.get', 'open', 'secret', 'provider:ok', 'confirm']);
  expect(f.published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'default', 'confirmed']]);
});

it('invalid_client re-reads the secret only when the re-read, the provider and the confirming write fit', async () => {
  // After the refusal ~8.1 s are left: more than the old check (an AWS call + the provider), less than the re-read,
  // the provider and a 1.5 s confirming write (the old path cut that write off).
  const short = fixture({ revokes: ['invalid_client', 'ok'], writeMs: 1_500 });
  expect(await short.revoke(BEFORE + AWS + AWS + 3 * AWS + PROVIDER + 40)).toEqual({
    answered: { revoked: 1, providerPending: 1 },
  });
  expect(short.log.slice(3)).toEqual(['pending.get', 'open', 'secret', 'provider:invalid_client', 'retryLater']);
  expect(short.published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'default', 'pending']]);

  const long = fixture({ revokes: ['invalid_client', 'ok'] });
  expect(await long.revoke(BEFORE + AWS + AWS + 5 * AWS + 2 * PROVIDER)).toEqual({
    answered: { revoked: 1, providerPending: 0 },
  });
  expect(long.log.slice(3)).toEqual([
    'pending.get',
    'open',
    'secret',
    'provider:invalid_client',
    'secret',
    'provider:ok',
    'confirm',
  ]);
});

it("a later connection's failed commit fails the answer, but the committed ones' events go out", async () => {
  const f = fixture({ failCommitOf: 'b' });
  expect(await f.revoke(20_000, true)).toEqual({ threw: expect.stringContaining('markRevoked') });
  // Connection a is revoked: its event is published, its provider revocation left to the sweep.
  expect(f.published()).toEqual([[EVENT_DETAIL_TYPES.revoked, 'a', 'pending']]);
  expect(f.log).not.toContain('open');
});

it('without an application, every committed connection gets its event, whatever fails after the commits', async () => {
  const f = fixture({ failPendingOf: 'a' });
  expect(await f.revoke(20_000, true)).toEqual({ answered: { revoked: 2, providerPending: 1 } });
  expect(f.published()).toEqual([
    [EVENT_DETAIL_TYPES.revoked, 'a', 'pending'],
    [EVENT_DETAIL_TYPES.revoked, 'b', 'confirmed'],
  ]);
});
