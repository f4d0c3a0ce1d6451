/**
 * Pending authorization requests against moto (packages/cdk/functions/core/store/state-store.ts): stored under the
 * state's hash, consumed exactly once, an expired one consumed too but reported expired.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { generateState, hashState } from '@token-vault/cdk/functions/core/oauth/pkce';
import type { PendingAuthorization } from '@token-vault/cdk/functions/core/store/state-store';
import { testDeadline } from '../../../support/refresh';
import { storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
beforeAll(async () => {
  s = await storesOnMoto();
}, 60_000);
afterAll(() => s?.close());

const TTL_MS = 10 * 60 * 1000;
const pending = (extra: Partial<PendingAuthorization> = {}): PendingAuthorization => ({
  userId: 'u1',
  applicationId: 'app',
  codeVerifier: 'verifier-value-for-the-test-only-0123456789',
  scopes: ['openid', 'offline_access'],
  createdAt: s.clock.now(),
  expiresAt: s.clock.now() + TTL_MS,
  ...extra,
});

async function stateItem(state: string): Promise<Record<string, unknown> | undefined> {
  const out = await s.aws.doc.send(new ScanCommand({ TableName: s.aws.statesTable, ConsistentRead: true }));
  return out.Items?.find((item) => item.stateHash === hashState(state));
}

describe('StateStore', () => {
  it('stores under the hash of the state, never the state itself, with a TTL at its expiry', async () => {
    const state = generateState();
    const request = pending({ returnTo: 'https://app.example.test/done', browserBindingHash: 'b'.repeat(43) });
    await s.states.save(state, request, testDeadline());
    const item = await stateItem(state);
    expect(item).toMatchObject({ ...request, expiresAtEpochSeconds: Math.ceil(request.expiresAt / 1000) });
    expect(JSON.stringify(item)).not.toContain(state);
  });

  it('consumes a state once: the second call finds nothing', async () => {
    const state = generateState();
    const request = pending({ returnTo: 'https://app.example.test/done' });
    await s.states.save(state, request, testDeadline());
    expect(await s.states.consume(state, testDeadline())).toEqual({ outcome: 'consumed', pending: request });
    expect(await s.states.consume(state, testDeadline())).toEqual({ outcome: 'unknown' });
    expect(await stateItem(state)).toBeUndefined();
  });

  it('reports an expired state as expired, and consumes it all the same', async () => {
    const state = generateState();
    const request = pending();
    await s.states.save(state, request, testDeadline());
    s.clock.advance(TTL_MS);
    expect(await s.states.consume(state, testDeadline())).toEqual({ outcome: 'expired', pending: request });
    expect(await s.states.consume(state, testDeadline())).toEqual({ outcome: 'unknown' });
  });

  it('answers unknown for a state never saved', async () => {
    expect(await s.states.consume(generateState(), testDeadline())).toEqual({ outcome: 'unknown' });
  });

  it('refuses to overwrite a saved state', async () => {
    const state = generateState();
    await s.states.save(state, pending(), testDeadline());
    await expect(s.states.save(state, pending({ userId: 'intruder' }), testDeadline())).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await stateItem(state))!.userId).toBe('u1');
  });
});
