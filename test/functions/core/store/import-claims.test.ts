/**
 * Import claims against moto (packages/cdk/functions/core/store/import-claims.ts): one run of an import holds its
 * token's fingerprint at a time; a claim whose answer was lost is recognised by its id; an expired claim (a crashed
 * run) is taken over; only the holder's delete ends it; the item never holds the token.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { importFingerprint } from '@token-vault/cdk/functions/core/vault/import-fingerprint';
import { testDeadline } from '../../../support/refresh';
import { storesOnMoto, type StoresOnMoto } from '../../../support/stores';

let s: StoresOnMoto;
beforeAll(async () => {
  s = await storesOnMoto();
}, 60_000);
afterAll(() => s?.close());

const TTL_MS = 31_000;
let n = 0;
const fingerprint = (): string => importFingerprint({ userId: `u${++n}`, applicationId: 'app' }, 'legacy-token');

describe('ImportClaims', () => {
  it('one claim at a time; the holder again (a lost answer) is let through', async () => {
    const f = fingerprint();
    expect(await s.importClaims.claim(f, 'run-1', TTL_MS, testDeadline())).toBe(true);
    expect(await s.importClaims.claim(f, 'run-2', TTL_MS, testDeadline())).toBe(false);
    expect(await s.importClaims.claim(f, 'run-1', TTL_MS, testDeadline())).toBe(true);
  });

  it('only the holder ends it; then another run may claim', async () => {
    const f = fingerprint();
    await s.importClaims.claim(f, 'run-1', TTL_MS, testDeadline());
    await s.importClaims.release(f, 'run-2', testDeadline());
    expect(await s.importClaims.claim(f, 'run-2', TTL_MS, testDeadline())).toBe(false);
    await s.importClaims.release(f, 'run-1', testDeadline());
    await s.importClaims.release(f, 'run-1', testDeadline()); // a retry of the delete
    expect(await s.importClaims.claim(f, 'run-2', TTL_MS, testDeadline())).toBe(true);
  });

  it('a claim that outlived its run (a crash) is taken over after its expiry', async () => {
    const f = fingerprint();
    await s.importClaims.claim(f, 'crashed', TTL_MS, testDeadline());
    s.clock.advance(TTL_MS - 1);
    expect(await s.importClaims.claim(f, 'next', TTL_MS, testDeadline())).toBe(false);
    s.clock.advance(2);
    expect(await s.importClaims.claim(f, 'next', TTL_MS, testDeadline())).toBe(true);
    await s.importClaims.release(f, 'crashed', testDeadline()); // the crashed run's late delete: not its claim now
    expect(await s.importClaims.claim(f, 'third', TTL_MS, testDeadline())).toBe(false);
  });

  it('stores the fingerprint under a prefix, with a TTL, never the token', async () => {
    const f = fingerprint();
    await s.importClaims.claim(f, 'run-1', TTL_MS, testDeadline());
    const items = (await s.aws.doc.send(new ScanCommand({ TableName: s.aws.statesTable }))).Items ?? [];
    const item = items.find((i) => i.stateHash === `import#${f}`);
    expect(item).toMatchObject({ kind: 'import_claim', claimId: 'run-1' });
    expect(item?.expiresAtEpochSeconds).toBe(Math.ceil((s.clock.now() + TTL_MS) / 1000));
    expect(JSON.stringify(items)).not.toContain('legacy-token');
  });
});
