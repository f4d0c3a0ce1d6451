/**
 * Request schemas of the Invoke API functions (CONTRACT.md). Validated before anything is read or written;
 * unknown fields are rejected so that a typo (`userid`) is an `invalid_request`, not a silent default.
 */
import { z } from 'zod';
import { APPLICATION_ID_PATTERN, DEFAULT_APPLICATION_ID, USER_ID_PATTERN } from '../definitions/applications';

/** Longest `returnTo` accepted; longer values are refused before any parsing. */
export const MAX_RETURN_TO_LENGTH = 2048;
/** Upper bound on `minValiditySeconds` (12 hours): no provider issues longer-lived access tokens in practice. */
export const MAX_MIN_VALIDITY_SECONDS = 12 * 60 * 60;

export const userIdSchema = z.string().regex(USER_ID_PATTERN, 'must be 1-128 characters of [A-Za-z0-9._:@-]');
export const applicationIdSchema = z
  .string()
  .regex(APPLICATION_ID_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._:@-]')
  .default(DEFAULT_APPLICATION_ID);

const scopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, 'must be an RFC 6749 scope token');

export const connectRequestSchema = z
  .object({
    userId: userIdSchema,
    applicationId: applicationIdSchema,
    returnTo: z.string().min(1).max(MAX_RETURN_TO_LENGTH).optional(),
    scopes: z.array(scopeToken).min(1).max(50).optional(),
  })
  .strict();

export const tokenFetchRequestSchema = z
  .object({
    userId: userIdSchema,
    applicationId: applicationIdSchema,
    minValiditySeconds: z.number().int().min(0).max(MAX_MIN_VALIDITY_SECONDS).default(60),
  })
  .strict();

export const refreshRequestSchema = z
  .object({
    userId: userIdSchema,
    applicationId: applicationIdSchema,
    rejectedAccessToken: z.string().min(1).max(16_384).optional(),
  })
  .strict();

/** The scheduled form of `refresh`: sweep connections due for refresh. */
export const sweepRequestSchema = z.object({ sweep: z.literal(true) }).strict();

export const REVOCATION_REASONS = ['user_disconnected', 'suspicious_activity', 'account_deactivated'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const revokeRequestSchema = z
  .object({
    userId: userIdSchema,
    applicationId: z.string().regex(APPLICATION_ID_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._:@-]').optional(),
    reason: z.enum(REVOCATION_REASONS),
  })
  .strict();

export type ConnectRequest = z.input<typeof connectRequestSchema>;
export type TokenFetchRequest = z.input<typeof tokenFetchRequestSchema>;
export type RefreshRequest = z.input<typeof refreshRequestSchema>;
export type RevokeRequest = z.input<typeof revokeRequestSchema>;
