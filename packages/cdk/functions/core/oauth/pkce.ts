/**
 * PKCE (RFC 7636) and `state` values: random, URL-safe, from the platform CSPRNG.
 * @see https://www.rfc-editor.org/rfc/rfc7636
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * 32 random bytes -> 43 base64url characters: the shortest verifier RFC 7636 §4.1 allows, 256 bits.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))).
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** 32 random bytes (256 bits; docs/contract.md asks >= 128). */
export function generateState(): string {
  return randomBytes(32).toString('base64url');
}

/** The state is stored by its hash, so a table read never yields a usable state value. */
export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('base64url');
}
