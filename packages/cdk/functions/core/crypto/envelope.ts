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
import { ENCRYPTION_CONTEXT_KEYS } from '../../../src/definitions/encryption';
import type { Deadline } from '../time/deadline';
import { DataKeyCache, cacheKey } from './data-key-cache';
import { EnvelopeError } from './errors';
import type { RowBinding } from './types';

export type { RowBinding } from './types';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Format version, first byte of every sealed field: lets a later format coexist with this one. */
const FORMAT_V1 = 1;

/** Fields sealed per connection. The name is part of the additional data. */
export type SealedField = 'accessToken' | 'refreshToken';

/** What is stored: the wrapped data key and the sealed fields. */
export interface SealedRecord {
  readonly encryptedDataKey: Uint8Array;
  readonly fields: Partial<Record<SealedField, Uint8Array>>;
}

/** A plaintext data key with its wrapped form, for one row. Wiped once used ({@link EnvelopeCipher.sealWith}). */
export interface DataKey {
  readonly plaintext: Buffer;
  readonly encrypted: Uint8Array;
  readonly binding: RowBinding;
  /** When KMS generated it (epoch ms), and the sealing writes made with it, the next one included (reuse bounds). */
  readonly createdAt?: number;
  readonly writes?: number;
}

/** What the cipher needs of a KMS client (`KMSClient`; the simulation hands in its own). */
export type KmsClient = Pick<KMSClient, 'send'>;

/** The KMS key and client of the envelope cipher. */
export interface EnvelopeCipherOptions {
  /** The KMS client every data key is made and opened with. */
  readonly kms: KmsClient;
  /** KMS key id, ARN or alias. */
  readonly keyId: string;
  /**
   * Longest one KMS call may take, SDK retries included.
   * @default 2000
   */
  readonly callTimeoutMs?: number;
  /**
   * Plaintext data keys kept in memory, so a warm container opens a row without KMS.
   * @default - a 1,000-entry, 15-minute cache
   */
  readonly cache?: DataKeyCache;
}

export class EnvelopeCipher {
  private readonly kms: KmsClient;
  private readonly keyId: string;
  private readonly callTimeoutMs: number;
  readonly cache: DataKeyCache;
  private readonly decrypting = new Map<string, Promise<Buffer>>();

  constructor(options: EnvelopeCipherOptions) {
    this.kms = options.kms;
    this.keyId = options.keyId;
    this.callTimeoutMs = options.callTimeoutMs ?? 2000;
    this.cache = options.cache ?? new DataKeyCache();
  }

  /** Seals the given fields under one new data key. One KMS call. */
  async seal(
    binding: RowBinding,
    plaintexts: Partial<Record<SealedField, string>>,
    deadline: Deadline,
  ): Promise<SealedRecord> {
    return this.sealWith(await this.newDataKey(binding, deadline), binding, plaintexts);
  }

  /**
   * A new data key for `binding`, to seal with later without a KMS call ({@link sealWith}). The refresh
   * coordinator takes it before calling the provider, so that nothing but the DynamoDB write stands between a
   * provider's rotated refresh token and its storage.
   */
  async newDataKey(binding: RowBinding, deadline: Deadline): Promise<DataKey> {
    let out;
    try {
      out = await this.kms.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: encryptionContext(binding),
        }),
        {
          abortSignal: deadline.signal(this.callTimeoutMs),
        },
      );
    } catch (error) {
      throw new EnvelopeError('kms_failed', `KMS GenerateDataKey failed: ${errorName(error)}.`, {
        cause: { name: errorName(error) },
      });
    }
    if (!out.Plaintext || out.Plaintext.length !== 32 || !out.CiphertextBlob)
      throw new EnvelopeError('kms_failed', 'KMS GenerateDataKey answered without a 256-bit key.');
    const key = Buffer.from(out.Plaintext);
    out.Plaintext.fill(0);
    return { plaintext: key, encrypted: out.CiphertextBlob, binding };
  }

  /** Seals the fields with a key from {@link newDataKey} (no KMS call), caches it, and wipes the caller's copy. */
  sealWith(dataKey: DataKey, binding: RowBinding, plaintexts: Partial<Record<SealedField, string>>): SealedRecord {
    if (dataKey.binding.userId !== binding.userId || dataKey.binding.applicationId !== binding.applicationId) {
      throw new EnvelopeError('integrity', 'Data key was made for another row.');
    }
    const fields: Partial<Record<SealedField, Uint8Array>> = {};
    for (const [field, plaintext] of Object.entries(plaintexts) as Array<[SealedField, string | undefined]>) {
      if (plaintext !== undefined) fields[field] = sealField(dataKey.plaintext, binding, field, plaintext);
    }
    this.cache.set(dataKey.encrypted, dataKey.plaintext, binding);
    dataKey.plaintext.fill(0);
    return { encryptedDataKey: dataKey.encrypted, fields };
  }

  /** Opens one sealed field of a row. A KMS call only when the data key is not cached ({@link hasKey}). */
  async open(
    binding: RowBinding,
    encryptedDataKey: Uint8Array,
    field: SealedField,
    sealed: Uint8Array,
    deadline: Deadline,
  ): Promise<string> {
    const key = await this.dataKey(binding, encryptedDataKey, deadline);
    return openField(key, binding, field, sealed);
  }

  /**
   * The plaintext of a wrapped key under `binding` (cached, or one Decrypt shared with a concurrent open of the same
   * key), as a copy the caller may wipe: to seal a row's next write under the same key with fresh IVs, or for keys
   * that seal no field of a row (the audit trail's fingerprint key).
   */
  async unwrapKey(binding: RowBinding, encryptedDataKey: Uint8Array, deadline: Deadline): Promise<Buffer> {
    return Buffer.from(await this.dataKey(binding, encryptedDataKey, deadline));
  }

  /** Whether opening a field under this wrapped key needs no KMS call. */
  hasKey(binding: RowBinding, encryptedDataKey: Uint8Array): boolean {
    return this.cache.has(encryptedDataKey, binding);
  }

  private async dataKey(binding: RowBinding, encryptedDataKey: Uint8Array, deadline: Deadline): Promise<Buffer> {
    // The cache is keyed by the wrapped key *and* the binding: a wrapped key copied to another row must go to
    // KMS, which refuses it under the other encryption context.
    const cached = this.cache.get(encryptedDataKey, binding);
    if (cached) return cached;
    // Concurrent misses for one key share one Decrypt (a cold container hit by 25 callers makes 1 KMS call).
    const id = cacheKey(encryptedDataKey, binding);
    const pending = this.decrypting.get(id);
    if (pending) return Buffer.from(await pending);
    const decrypt = this.decrypt(binding, encryptedDataKey, deadline).finally(() => this.decrypting.delete(id));
    this.decrypting.set(id, decrypt);
    return Buffer.from(await decrypt);
  }

  private async decrypt(binding: RowBinding, encryptedDataKey: Uint8Array, deadline: Deadline): Promise<Buffer> {
    let plaintext: Uint8Array | undefined;
    try {
      const out = await this.kms.send(
        new DecryptCommand({
          CiphertextBlob: encryptedDataKey,
          KeyId: this.keyId,
          EncryptionContext: encryptionContext(binding),
        }),
        {
          abortSignal: deadline.signal(this.callTimeoutMs),
        },
      );
      plaintext = out.Plaintext;
    } catch (error) {
      const name = errorName(error);
      // InvalidCiphertextException is KMS's answer to a wrong context or a tampered blob.
      const failure = name === 'InvalidCiphertextException' ? 'integrity' : 'kms_failed';
      throw new EnvelopeError(failure, `KMS Decrypt failed: ${name}.`, { cause: { name } });
    }
    if (!plaintext || plaintext.length !== 32)
      throw new EnvelopeError('kms_failed', 'KMS Decrypt answered without a 256-bit key.');
    const key = Buffer.from(plaintext);
    plaintext.fill(0);
    this.cache.set(encryptedDataKey, key, binding);
    return key;
  }
}

export function encryptionContext(binding: RowBinding): Record<string, string> {
  return {
    [ENCRYPTION_CONTEXT_KEYS.USER_ID]: binding.userId,
    [ENCRYPTION_CONTEXT_KEYS.APPLICATION_ID]: binding.applicationId,
  };
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
