/** Envelope encryption against the emulator's KMS: binding to the row, tamper detection, warm-path caching. */
import { KMSClient } from '@aws-sdk/client-kms';
import { DataKeyCache } from '@token-vault/cdk/functions/core/crypto/data-key-cache';
import { EnvelopeCipher } from '@token-vault/cdk/functions/core/crypto/envelope';
import { EnvelopeError } from '@token-vault/cdk/functions/core/crypto/errors';
import { freshResources, type FreshResources } from '../../../support/aws';
import { registerSensitive } from '../../../support/leak-guard';
import { testDeadline } from '../../../support/refresh';

let aws: FreshResources;
const alice = { userId: 'alice', applicationId: 'default' };
const bob = { userId: 'bob', applicationId: 'default' };

beforeAll(async () => {
  aws = await freshResources();
});
afterAll(() => aws.close());

function countingKms(): { kms: KMSClient; calls: string[] } {
  const kms = new KMSClient({});
  const calls: string[] = [];
  kms.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return { kms, calls };
}

async function errorOf(promise: Promise<unknown>): Promise<EnvelopeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EnvelopeError) return error;
    throw error;
  }
  throw new Error('expected an EnvelopeError');
}

describe('EnvelopeCipher', () => {
  it('round-trips with one KMS call to seal and none to open while the key is cached', async () => {
    const { kms, calls } = countingKms();
    const cipher = new EnvelopeCipher({ kms, keyId: aws.keyId });
    const sealed = await cipher.seal(
      alice,
      { accessToken: 'access-token-value', refreshToken: 'refresh-token-value' },
      testDeadline(),
    );
    registerSensitive(sealed.encryptedDataKey);
    expect(Buffer.from(sealed.fields.accessToken!).includes(Buffer.from('access-token-value'))).toBe(false);
    expect(
      await cipher.open(alice, sealed.encryptedDataKey, 'refreshToken', sealed.fields.refreshToken!, testDeadline()),
    ).toBe('refresh-token-value');
    expect(calls).toEqual(['GenerateDataKeyCommand']);
    expect(cipher.hasKey(alice, sealed.encryptedDataKey)).toBe(true);
    // The cached key is bound to its row: another row must go to KMS.
    expect(cipher.hasKey(bob, sealed.encryptedDataKey)).toBe(false);
    // A cold container: one Decrypt, then cached.
    const cold = new EnvelopeCipher({ kms, keyId: aws.keyId });
    expect(cold.hasKey(alice, sealed.encryptedDataKey)).toBe(false);
    await cold.open(alice, sealed.encryptedDataKey, 'accessToken', sealed.fields.accessToken!, testDeadline());
    expect(cold.hasKey(alice, sealed.encryptedDataKey)).toBe(true);
    await cold.open(alice, sealed.encryptedDataKey, 'accessToken', sealed.fields.accessToken!, testDeadline());
    expect(calls).toEqual(['GenerateDataKeyCommand', 'DecryptCommand']);
  });

  it('shares one Decrypt among concurrent cold opens of the same key', async () => {
    const { kms, calls } = countingKms();
    const sealed = await new EnvelopeCipher({ kms, keyId: aws.keyId }).seal(
      alice,
      { accessToken: 'shared-access-token' },
      testDeadline(),
    );
    const cold = new EnvelopeCipher({ kms, keyId: aws.keyId });
    const opened = await Promise.all(
      Array.from({ length: 25 }, () =>
        cold.open(alice, sealed.encryptedDataKey, 'accessToken', sealed.fields.accessToken!, testDeadline()),
      ),
    );
    expect(new Set(opened)).toEqual(new Set(['shared-access-token']));
    expect(calls.filter((c) => c === 'DecryptCommand')).toHaveLength(1);
  });

  it('seals with a data key made beforehand, without a KMS call, and only for its own row', async () => {
    const { kms, calls } = countingKms();
    const cipher = new EnvelopeCipher({ kms, keyId: aws.keyId });
    const dataKey = await cipher.newDataKey(alice, testDeadline());
    // The plaintext data key must never reach any output (the suite-wide leak guard scans for it).
    registerSensitive(dataKey.plaintext.toString('base64'), dataKey.plaintext.toString('hex'));
    expect(() => cipher.sealWith(dataKey, bob, { accessToken: 'x' })).toThrow('Data key was made for another row.');
    const sealed = cipher.sealWith(dataKey, alice, { refreshToken: 'pre-keyed-refresh-token' });
    expect(dataKey.plaintext.every((byte) => byte === 0)).toBe(true);
    expect(
      await cipher.open(alice, sealed.encryptedDataKey, 'refreshToken', sealed.fields.refreshToken!, testDeadline()),
    ).toBe('pre-keyed-refresh-token');
    expect(calls).toEqual(['GenerateDataKeyCommand']);
  });

  it('refuses a ciphertext moved to another user (KMS encryption context), even from a warm cache', async () => {
    const cipher = new EnvelopeCipher({ kms: new KMSClient({}), keyId: aws.keyId });
    const sealed = await cipher.seal(alice, { refreshToken: 'alice-refresh-token' }, testDeadline());
    const error = await errorOf(
      cipher.open(bob, sealed.encryptedDataKey, 'refreshToken', sealed.fields.refreshToken!, testDeadline()),
    );
    expect(error.code).toBe('integrity');
    expect(error.message).toBe('KMS Decrypt failed: InvalidCiphertextException.');
  });

  it('refuses a sealed access token presented as a refresh token (field name in the additional data)', async () => {
    const cipher = new EnvelopeCipher({ kms: new KMSClient({}), keyId: aws.keyId });
    const sealed = await cipher.seal(alice, { accessToken: 'an-access-token' }, testDeadline());
    const error = await errorOf(
      cipher.open(alice, sealed.encryptedDataKey, 'refreshToken', sealed.fields.accessToken!, testDeadline()),
    );
    expect(error).toMatchObject({
      code: 'integrity',
      message: 'Sealed refreshToken failed authentication (tampered or moved).',
    });
  });

  it.each([
    ['IV', 3],
    ['ciphertext', 20],
    ['tag', -1],
  ])('detects a tampered %s', async (_part, index) => {
    const cipher = new EnvelopeCipher({ kms: new KMSClient({}), keyId: aws.keyId });
    const sealed = await cipher.seal(alice, { refreshToken: 'refresh-token-to-tamper-with' }, testDeadline());
    const bytes = Buffer.from(sealed.fields.refreshToken!);
    const at = index < 0 ? bytes.length + index : index;
    bytes[at] = bytes[at]! ^ 0x01;
    expect(
      (await errorOf(cipher.open(alice, sealed.encryptedDataKey, 'refreshToken', bytes, testDeadline()))).code,
    ).toBe('integrity');
    expect(
      (
        await errorOf(
          cipher.open(alice, sealed.encryptedDataKey, 'refreshToken', bytes.subarray(0, 10), testDeadline()),
        )
      ).message,
    ).toBe('Sealed refreshToken is malformed.');
  });

  it('reports KMS failures without key material', async () => {
    const cipher = new EnvelopeCipher({
      kms: new KMSClient({}),
      keyId: 'alias/does-not-exist',
      cache: new DataKeyCache({ enabled: false }),
    });
    const error = await errorOf(cipher.seal(alice, { accessToken: 'x' }, testDeadline()));
    expect(error.code).toBe('kms_failed');
    expect(error.message).toMatch(/^KMS GenerateDataKey failed: [A-Za-z]+\.$/);
  });

  it('gives up on a KMS call at the deadline', async () => {
    const cipher = new EnvelopeCipher({ kms: new KMSClient({}), keyId: aws.keyId });
    const error = await errorOf(cipher.seal(alice, { accessToken: 'x' }, testDeadline(0)));
    expect(error.code).toBe('kms_failed');
    expect(error.message).toMatch(/^KMS GenerateDataKey failed: [A-Za-z]+\.$/);
  });
});
