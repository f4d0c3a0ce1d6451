/**
 * Connection lifecycle events through the local stack: the functions put them on the vault's bus in the emulator
 * (moto's EventBridge) and a tap rule (`source: token-vault`) delivers them to an SQS queue read back here. Each
 * change makes exactly one event, however many callers meet it (storms over several containers, a failing
 * provider), and no event carries token material.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EVENT_DETAIL_TYPES } from '@token-vault/cdk/functions/contract/events';
import { drainEventRetries } from '@token-vault/cdk/functions/core/events/drain-retries';
import { RecordingPublisher } from '@token-vault/cdk/functions/core/events/publisher';
import { Container } from '@token-vault/cdk/functions/runtime/container';
import { awsClientConfig } from '../../local/aws-clients';
import { EventTap, queueDepth, revokeThroughMissingBus, type EventEnvelope } from '../support/events';
import {
  ageAccessToken,
  closeContainer,
  coreOf,
  expectOk,
  openStoredRefreshToken,
  patchRecord,
  storedRecord,
  testDeadline,
} from '../support/refresh';
import { startVault, type Vault } from '../support/vault';
import { makePendingRevocationsDue } from '../support/pending-revocations';

let vault: Vault;
let tap: EventTap;
/** Every token a test saw: no event body may contain one. */
const secrets: string[] = [];

beforeAll(async () => {
  vault = await startVault({ env: { TOKEN_VAULT_PROVIDER_TIMEOUT_MS: '1000' } });
  tap = new EventTap(vault.resources.endpoint, vault.resources.eventTapQueueUrl);
});
afterAll(async () => {
  // No event of the whole file carries a token the tests saw, nor the client secret.
  await tap.drain();
  for (const body of tap.bodies)
    for (const secret of [...secrets, vault.clientSecret]) expect(body).not.toContain(secret);
  tap.close();
  await vault.close();
});
afterEach(async () => vault.provider.clearFaults());

const T = EVENT_DETAIL_TYPES;

async function connect(userId: string): Promise<void> {
  await vault.connectUser(userId);
  const answer = await vault.invoke('tokenFetch', { userId, minValiditySeconds: 0 });
  expectOk(answer);
  secrets.push(String(answer.accessToken), await openStoredRefreshToken(vault, userId));
}

function expectEnvelope(event: EventEnvelope, userId: string): void {
  expect(event.source).toBe('token-vault');
  expect(event.detail).toMatchObject({ schemaVersion: 1, vault: 'local', userId, applicationId: 'default' });
  expect(event.detail.eventId).toMatch(/^[0-9a-f-]{36}$/);
}

/**
 * Events of `userId` (and `type`) by unique eventId, after the retry queue is drained as the sweep would: on a
 * loaded emulator a put may time out and go to the retry queue (and may have landed after all: then the retry
 * delivers the same eventId again, which consumers deduplicate).
 */
async function settled(userId: string, type: string): Promise<EventEnvelope[]> {
  await drainEventRetries(
    { bus: vault.container.eventBus(), retries: vault.container.eventRetries(), callMs: 2000 },
    testDeadline(),
  );
  const unique = new Map<string, EventEnvelope>();
  for (const e of await tap.of(userId, type)) if (!unique.has(e.detail.eventId)) unique.set(e.detail.eventId, e);
  return [...unique.values()];
}

/** `n` containers (as many Lambda instances), each fetching `perContainer` times at once. */
async function storm(
  userId: string,
  containers = 4,
  perContainer = 25,
): Promise<Array<{ ok: boolean; code?: string }>> {
  const instances = Array.from({ length: containers }, () => new Container(vault.env));
  try {
    const calls = instances.flatMap((c) =>
      Array.from({ length: perContainer }, () =>
        c
          .tokens()
          .fetch({ userId, applicationId: 'default', minValiditySeconds: 0 }, testDeadline())
          .then(
            () => ({ ok: true }),
            (error: { code?: string }) => ({ ok: false, ...(error.code === undefined ? {} : { code: error.code }) }),
          ),
      ),
    );
    return await Promise.all(calls);
  } finally {
    for (const c of instances) {
      closeContainer(c);
      c.eventBridgeClient().destroy();
      c.sqsClient().destroy();
    }
  }
}

describe('Connection Connected', () => {
  it('once for a new connection, once for a reconnection', async () => {
    await connect('ev-connect');
    const first = await tap.of('ev-connect');
    expect(first.map((e) => e['detail-type'])).toEqual([T.connected]);
    expectEnvelope(first[0]!, 'ev-connect');
    const record = (await storedRecord(vault, 'ev-connect'))!;
    expect(first[0]!.detail).toMatchObject({
      via: 'callback',
      reconnected: false,
      imported: false,
      connectionId: record.connectionId,
      scope: expect.any(String),
    });

    await connect('ev-connect');
    const both = await tap.of('ev-connect', T.connected);
    expect(both).toHaveLength(2);
    expect(both[1]!.detail).toMatchObject({
      reconnected: true,
      connectionId: (await storedRecord(vault, 'ev-connect'))!.connectionId,
    });
    expect(new Set(both.map((e) => e.detail.eventId)).size).toBe(2);
  });
});

describe('a failing provider', () => {
  it('a 100-caller storm over 4 containers makes one Refresh Failed per cool-down, then one Recovered', async () => {
    const userId = 'ev-failing';
    await connect(userId);
    await tap.drain();
    await ageAccessToken(vault, userId, -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 10_000 });
    const answers = await storm(userId);
    expect(answers.filter((a) => a.ok || !['provider_unavailable', 'rate_limited'].includes(a.code ?? ''))).toEqual([]);
    let failed = await settled(userId, T.refreshFailed);
    expect(failed).toHaveLength(1);
    expectEnvelope(failed[0]!, userId);
    expect(failed[0]!.detail).toMatchObject({
      failureClass: 'provider_unavailable',
      errorCode: 'temporarily_unavailable',
      consecutiveFailures: 1,
    });
    expect(Date.parse(String(failed[0]!.detail.cooldownUntil))).toBeGreaterThan(Date.now() + 20_000);
    const firstFailure = failed[0]!.detail.failingSince;

    // The cool-down (and the event floor) passes: the next storm fails once more, one more event.
    const past = Date.now() - 31_000;
    await patchRecord(vault, userId, { cooldownUntil: past, lastFailureEventAt: past });
    await storm(userId);
    failed = await settled(userId, T.refreshFailed);
    expect(failed).toHaveLength(2);
    expect(failed[1]!.detail).toMatchObject({ consecutiveFailures: 2, failingSince: firstFailure });
    expect((await storedRecord(vault, userId))!).toMatchObject({ failureStreak: 2 });

    // The provider heals: one storm, one refresh, one Recovered, no further failure event.
    await vault.provider.clearFaults();
    await patchRecord(vault, userId, { cooldownUntil: Date.now() - 1000 });
    expect((await storm(userId)).every((a) => a.ok)).toBe(true);
    const recovered = await settled(userId, T.recovered);
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.detail).toMatchObject({ consecutiveFailures: 2, failingSince: firstFailure });
    expect(await settled(userId, T.refreshFailed)).toHaveLength(2);
    const record = (await storedRecord(vault, userId))! as Record<string, unknown>;
    for (const field of ['failureStreak', 'failingSince', 'lastFailureEventAt']) expect(record[field]).toBeUndefined();

    // A routine refresh of a healthy connection is no event.
    await ageAccessToken(vault, userId, -1000);
    const routine = await storm(userId);
    expect(routine.filter((a) => !a.ok)).toEqual([]);
    await settled(userId, T.connected);
    const all = new Map((await tap.of(userId)).map((e) => [e.detail.eventId, e['detail-type']]));
    expect([...all.values()].sort()).toEqual([T.connected, T.refreshFailed, T.refreshFailed, T.recovered].sort());
  });

  it('failures closer together than 30 s (a short cool-down) keep counting but are announced once', async () => {
    const userId = 'ev-floor';
    await connect(userId);
    await ageAccessToken(vault, userId, -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 10_000 });
    for (let i = 0; i < 3; i++) {
      await storm(userId, 2, 5);
      await patchRecord(vault, userId, { cooldownUntil: Date.now() - 1000 });
    }
    expect((await storedRecord(vault, userId))!).toMatchObject({ failureStreak: 3 });
    expect(await settled(userId, T.refreshFailed)).toHaveLength(1);
  });

  it('invalid_grant under a storm: one Reauthorization Required', async () => {
    const userId = 'ev-invalid-grant';
    await connect(userId);
    await ageAccessToken(vault, userId, -1000);
    await vault.server.endUserSessions(userId);
    const answers = await storm(userId);
    expect(answers.every((a) => !a.ok && a.code === 'reauthorization_required')).toBe(true);
    const events = await settled(userId, T.reauthorizationRequired);
    expect(events).toHaveLength(1);
    expectEnvelope(events[0]!, userId);
    expect(events[0]!.detail).toMatchObject({ reason: 'invalid_grant', consecutiveFailures: 0 });
  });

  it('an expired refresh token: Reauthorization Required with its reason', async () => {
    const userId = 'ev-expired';
    await connect(userId);
    await ageAccessToken(vault, userId, -1000);
    await patchRecord(vault, userId, { refreshTokenExpiresAt: Date.now() - 1000, refreshTokenExpiryAssumed: false });
    await storm(userId, 2, 10);
    const events = await tap.of(userId, T.reauthorizationRequired);
    expect(events.map((e) => e.detail.reason)).toEqual(['refresh_token_expired']);
  });
});

describe('Connection Revoked and Provider Revocation Confirmed', () => {
  it('ten concurrent revokes: one Revoked, confirmed by the provider', async () => {
    const userId = 'ev-revoke';
    await connect(userId);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => vault.invoke('revoke', { userId, reason: 'user_disconnected' })),
    );
    expect(answers.reduce((sum, a) => sum + Number(a.revoked), 0)).toBe(1);
    const revoked = await tap.of(userId, T.revoked);
    expect(revoked).toHaveLength(1);
    expectEnvelope(revoked[0]!, userId);
    expect(revoked[0]!.detail).toMatchObject({
      reason: 'user_disconnected',
      previousStatus: 'active',
      providerRevocation: 'confirmed',
    });
    expect(await tap.of(userId, T.providerRevocationConfirmed)).toHaveLength(0);
  });

  it('a revocation the provider could not confirm: pending, then one confirmation from the sweep', async () => {
    const userId = 'ev-revoke-pending';
    await connect(userId);
    await vault.provider.injectFault({ endpoint: 'revocation', mode: 'status', status: 503, count: 1 });
    expect(await vault.invoke('revoke', { userId, reason: 'suspicious_activity' })).toEqual({
      ok: true,
      revoked: 1,
      providerPending: 1,
    });
    expect((await tap.of(userId, T.revoked))[0]!.detail).toMatchObject({
      reason: 'suspicious_activity',
      providerRevocation: 'pending',
    });
    await makePendingRevocationsDue(vault, userId);
    // Two sweeps at once and one more: the worker confirms once; the others find nothing left to do.
    await Promise.all([vault.sweep(), vault.sweep()]);
    await vault.sweep();
    const confirmed = await tap.of(userId, T.providerRevocationConfirmed);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.detail).toMatchObject({ reason: 'suspicious_activity', attempts: 2, connectionId: null });
  });
});

describe("the README's rule", () => {
  it('delivers exactly the Reauthorization Required events to its target (moto matches patterns on put)', async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const pattern = /<!-- reconnect-rule:start -->\n```json\n([\s\S]*?)\n```\n<!-- reconnect-rule:end -->/.exec(
      readme,
    )?.[1];
    expect(pattern).toBeDefined();
    const config = awsClientConfig(vault.resources.endpoint);
    const eventBridge = new EventBridgeClient(config);
    const sqs = new SQSClient(config);
    try {
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${vault.resources.prefix}-readme-rule` })))
        .QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
        .Attributes!.QueueArn!;
      const busName = vault.resources.eventBusArn.split('/').at(-1)!;
      await eventBridge.send(
        new PutRuleCommand({
          Name: `${vault.resources.prefix}-readme-rule`,
          EventBusName: busName,
          EventPattern: pattern!,
        }),
      );
      await eventBridge.send(
        new PutTargetsCommand({
          Rule: `${vault.resources.prefix}-readme-rule`,
          EventBusName: busName,
          Targets: [{ Id: 'notify', Arn: arn }],
        }),
      );
      const rule = new EventTap(vault.resources.endpoint, queueUrl);
      try {
        const userId = 'ev-readme';
        await connect(userId);
        await ageAccessToken(vault, userId, -1000);
        await vault.server.endUserSessions(userId);
        expect(await vault.invoke('tokenFetch', { userId })).toMatchObject({
          ok: false,
          error: { code: 'reauthorization_required' },
        });
        const delivered = await rule.drain();
        expect(delivered.map((e) => [e['detail-type'], e.detail.userId, e.detail.reason])).toEqual([
          [T.reauthorizationRequired, userId, 'invalid_grant'],
        ]);
      } finally {
        rule.close();
      }
    } finally {
      eventBridge.destroy();
      sqs.destroy();
    }
  });
});

describe('the retry queue', () => {
  it('holds what the bus did not take, and the sweep puts it on the bus exactly once', async () => {
    const retryQueueDepth = () => queueDepth(vault.resources.endpoint, vault.resources.eventRetryQueueUrl);
    const userId = 'ev-retry';
    await vault.connectUser(userId);
    // A revoke through a container whose bus does not exist: the answer is unaffected, the event is queued.
    expect(await revokeThroughMissingBus(vault, userId, 'account_deactivated')).toMatchObject({ revoked: 1 });
    expect(await tap.of(userId, T.revoked)).toHaveLength(0);
    expect(await retryQueueDepth()).toBe(1);
    // The sweep drains it onto the real bus.
    await vault.sweep();
    const events = await tap.of(userId, T.revoked);
    expect(events).toHaveLength(1);
    expect(events[0]!.detail).toMatchObject({ reason: 'account_deactivated' });
    expect(await retryQueueDepth()).toBe(0);
    await vault.sweep();
    expect(await tap.of(userId, T.revoked)).toHaveLength(1);
  });
});

describe('decided only when the write is known to have committed', () => {
  it('a release with cool-down whose answer is lost (the SDK retry then meets a conflict) is read back and announced once', async () => {
    const userId = 'ev-lost-answer';
    await connect(userId);
    await ageAccessToken(vault, userId, -1000);
    await vault.provider.injectFault({ endpoint: 'token', mode: 'status', status: 503, count: 10_000 });
    const container = vault.container;
    const real = container.leases();
    // The release lands, and its caller sees the conflict an SDK retry of a landed conditional write meets.
    const lossy = Object.create(real) as typeof real;
    lossy.release = async (...args: Parameters<typeof real.release>) => {
      await real.release(...args);
      return false;
    };
    const recorder = new RecordingPublisher();
    const { coordinator } = coreOf(container, { leases: lossy, events: recorder });
    await expect(
      coordinator.getToken({ userId, applicationId: 'default' }, { kind: 'valid', minValidityMs: 0 }, testDeadline()),
    ).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(recorder.events.map((e) => e.type)).toEqual([T.refreshFailed]);
    expect(recorder.events[0]!.detail).toMatchObject({ userId, consecutiveFailures: 1 });

    // Not our write (another holder's release): nothing decided.
    const other = new RecordingPublisher();
    const foreign = Object.create(real) as typeof real;
    foreign.release = () => Promise.resolve(false);
    await patchRecord(vault, userId, { cooldownUntil: Date.now() - 1000, lastFailureEventAt: Date.now() - 60_000 });
    const second = coreOf(container, { leases: foreign, events: other }).coordinator;
    await second
      .getToken({ userId, applicationId: 'default' }, { kind: 'valid', minValidityMs: 0 }, testDeadline())
      .catch(() => undefined);
    expect(other.events).toEqual([]);
  });
});
