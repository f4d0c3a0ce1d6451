/**
 * Request schemas of the Invoke API functions (docs/contract.md). Validated before anything is read or written;
 * unknown fields are rejected so that a typo (`userid`) is an `invalid_request`, not a silent default.
 * Written with `zod/mini` (same validator, tree-shakable): the classic API alone was 450 KB of every bundle.
 */
import * as z from 'zod/mini';
import {
  REVOCATION_REASONS,
  type FUNCTION_NAMES,
  type FUNCTION_TIMEOUT_SECONDS,
  type CompleteRequest,
  type ConnectRequest,
  type RefreshRequest,
  type RevocationReason,
  type RevokeRequest,
  type StatusRequest,
  type ImportRequest,
  type SweepRequest,
  type TokenFetchRequest,
} from '@token-vault/client/contract';
import { APPLICATION_ID_PATTERN, DEFAULT_APPLICATION_ID, USER_ID_PATTERN } from '../../src/definitions/applications';
import type { FUNCTIONS } from '../../src/definitions/functions';

/** Longest `returnTo` accepted; longer values are refused before any parsing. */
export const MAX_RETURN_TO_LENGTH = 2048;
/** Upper bound on `minValiditySeconds` (12 hours): no provider issues longer-lived access tokens in practice. */
export const MAX_MIN_VALIDITY_SECONDS = 12 * 60 * 60;

const applicationIdPattern = z
  .string()
  .check(z.regex(APPLICATION_ID_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._:@-]'));

export const userIdSchema = z.string().check(z.regex(USER_ID_PATTERN, 'must be 1-128 characters of [A-Za-z0-9._:@-]'));
export const applicationIdSchema = z._default(applicationIdPattern, DEFAULT_APPLICATION_ID);

const scopeToken = z.string().check(z.regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/, 'must be an RFC 6749 scope token'));

export const connectRequestSchema = z.strictObject({
  userId: userIdSchema,
  applicationId: applicationIdSchema,
  returnTo: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_RETURN_TO_LENGTH))),
  scopes: z.optional(z.array(scopeToken).check(z.minLength(1), z.maxLength(50))),
});

export const tokenFetchRequestSchema = z.strictObject({
  userId: userIdSchema,
  applicationId: applicationIdSchema,
  minValiditySeconds: z._default(z.int().check(z.minimum(0), z.maximum(MAX_MIN_VALIDITY_SECONDS)), 60),
});

export const refreshRequestSchema = z.strictObject({
  userId: userIdSchema,
  applicationId: applicationIdSchema,
  rejectedAccessToken: z.optional(z.string().check(z.minLength(1), z.maxLength(16_384))),
});

/** The schedule's payload of `refresh-sweep` (refused by `refresh`, whose schema is strict). */
export const sweepRequestSchema = z.strictObject({ sweep: z.literal(true) });

export { REVOCATION_REASONS, type RevocationReason };

export const revokeRequestSchema = z.strictObject({
  userId: userIdSchema,
  applicationId: z.optional(applicationIdPattern),
  reason: z.enum(REVOCATION_REASONS),
});

export const statusRequestSchema = z.strictObject({
  userId: userIdSchema,
  applicationId: z.optional(applicationIdPattern),
});

/** Tokens as strings: printable ASCII, bounded; never quoted back in a validation message. */
const tokenString = z
  .string()
  .check(z.minLength(1), z.maxLength(16_384), z.regex(/^[\x20-\x7E]+$/, 'must be printable ASCII'));

export const importRequestSchema = z
  .strictObject({
    userId: userIdSchema,
    applicationId: applicationIdSchema,
    refreshToken: tokenString,
    scope: z.optional(
      z
        .string()
        .check(
          z.maxLength(2048),
          z.regex(
            /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/,
            'must be space-separated RFC 6749 scope tokens',
          ),
        ),
    ),
    accessToken: z.optional(tokenString),
    expiresAt: z.optional(z.iso.datetime({ offset: true })),
    replace: z._default(z.boolean(), false),
    validate: z._default(z.boolean(), true),
  })
  .check(
    z.refine((r) => r.validate || (r.accessToken !== undefined && r.expiresAt !== undefined), {
      message: 'accessToken and expiresAt are required with validate: false',
      path: ['accessToken'],
    }),
    z.refine((r) => !r.validate || (r.accessToken === undefined && r.expiresAt === undefined), {
      message: 'only with validate: false (a validating import stores the refreshed token)',
      path: ['accessToken'],
    }),
  );

/** A flow handle: 32 random bytes, base64url (the `flow` parameter of the pending redirect). */
export const FLOW_HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const completeRequestSchema = z.strictObject({
  flowHandle: z.string().check(z.regex(FLOW_HANDLE_PATTERN, 'must be the flow parameter of the pending redirect')),
  userId: userIdSchema,
});

export type {
  CompleteRequest,
  ConnectRequest,
  ImportRequest,
  RefreshRequest,
  RevokeRequest,
  StatusRequest,
  SweepRequest,
  TokenFetchRequest,
};

// The caller library's request types (plain interfaces) are the contract; each schema must accept exactly them.
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type CallerFunction = Exclude<keyof typeof FUNCTIONS, 'sweep' | 'refreshWorker'>;
export type ContractAgreement = [
  Assert<Same<z.input<typeof connectRequestSchema>, Mutable<ConnectRequest>>>,
  Assert<Same<z.input<typeof tokenFetchRequestSchema>, Mutable<TokenFetchRequest>>>,
  Assert<Same<z.input<typeof refreshRequestSchema>, Mutable<RefreshRequest>>>,
  Assert<Same<z.input<typeof sweepRequestSchema>, Mutable<SweepRequest>>>,
  Assert<Same<z.input<typeof revokeRequestSchema>, Mutable<RevokeRequest>>>,
  Assert<Same<z.input<typeof statusRequestSchema>, Mutable<StatusRequest>>>,
  Assert<Same<z.input<typeof importRequestSchema>, Mutable<ImportRequest>>>,
  Assert<Same<z.input<typeof completeRequestSchema>, Mutable<CompleteRequest>>>,
  // The function names and timeouts the caller library knows are those the construct deploys (the sweep and the
  // refresh worker are invoked by the schedule and the queue only: the library does not know them).
  Assert<Same<{ [K in CallerFunction]: (typeof FUNCTIONS)[K]['name'] }, typeof FUNCTION_NAMES>>,
  Assert<Same<{ [K in CallerFunction]: (typeof FUNCTIONS)[K]['timeoutSeconds'] }, typeof FUNCTION_TIMEOUT_SECONDS>>,
];
