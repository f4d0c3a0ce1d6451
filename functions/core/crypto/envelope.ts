/**
 * Envelope encryption of token material: one KMS data key (AES-256) per write, AES-256-GCM with a random
 * 96-bit IV per field. The KMS encryption context binds the data key to (userId, applicationId) — KMS refuses
 * to unwrap it for any other row — and the same values plus the field name are the GCM additional data, so a
 * sealed access token can't pose as a refresh token either.
 *
 * Plaintext data keys exist only in memory: freshly generated for one write, or unwrapped and kept in a
 * bounded cache so that warm reads make no KMS call.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { ENCRYPTION_CONTEXT_KEYS } from '../../definitions/encryption';
import { DataKeyCache } from './data-key-cache';
import { EnvelopeError } from './errors';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Format version, first byte of every sealed field: lets a later format coexist with this one. */
const FORMAT_V1 = 1;

/** Which row a ciphertext belongs to. */
export interface RowBinding {
  readonly userId: string;
  readonly applicationId: string;
}

/** Fields sealed per connection. The name is part of the additional data. */
export type SealedField = 'accessToken' | 'refreshToken';

/** What is stored: the wrapped data key and the sealed fields. */
export interface SealedRecord {
  readonly encryptedDataKey: Uint8Array;
  readonly fields: Partial<Record<SealedField, Uint8Array>>;
}

export interface EnvelopeCipherOptions {
  readonly kms: KMSClient;
  /** KMS key id, ARN or alias. */
  readonly keyId: string;
  /** @default a 1,000-entry, 15-minute cache */
  readonly cache?: DataKeyCache;
}

export class EnvelopeCipher {
  private readonly kms: KMSClient;
  private readonly keyId: string;
  readonly cache: DataKeyCache;

  constructor(options: EnvelopeCipherOptions) {
    this.kms = options.kms;
    this.keyId = options.keyId;
    this.cache = options.cache ?? new DataKeyCache();
  }

  /** Seals the given fields under one new data key. One KMS call. */
  async seal(binding: RowBinding, plaintexts: Partial<Record<SealedField, string>>): Promise<SealedRecord> {
    let plaintextKey: Uint8Array | undefined;
    let encryptedDataKey: Uint8Array | undefined;
    try {
      const out = await this.kms.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(binding) }),
      );
      plaintextKey = out.Plaintext;
      encryptedDataKey = out.CiphertextBlob;
    } catch (error) {
      throw new EnvelopeError('kms_failed', `KMS GenerateDataKey failed: ${errorName(error)}.`, { cause: error });
    }
    if (!plaintextKey || !encryptedDataKey) throw new EnvelopeError('kms_failed', 'KMS GenerateDataKey answered without a key.');
    const key = Buffer.from(plaintextKey);
    plaintextKey.fill(0);
    const fields: Partial<Record<SealedField, Uint8Array>> = {};
    for (const [field, plaintext] of Object.entries(plaintexts) as Array<[SealedField, string | undefined]>) {
      if (plaintext !== undefined) fields[field] = sealField(key, binding, field, plaintext);
    }
    this.cache.set(encryptedDataKey, key, binding);
    key.fill(0);
    return { encryptedDataKey, fields };
  }

  /** Opens one sealed field of a row. A KMS call only when the data key is not cached. */
  async open(binding: RowBinding, encryptedDataKey: Uint8Array, field: SealedField, sealed: Uint8Array): Promise<string> {
    const key = await this.dataKey(binding, encryptedDataKey);
    return openField(key, binding, field, sealed);
  }

  private async dataKey(binding: RowBinding, encryptedDataKey: Uint8Array): Promise<Buffer> {
    // The cache is keyed by the wrapped key *and* the binding: a wrapped key copied to another row must go to
    // KMS, which refuses it under the other encryption context.
    const cached = this.cache.get(encryptedDataKey, binding);
    if (cached) return cached;
    let plaintext: Uint8Array | undefined;
    try {
      const out = await this.kms.send(
        new DecryptCommand({ CiphertextBlob: encryptedDataKey, KeyId: this.keyId, EncryptionContext: encryptionContext(binding) }),
      );
      plaintext = out.Plaintext;
    } catch (error) {
      const name = errorName(error);
      // InvalidCiphertextException is KMS's answer to a wrong context or a tampered blob.
      const failure = name === 'InvalidCiphertextException' ? 'integrity' : 'kms_failed';
      throw new EnvelopeError(failure, `KMS Decrypt failed: ${name}.`, { cause: error });
    }
    if (!plaintext || plaintext.length !== 32) throw new EnvelopeError('kms_failed', 'KMS Decrypt answered without a 256-bit key.');
    const key = Buffer.from(plaintext);
    plaintext.fill(0);
    this.cache.set(encryptedDataKey, key, binding);
    return key;
  }
}

export function encryptionContext(binding: RowBinding): Record<string, string> {
  return { [ENCRYPTION_CONTEXT_KEYS.USER_ID]: binding.userId, [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: binding.applicationId };
}

function additionalData(binding: RowBinding, field: SealedField): Buffer {
  // JSON keeps the parts unambiguous (no separator an id could contain).
  return Buffer.from(JSON.stringify(['token-vault/v1', binding.userId, binding.applicationId, field]), 'utf8');
}

function sealField(key: Buffer, binding: RowBinding, field: SealedField, plaintext: string): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(binding, field));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_V1), iv, body, cipher.getAuthTag()]);
}

function openField(key: Buffer, binding: RowBinding, field: SealedField, sealed: Uint8Array): string {
  const data = Buffer.from(sealed);
  if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== FORMAT_V1) {
    throw new EnvelopeError('integrity', `Sealed ${field} is malformed.`);
  }
  const iv = data.subarray(1, 1 + IV_BYTES);
  const tag = data.subarray(data.length - TAG_BYTES);
  const body = data.subarray(1 + IV_BYTES, data.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(binding, field));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new EnvelopeError('integrity', `Sealed ${field} failed authentication (tampered or moved).`);
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
