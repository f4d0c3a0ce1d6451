/** PKCE (RFC 7636) and `state` values: random, URL-safe, from the platform CSPRNG. */
import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes -> 43 base64url characters: the shortest verifier RFC 7636 §4.1 allows, 256 bits. */
export function generateCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))). */
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
