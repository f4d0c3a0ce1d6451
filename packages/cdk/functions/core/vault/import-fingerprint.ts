/**
 * Recognises a repeated import. An import with validation presents the given refresh token at the provider, which
 * rotates it: presenting it a second time (the first answer was lost, and the AWS SDK or the migration tool
 * retried) is reuse, and a provider with reuse detection then revokes the whole grant, the successor the first
 * import stored with it. So the connection an import makes carries a fingerprint of the token it was given, and
 * an import of the same token for the same connection is answered from the table, never at the provider.
 *
 * The fingerprint is a SHA-256 with a domain prefix and the connection's key (the import function holds no key to
 * make an HMAC with, and a refresh token is a high-entropy secret, not a guessable value). It is never the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ActiveConnection, Connection, ConnectionKey, ImportMark } from '../store/types';

/** Separates this digest from every other SHA-256 of the same input (versioned: a change makes old marks unequal). */
const FINGERPRINT_DOMAIN = 'token-vault/import-source-refresh-token/v1';

/** The fingerprint of a refresh token given to an import for one connection (base64url, 43 characters). */
export function importFingerprint(key: ConnectionKey, refreshToken: string): string {
  // JSON of the parts: no separator inside a part can make two different inputs one digest input.
  const input = JSON.stringify([FINGERPRINT_DOMAIN, key.userId, key.applicationId, refreshToken]);
  return createHash('sha256').update(input, 'utf8').digest('base64url');
}

/** What an import of a token finds of an earlier import of the same token. */
export type PriorImport =
  /** No earlier import of this token made the connection there (or a later save replaced it): import. */
  | { readonly kind: 'none' }
  /** The connection that import made is still active: answer as that import was answered. */
  | { readonly kind: 'live'; readonly connection: ActiveConnection; readonly mark: ImportMark }
  /**
   * That connection was revoked or its grant died: the token is used up or revoked at the provider, and importing
   * it again would present it (reuse) or, without validation, bring back what a revoke ended.
   */
  | { readonly kind: 'ended'; readonly status: Exclude<Connection['status'], 'active'> };

/** Whether `previous` (the item an import read first) was made by an import of the token with `fingerprint`. */
export function priorImport(previous: Connection | undefined, fingerprint: string): PriorImport {
  const mark = previous?.imported;
  if (previous === undefined || mark === undefined || !sameFingerprint(mark.fingerprint, fingerprint))
    return { kind: 'none' };
  if (previous.status === 'active') return { kind: 'live', connection: previous, mark };
  return { kind: 'ended', status: previous.status };
}

function sameFingerprint(stored: string, presented: string): boolean {
  const a = Buffer.from(stored, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An import's save met the connection the same import (same token) already made: nothing was written. */
export class AlreadyImported extends Error {
  override readonly name = 'AlreadyImported';
  constructor(
    readonly connection: ActiveConnection,
    readonly mark: ImportMark,
  ) {
    super('The same import already stored this connection.');
  }
}
