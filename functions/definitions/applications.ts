/**
 * Provider configuration per application (CONTRACT.md "Provider configuration"). It reaches the functions as
 * JSON in one environment variable; the client secret is never part of it, only the secret's id.
 */
import * as z from 'zod/mini';

/** 1-128 chars of [A-Za-z0-9._:@-] (CONTRACT.md). */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
/** 1-64 chars of the same set. */
export const APPLICATION_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,64}$/;
export const DEFAULT_APPLICATION_ID = 'default';

/** The seed guide's provider. */
export const OTESSE_DEFAULTS = {
  authorizeUrl: 'https://auth.otesse.com/oauth/authorize',
  tokenUrl: 'https://auth.otesse.com/oauth/token',
  revocationUrl: 'https://auth.otesse.com/oauth/revoke',
} as const;

export const TOKEN_AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const;
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];
export const REVOCATION_BODIES = ['json', 'form'] as const;
export type RevocationBody = (typeof REVOCATION_BODIES)[number];

const httpUrl = z.string().check(z.refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL'));
const nonEmpty = z.string().check(z.minLength(1));

export const applicationConfigSchema = z.object({
  applicationId: z.string().check(z.regex(APPLICATION_ID_PATTERN, 'must be 1-64 characters of [A-Za-z0-9._:@-]')),
  authorizeUrl: httpUrl,
  tokenUrl: httpUrl,
  revocationUrl: httpUrl,
  /** When set, the callback requires and checks `iss` (RFC 9207). */
  issuer: z.optional(nonEmpty),
  clientId: nonEmpty,
  /** Secrets Manager secret id (name or ARN) holding the client secret as a plain string. */
  clientSecretId: nonEmpty,
  scopes: z._default(z.array(nonEmpty), []),
  tokenEndpointAuth: z._default(z.enum(TOKEN_AUTH_METHODS), 'client_secret_post'),
  revocationBody: z._default(z.enum(REVOCATION_BODIES), 'json'),
  /** Exact redirect URI registered at the provider. */
  redirectUri: httpUrl,
  /** Allowed `returnTo` targets: a value is allowed when its origin and path equal one entry's. */
  returnTo: z._default(z.array(httpUrl), []),
});

export type ApplicationConfig = z.output<typeof applicationConfigSchema>;
export type ApplicationConfigInput = z.input<typeof applicationConfigSchema>;

export const applicationsSchema = z
  .array(applicationConfigSchema)
  .check(
    z.minLength(1),
    z.refine((apps) => new Set(apps.map((a) => a.applicationId)).size === apps.length, 'applicationId values must be unique'),
  );
