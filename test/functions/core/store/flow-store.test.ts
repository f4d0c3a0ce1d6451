/**
 * Parked flows against moto (packages/cdk/functions/core/store/flow-store.ts): stored under the hash of a
 * single-use handle, claimed exactly once (a lost claim answer read back by its id), only as a parked flow (a state
 * item under the same table is not one), deleted by the claim that holds it.
 */
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { generateState } from '@token-vault/cdk/functions/core/oauth/pkce';
import { flowKey, type ParkedFlow } from '@token-vault/cdk/functions/core/store/flow-store';
import { testDeadline } from '../../../support/refresh';
import { storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
beforeAll(async () => {
  s = await storesOnMoto();
}, 60_000);
afterAll(() => s?.close());

const TTL_MS = 5 * 60 * 1000;
const flow = (extra: Partial<ParkedFlow> = {}): ParkedFlow => ({
  userId: 'u1',
  applicationId: 'app',
  flowStartedAt: s.clock.now() - 1_000,
  encryptedDataKey: new Uint8Array([1, 2]),
  accessToken: new Uint8Array([3, 4]),
  refreshToken: new Uint8Array([5, 6]),
  tokenType: 'Bearer',
  scope: 'read',
  expiresIn: 3600,
  refreshTokenExpiresIn: 86_400,
  requestedAt: s.clock.now() - 500,
  companionKey: '#pending-revocation#app#x',
  createdAt: s.clock.now(),
  expiresAt: s.clock.now() + TTL_MS,
  ...extra,
});

describe('FlowStore', () => {
  it('parks under the hash of the handle, never the handle, with a TTL at its expiry', async () => {
    const handle = generateState();
    const parked = flow();
    await s.flows.park(handle, parked, testDeadline());
    const items = (await s.aws.doc.send(new ScanCommand({ TableName: s.aws.statesTable }))).Items ?? [];
    const item = items.find((i) => i.stateHash === flowKey(handle));
    expect(item).toMatchObject({
      kind: 'parked_flow',
      userId: 'u1',
      expiresAtEpochSeconds: Math.ceil(parked.expiresAt / 1000),
    });
    expect(flowKey(handle)).toMatch(/^flow#/);
    expect(JSON.stringify(items)).not.toContain(handle);
  });

  it('claims a flow once, with every field it was parked with', async () => {
    const handle = generateState();
    const parked = flow();
    await s.flows.park(handle, parked, testDeadline());
    expect(await s.flows.claim(handle, 'c1', testDeadline())).toEqual({ outcome: 'consumed', flow: parked });
    expect(await s.flows.claim(handle, 'c2', testDeadline())).toEqual({ outcome: 'unknown' });
  });

  it('recognises its own claim when the first answer was lost (the retry meets the claim)', async () => {
    const handle = generateState();
    const parked = flow();
    await s.flows.park(handle, parked, testDeadline());
    await s.flows.claim(handle, 'c1', testDeadline()); // its answer "lost": the same call again
    expect(await s.flows.claim(handle, 'c1', testDeadline())).toEqual({ outcome: 'consumed', flow: parked });
    expect(await s.flows.claim(handle, 'c2', testDeadline())).toEqual({ outcome: 'unknown' });
  });

  it('is deleted only by the claim that holds it, once, and is then unknown', async () => {
    const handle = generateState();
    await s.flows.park(handle, flow(), testDeadline());
    await s.flows.release(handle, 'c1', testDeadline()); // unclaimed: nothing to release
    await s.flows.claim(handle, 'c1', testDeadline());
    await s.flows.release(handle, 'c2', testDeadline());
    const stored = async () =>
      ((await s.aws.doc.send(new ScanCommand({ TableName: s.aws.statesTable }))).Items ?? []).some(
        (i) => i.stateHash === flowKey(handle),
      );
    expect(await stored()).toBe(true);
    await s.flows.release(handle, 'c1', testDeadline());
    await s.flows.release(handle, 'c1', testDeadline()); // a retry of the delete
    expect(await stored()).toBe(false);
    expect(await s.flows.claim(handle, 'c1', testDeadline())).toEqual({ outcome: 'unknown' });
  });

  it('keeps optional fields absent when they were', async () => {
    const handle = generateState();
    const { refreshToken: _r, scope: _s, expiresIn: _e, refreshTokenExpiresIn: _x, companionKey: _c, ...bare } = flow();
    await s.flows.park(handle, bare, testDeadline());
    expect(await s.flows.claim(handle, 'c1', testDeadline())).toEqual({ outcome: 'consumed', flow: bare });
  });

  it('reports an expired flow as expired, claiming it', async () => {
    const handle = generateState();
    const parked = flow();
    await s.flows.park(handle, parked, testDeadline());
    s.clock.advance(TTL_MS);
    expect(await s.flows.claim(handle, 'c1', testDeadline())).toEqual({ outcome: 'expired', flow: parked });
    expect(await s.flows.claim(handle, 'c2', testDeadline())).toEqual({ outcome: 'unknown' });
  });

  it('refuses to park twice under one handle', async () => {
    const handle = generateState();
    await s.flows.park(handle, flow(), testDeadline());
    await expect(s.flows.park(handle, flow({ userId: 'other' }), testDeadline())).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('does not claim an item of another kind under the same key', async () => {
    const handle = generateState();
    await s.aws.doc.send(
      new PutCommand({ TableName: s.aws.statesTable, Item: { stateHash: flowKey(handle), kind: 'something_else' } }),
    );
    expect(await s.flows.claim(handle, 'c1', testDeadline())).toEqual({ outcome: 'unknown' });
    const items = (await s.aws.doc.send(new ScanCommand({ TableName: s.aws.statesTable }))).Items ?? [];
    expect(items.some((i) => i.stateHash === flowKey(handle))).toBe(true);
  });

  it('refuses a malformed parked item as corrupt (after claiming it)', async () => {
    const handle = generateState();
    await s.aws.doc.send(
      new PutCommand({
        TableName: s.aws.statesTable,
        Item: { stateHash: flowKey(handle), kind: 'parked_flow', userId: 'u1', applicationId: 'app' },
      }),
    );
    await expect(s.flows.claim(handle, 'c1', testDeadline())).rejects.toMatchObject({ code: 'corrupt' });
  });
});
