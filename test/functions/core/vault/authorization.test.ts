/**
 * The authorization service alone (packages/cdk/functions/core/vault/authorization.ts), called directly against the
 * development provider and moto: what `start` accepts and saves, the reason and metric of each way `complete` can
 * fail, and session binding's two halves. The callback's HTTP side is test/functions/callback.test.ts.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FlowStore, flowKey } from '@token-vault/cdk/functions/core/store/flow-store';
import { ApplicationRegistry } from '@token-vault/cdk/functions/core/vault/applications';
import { VaultError } from '@token-vault/cdk/functions/core/errors';
import { Deadline } from '@token-vault/cdk/functions/core/time/deadline';
import { SYSTEM_CLOCK } from '@token-vault/cdk/functions/core/time/clock';
import { metricsRecorder, testDeadline, type MetricsRecorder } from '../../../support/refresh';
import { approve, authorizationOf, type ServiceParts } from '../../../support/services';
import { RETURN_TO, startVault, type Vault } from '../../../support/vault';

let vault: Vault;
beforeAll(async () => {
  vault = await startVault({ loadHandlers: false });
}, 60_000);
afterAll(async () => vault?.close());

let metrics: MetricsRecorder;
beforeEach(() => {
  metrics = metricsRecorder();
});
const service = (now?: () => number) => authorizationOf(vault.container, { metrics, ...(now ? { now } : {}) });

async function thrown(promise: Promise<unknown>): Promise<VaultError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VaultError)) throw new Error(`expected a VaultError, got ${String(error)}`);
  return error;
}

const statesCount = async (): Promise<number> => (await vault.resources.scanAll(vault.resources.statesTable)).length;
const stored = (userId: string) =>
  vault.container.connections().get({ userId, applicationId: 'default' }, testDeadline());

describe('start', () => {
  it('saves a single-use pending request and answers the provider URL with PKCE S256', async () => {
    const now = Date.now();
    const { authorizationUrl, expiresAt } = await service(() => now).start(
      { userId: 'starter', applicationId: 'default', scopes: ['openid'] },
      testDeadline(),
    );
    expect(expiresAt).toBe(now + 10 * 60 * 1000);
    const url = new URL(authorizationUrl);
    expect(url.origin + url.pathname).toBe(vault.server.authorizeUrl);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: vault.server.clientId,
      code_challenge_method: 'S256',
      scope: 'openid',
    });
    const consumed = await vault.container.states().consume(params.state!, testDeadline());
    if (consumed.outcome !== 'consumed') throw new Error(`state not saved: ${consumed.outcome}`);
    expect(consumed.pending).toMatchObject({ userId: 'starter', applicationId: 'default', scopes: ['openid'] });
    // The challenge is the S256 of the verifier kept in the state.
    expect(createHash('sha256').update(consumed.pending.codeVerifier).digest('base64url')).toBe(params.code_challenge);
  });

  it("accepts a returnTo whose origin and path equal an allow-list entry's, and refuses any other before saving", async () => {
    const start = (returnTo: string) =>
      service().start({ userId: 'returner', applicationId: 'default', returnTo }, testDeadline());
    await start(`${RETURN_TO}?tab=1`);
    const before = await statesCount();
    const target = new URL(RETURN_TO);
    for (const returnTo of [
      `${target.origin}/elsewhere`,
      `https://attacker.example.test${target.pathname}`,
      `${target.protocol}//user:pw@${target.host}${target.pathname}`,
      'not a url',
    ]) {
      const error = await thrown(start(returnTo));
      expect(error).toMatchObject({
        code: 'invalid_request',
        message: "returnTo: not in the application's allow-list.",
      });
    }
    expect(await statesCount()).toBe(before);
  });

  it('refuses an unknown application', async () => {
    expect((await thrown(service().start({ userId: 'u', applicationId: 'nope' }, testDeadline()))).code).toBe(
      'invalid_request',
    );
  });

  it('needs a returnTo for a session-bound application', async () => {
    const bound = authorizationOf(vault.container, {
      applications: new ApplicationRegistry(
        vault.container.applicationConfigs.map((c) => ({ ...c, sessionBinding: true })),
      ),
    });
    expect(await thrown(bound.start({ userId: 'u', applicationId: 'default' }, testDeadline()))).toMatchObject({
      code: 'invalid_request',
      message: 'returnTo: required for applications with session binding.',
    });
  });
});

describe('complete', () => {
  const failure = (reason: string, application = 'default') =>
    metrics.total('AUTHORIZATION_FAILURE', { Application: application, Reason: reason });

  it('connects: the tokens stored as an active connection, counted once', async () => {
    const query = await approve(service(), { userId: 'completer' });
    const outcome = await service().complete(Object.fromEntries(query), testDeadline());
    expect(outcome).toEqual({ status: 'connected', userId: 'completer', applicationId: 'default' });
    expect(metrics.total('CONNECTION', { Application: 'default' })).toBe(1);
    expect(await stored('completer')).toMatchObject({ status: 'active', version: 1 });
    // The state is used up.
    expect(await service().complete(Object.fromEntries(query), testDeadline())).toMatchObject({ reason: 'bad_state' });
  });

  it('refuses a missing or unknown state', async () => {
    expect(await service().complete({ code: 'c' }, testDeadline())).toEqual({
      status: 'error',
      error: 'invalid_request',
      reason: 'invalid_request',
    });
    expect(await service().complete({ code: 'c', state: 'unknown-state-value' }, testDeadline())).toMatchObject({
      error: 'invalid_request',
      reason: 'bad_state',
    });
    expect(failure('invalid_request', 'unknown') + failure('bad_state', 'unknown')).toBe(2);
  });

  it('refuses an expired state, naming its application and returnTo', async () => {
    const past = service(() => Date.now() - 11 * 60 * 1000);
    const query = await approve(past, { userId: 'late', returnTo: RETURN_TO });
    expect(await service().complete(Object.fromEntries(query), testDeadline())).toEqual({
      status: 'error',
      error: 'invalid_request',
      reason: 'expired_state',
      applicationId: 'default',
      returnTo: RETURN_TO,
    });
    expect(failure('expired_state')).toBe(1);
    expect(await stored('late')).toBeUndefined();
  });

  it('refuses a flow the browser binding does not match, consuming its state', async () => {
    const query = Object.fromEntries(await approve(service(), { userId: 'bound-browser' }));
    expect(await service().complete(query, testDeadline(), () => false)).toMatchObject({ reason: 'browser_mismatch' });
    expect(await service().complete(query, testDeadline(), () => true)).toMatchObject({ reason: 'bad_state' });
    expect(await stored('bound-browser')).toBeUndefined();
  });

  it('refuses an iss other than the configured issuer, before reading an error or code', async () => {
    const query = Object.fromEntries(await approve(service(), { userId: 'mixup' }));
    expect(
      await service().complete(
        { ...query, iss: 'https://attacker.example.test', error: 'access_denied' },
        testDeadline(),
      ),
    ).toMatchObject({ error: 'invalid_request', reason: 'iss_mismatch' });
  });

  it("maps the provider's refusal: access_denied as denied, any other error as provider_error", async () => {
    const denied = Object.fromEntries(await approve(service(), { userId: 'denier' }, 'deny'));
    expect(denied.error).toBe('access_denied');
    expect(await service().complete(denied, testDeadline())).toMatchObject({
      error: 'access_denied',
      reason: 'denied',
    });
    const other = Object.fromEntries(await approve(service(), { userId: 'server-error' }));
    const { code: _code, ...withoutCode } = other;
    expect(await service().complete({ ...withoutCode, error: 'server_error' }, testDeadline())).toMatchObject({
      error: 'authorization_failed',
      reason: 'provider_error',
    });
  });

  it('refuses a missing code', async () => {
    const { code: _code, ...query } = Object.fromEntries(await approve(service(), { userId: 'no-code' }));
    expect(await service().complete(query, testDeadline())).toMatchObject({
      error: 'invalid_request',
      reason: 'invalid_request',
    });
  });

  it('does not start the exchange when the rest of the flow would not fit in the time left', async () => {
    const query = Object.fromEntries(await approve(service(), { userId: 'hurried' }));
    const before = (await vault.provider.stats()).tokenRequests;
    const short = Deadline.fromRemaining(1_000, SYSTEM_CLOCK, 0);
    expect(await service().complete(query, short)).toMatchObject({
      error: 'provider_unavailable',
      reason: 'exchange_failed',
    });
    expect((await vault.provider.stats()).tokenRequests).toBe(before);
  });

  it('answers authorization_failed when the provider refuses the code', async () => {
    const query = Object.fromEntries(await approve(service(), { userId: 'bad-code' }));
    expect(await service().complete({ ...query, code: 'not-the-code' }, testDeadline())).toMatchObject({
      error: 'authorization_failed',
      reason: 'exchange_failed',
    });
    expect(await stored('bad-code')).toBeUndefined();
  });

  it('refuses a flow a revoke ended after it started, and revokes the grant it obtained', async () => {
    const query = Object.fromEntries(await approve(service(), { userId: 'revoked-mid-flow' }));
    await vault.container.connections().endFlows('revoked-mid-flow', 'default', testDeadline());
    const before = (await vault.provider.stats()).revocations;
    expect(await service().complete(query, testDeadline())).toMatchObject({
      error: 'invalid_request',
      reason: 'flow_ended',
    });
    expect(await stored('revoked-mid-flow')).toBeUndefined();
    expect((await vault.provider.stats()).revocations).toBe(before + 1);
  });
});

describe('session binding', () => {
  const bound = (parts: ServiceParts = {}) =>
    authorizationOf(vault.container, {
      ...parts,
      metrics,
      applications: new ApplicationRegistry(
        vault.container.applicationConfigs.map((c) => ({
          ...c,
          sessionBinding: true,
          revokeReplacedRefreshTokens: true,
        })),
      ),
    });

  async function parked(userId: string): Promise<string> {
    const query = await approve(bound(), { userId, returnTo: RETURN_TO });
    const outcome = await bound().complete(Object.fromEntries(query), testDeadline());
    if (outcome.status !== 'pending') throw new Error(`not parked: ${JSON.stringify(outcome)}`);
    expect(outcome.returnTo).toBe(RETURN_TO);
    expect(await stored(userId)).toBeUndefined();
    return outcome.flowHandle;
  }

  it('parks the tokens, and completeFlow activates them for the same user, once', async () => {
    const handle = await parked('parker');
    expect(await bound().completeFlow({ flowHandle: handle, userId: 'parker' }, testDeadline())).toEqual({
      applicationId: 'default',
      reconnected: false,
    });
    expect(await stored('parker')).toMatchObject({ status: 'active' });
    const again = await thrown(bound().completeFlow({ flowHandle: handle, userId: 'parker' }, testDeadline()));
    expect(again.code).toBe('invalid_request');
    expect(metrics.total('AUTHORIZATION_FAILURE', { Reason: 'flow_unknown' })).toBe(1);
  });

  it('completes when the answer of its claim was lost (the SDK retry meets its own claim), and deletes the flow', async () => {
    const handle = await parked('lost-claim');
    // The first write of the parked flow (its claim) lands, and its caller sees what the SDK's retry of a landed
    // conditional write meets.
    let lost = false;
    const lossy = {
      send: async (command: object, options?: { abortSignal?: AbortSignal }) => {
        const key = (command as { input?: { Key?: { stateHash?: unknown } } }).input?.Key?.stateHash;
        const write = command instanceof UpdateCommand || command instanceof DeleteCommand;
        if (write && key === flowKey(handle) && !lost) {
          lost = true;
          await vault.resources.doc.send(command as never, options);
        }
        return vault.resources.doc.send(command as never, options);
      },
    };
    const flows = new FlowStore({ client: lossy, tableName: vault.resources.statesTable, callTimeoutMs: 2_000 });
    expect(await bound({ flows }).completeFlow({ flowHandle: handle, userId: 'lost-claim' }, testDeadline())).toEqual({
      applicationId: 'default',
      reconnected: false,
    });
    expect(await stored('lost-claim')).toMatchObject({ status: 'active' });
    const states = await vault.resources.scanAll(vault.resources.statesTable);
    expect(states.some((i) => i.stateHash?.S === flowKey(handle))).toBe(false);
  });

  it('refuses another user, revokes the parked grant and connects nobody', async () => {
    const handle = await parked('victim');
    const before = (await vault.provider.stats()).revocations;
    const error = await thrown(bound().completeFlow({ flowHandle: handle, userId: 'someone-else' }, testDeadline()));
    expect(error.code).toBe('invalid_request');
    expect(metrics.total('AUTHORIZATION_FAILURE', { Reason: 'session_mismatch' })).toBe(1);
    expect((await vault.provider.stats()).revocations).toBe(before + 1);
    expect(await stored('victim')).toBeUndefined();
    expect(await stored('someone-else')).toBeUndefined();
  });
});
