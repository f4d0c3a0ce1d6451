/** Errors of envelope encryption. Messages name the failure, never key material or plaintext. */
export type CryptoFailure =
  /** KMS refused or failed (throttling, access denied, wrong encryption context, unavailable). */
  | 'kms_failed'
  /** The ciphertext does not authenticate: tampered, truncated, or moved to another row. */
  | 'integrity';

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  constructor(
    readonly failure: CryptoFailure,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
