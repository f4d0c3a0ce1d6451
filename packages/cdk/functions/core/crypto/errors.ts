/** Errors of envelope encryption. Messages name the failure, never key material or plaintext. */
import { CoreError } from '../base-error';

export type CryptoFailure =
  /** KMS refused or failed (throttling, access denied, wrong encryption context, unavailable). */
  | 'kms_failed'
  /** The ciphertext does not authenticate: tampered, truncated, or moved to another row. */
  | 'integrity';

export class EnvelopeError extends CoreError<CryptoFailure> {
  override readonly name = 'EnvelopeError';
}
