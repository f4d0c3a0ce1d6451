/**
 * KMS as the vault uses it: GenerateDataKey (AES-256) and Decrypt, with the encryption context enforced the
 * way KMS enforces it (a blob made for one context does not decrypt under another). Wrapping is real
 * AES-256-GCM under a model master key, so a tampered or moved blob fails like it would in KMS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

interface KmsCommand {
  readonly constructor: { readonly name: string };
  readonly input: Record<string, unknown>;
}

export class KmsModel {
  private readonly master = randomBytes(32);
  readonly calls = { GenerateDataKey: 0, Decrypt: 0 };

  constructor(readonly keyId: string) {}

  apply(command: KmsCommand): Record<string, unknown> {
    const input = command.input;
    if (input.KeyId !== undefined && input.KeyId !== this.keyId) throw awsError('NotFoundException', 'Key not found');
    const context = (input.EncryptionContext ?? {}) as Record<string, string>;
    switch (command.constructor.name) {
      case 'GenerateDataKeyCommand': {
        this.calls.GenerateDataKey++;
        const plaintext = randomBytes(32);
        return {
          Plaintext: new Uint8Array(plaintext),
          CiphertextBlob: this.wrap(plaintext, context),
          KeyId: this.keyId,
        };
      }
      case 'DecryptCommand': {
        this.calls.Decrypt++;
        const plaintext = this.unwrap(input.CiphertextBlob as Uint8Array, context);
        return { Plaintext: new Uint8Array(plaintext), KeyId: this.keyId };
      }
      default:
        throw awsError('UnsupportedOperationException', `${command.constructor.name} is not modelled`);
    }
  }

  /** Opens a blob without counting a call: the invariant checker's view of what is stored. */
  unwrap(blob: Uint8Array, context: Record<string, string>): Buffer {
    const data = Buffer.from(blob);
    if (data.length !== 12 + 32 + 16) throw awsError('InvalidCiphertextException', 'invalid ciphertext');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.master, data.subarray(0, 12));
      decipher.setAAD(aad(context));
      decipher.setAuthTag(data.subarray(44));
      return Buffer.concat([decipher.update(data.subarray(12, 44)), decipher.final()]);
    } catch {
      throw awsError('InvalidCiphertextException', 'invalid ciphertext');
    }
  }

  private wrap(plaintext: Buffer, context: Record<string, string>): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.master, iv);
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
  }
}

function aad(context: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify(
      Object.keys(context)
        .sort()
        .map((k) => [k, context[k]]),
    ),
  );
}

/** An error shaped like an AWS SDK service exception (the code under test reads only `name`). */
export function awsError(name: string, message: string, fields: Record<string, unknown> = {}): Error {
  const error = new Error(message);
  error.name = name;
  Object.assign(error, {
    $fault: name.includes('Internal') || name.includes('Unavailable') ? 'server' : 'client',
    ...fields,
  });
  return error;
}
