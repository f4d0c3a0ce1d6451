/**
 * Property-based: arbitrary JSON (types, sizes, characters) into every Invoke API function, and arbitrary query
 * strings into the callback. Every answer is defined (ok, or an error with a contract code), nothing throws,
 * and input that is refused writes nothing.
 */
import fc from 'fast-check';
import { ERROR_CODES } from '@token-vault/cdk/functions/contract/error-codes';
import { callbackEvent, fakeContext, startVault, type Vault } from '../support/vault';

let vault: Vault;

beforeAll(async () => {
  vault = await startVault();
  await vault.connectUser('prop-user');
});
afterAll(async () => vault.close());

async function itemCount(): Promise<number> {
  const [connections, states] = await Promise.all([
    vault.resources.scanAll(vault.resources.connectionsTable),
    vault.resources.scanAll(vault.resources.statesTable),
  ]);
  return connections.length + states.length;
}

/** Payloads near the valid shape (right keys, wrong values) and far from it (anything at all). */
const fieldValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
  fc.constantFrom('prop-user', 'default', 'user_disconnected', '', 'a'.repeat(129), '<script>', '../../etc'),
);
const nearPayload = fc.dictionary(
  fc.constantFrom(
    'userId',
    'applicationId',
    'returnTo',
    'scopes',
    'minValiditySeconds',
    'rejectedAccessToken',
    'reason',
    'sweep',
    'extra',
  ),
  fieldValue,
  { maxKeys: 4 },
);
const anyPayload = fc.oneof(nearPayload, fc.jsonValue(), fc.anything());

const FUNCTIONS = ['connect', 'tokenFetch', 'refresh', 'revoke'] as const;

describe.each(FUNCTIONS)('%s with arbitrary payloads', (name) => {
  it('always answers a defined shape and writes nothing when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(anyPayload, async (payload) => {
        // Writing is legitimate only for accepted calls; refused ones must leave the tables as they were.
        const before = name === 'refresh' ? await itemCount() : undefined;
        const answer = await vault.handlers[name](payload, fakeContext(name));
        expect(typeof answer).toBe('object');
        if (answer.ok === true) return;
        expect(answer.ok).toBe(false);
        const error = answer.error as { code: string; message: string; retryable: boolean };
        expect(ERROR_CODES).toContain(error.code);
        expect(typeof error.message).toBe('string');
        expect(error.message.length).toBeLessThan(600);
        if (before !== undefined && error.code === 'invalid_request') expect(await itemCount()).toBe(before);
      }),
      { numRuns: 120 },
    );
  });
});

it('refused payloads of every function leave the tables unchanged', async () => {
  const before = await itemCount();
  let refused = 0;
  let legitimateWrites = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FUNCTIONS), anyPayload, async (name, payload) => {
      const answer = await vault.handlers[name](payload, fakeContext(name));
      if (answer.ok === false && (answer.error as { code: string }).code === 'invalid_request') refused++;
      // Accepted calls that add an item: connect (a pending state), revoke (a revocation record per connection).
      if (answer.ok === true && name === 'connect') legitimateWrites++;
      if (answer.ok === true && name === 'revoke') legitimateWrites += Number(answer.revoked);
    }),
    { numRuns: 150 },
  );
  expect(refused).toBeGreaterThan(100);
  expect(await itemCount()).toBe(before + legitimateWrites);
});

describe('callback with arbitrary query strings', () => {
  const queryPart = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ minLength: 2000, maxLength: 5000 }),
    fc.constantFrom(
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      'javascript:alert(1)',
      '%00',
      '%E0%A4%A',
    ),
  );
  const query = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .array(fc.tuple(fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'x'), queryPart), {
        maxLength: 6,
      })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')),
    fc
      .array(fc.tuple(fc.constantFrom('code', 'state', 'iss', 'error'), queryPart), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  );

  it('answers a safe page or redirect, reflects nothing, stores nothing', async () => {
    const before = await itemCount();
    await fc.assert(
      fc.asyncProperty(query, async (raw) => {
        const response = await vault.handlers.callback(callbackEvent(raw), fakeContext('callback'));
        expect([200, 302, 400]).toContain(response.statusCode);
        expect(response.headers).toMatchObject({ 'cache-control': 'no-store' });
        const text = `${response.body ?? ''}${JSON.stringify(response.headers)}`;
        for (const [, value] of new URLSearchParams(raw))
          if (value.length >= 6) expect(text.includes(value)).toBe(false);
        expect(text).not.toContain('<script>alert');
      }),
      { numRuns: 200 },
    );
    expect(await itemCount()).toBe(before);
  });
});
