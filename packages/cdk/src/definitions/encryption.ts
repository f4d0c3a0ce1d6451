/**
 * KMS encryption context of every data key the vault makes. KMS enforces it on Decrypt, so a ciphertext moved
 * to another row cannot be decrypted there; the key policy (infra/) allows only these keys.
 */
export const ENCRYPTION_CONTEXT_KEYS = {
  USER_ID: 'tokenVault:userId',
  APPLICATION_ID: 'tokenVault:applicationId',
} as const;
