/**
 * The audit trail (README "Audit trail"): one JSON line per token handed out or changed, written by the function to
 * its stdout (no AWS call, so nothing comes between a token's deciding read and the answer), forwarded by a
 * subscription filter on each function's log group into the vault's audit log group. Shared by the functions, the
 * construct (filter pattern, log group) and the local stack.
 */

/** Value of the `audit` field: the record format's name and version. The subscription filter matches it. */
export const AUDIT_FORMAT = 'token-vault/1';

/**
 * The fingerprint key's item in the connections table: a KMS data key (wrapped under the vault key with this
 * pair as its encryption context, which no user row can have: `#` is not allowed in user ids), made by the first
 * function that needs it. Never delete it: fingerprints made before and after would not compare.
 */
export const FINGERPRINT_KEY_ITEM = { userId: '#keys', applicationId: 'audit-fingerprint#v1' } as const;

/** Prefix of every fingerprint, naming the key version it was made with. */
export const FINGERPRINT_PREFIX = 'hmac1:';

/** Audit log retention when the vault is not told otherwise, in days. */
export const DEFAULT_AUDIT_LOG_RETENTION_DAYS = 365;
