/** Every Invoke API function answers malformed input with `invalid_request` and writes nothing. */
import { startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault();
  await vault.connectUser('valid-user');
});
afterAll(async () => vault.close());

async function snapshot(): Promise<string> {
  return JSON.stringify([
    await vault.resources.scanAll(vault.resources.connectionsTable),
    await vault.resources.scanAll(vault.resources.statesTable),
  ]);
}

const cases: Array<[name: 'connect' | 'tokenFetch' | 'refresh' | 'revoke', payload: unknown]> = [
  ['connect', null],
  ['connect', []],
  ['connect', 'alice'],
  ['connect', {}],
  ['connect', { userId: '' }],
  ['connect', { userId: 'a'.repeat(129) }],
  ['connect', { userId: 'has space' }],
  ['connect', { userId: 'alice', applicationId: 'no/slash' }],
  ['connect', { userId: 'alice', applicationId: 'unknown-app' }],
  ['connect', { userId: 'alice', returnTo: 'javascript:alert(1)' }],
  ['connect', { userId: 'alice', scopes: 'read' }],
  ['connect', { userId: 'alice', scopes: ['has space'] }],
  ['connect', { userId: 'alice', userid: 'typo' }],
  ['tokenFetch', {}],
  ['tokenFetch', { userId: 42 }],
  ['tokenFetch', { userId: 'valid-user', minValiditySeconds: -1 }],
  ['tokenFetch', { userId: 'valid-user', minValiditySeconds: 1.5 }],
  ['tokenFetch', { userId: 'valid-user', minValiditySeconds: 10 ** 9 }],
  ['tokenFetch', { userId: 'valid-user', applicationId: 'unknown-app' }],
  ['refresh', { userId: 'valid-user', rejectedAccessToken: '' }],
  ['refresh', { sweep: 'yes' }],
  // The sweep is refresh-sweep's, invoked by the schedule only: the on-demand entry refuses it.
  ['refresh', { sweep: true }],
  ['refresh', { userId: 'valid-user', extra: true }],
  ['revoke', { userId: 'valid-user' }],
  ['revoke', { userId: 'valid-user', reason: 'because' }],
  ['revoke', { userId: 'valid-user', reason: 'user_disconnected', applicationId: 'unknown-app' }],
];

describe('malformed input', () => {
  it.each(cases)('%s %j -> invalid_request, nothing written', async (name, payload) => {
    const before = await snapshot();
    const answer = await vault.invoke(name, payload);
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_request', retryable: false } });
    expect(String((answer.error as { message: string }).message)).toMatch(
      /^(Invalid request\. |applicationId: unknown application\.|returnTo: )/,
    );
    expect(await snapshot()).toBe(before);
  });

  it('names the field but never echoes the value', async () => {
    const answer = await vault.invoke('tokenFetch', { userId: 'secret value with spaces' });
    expect(answer).toEqual({
      ok: false,
      error: {
        code: 'invalid_request',
        message: 'Invalid request. userId: must be 1-128 characters of [A-Za-z0-9._:@-].',
        retryable: false,
      },
    });
  });

  it('answers not_connected for a well-formed unknown user', async () => {
    expect(await vault.invoke('tokenFetch', { userId: 'never-connected' })).toMatchObject({
      ok: false,
      error: { code: 'not_connected', retryable: false },
    });
    expect(await vault.invoke('refresh', { userId: 'never-connected' })).toMatchObject({
      ok: false,
      error: { code: 'not_connected' },
    });
  });
});
