/**
 * Provider configuration per application (CONTRACT.md "Provider configuration"). It reaches the functions as
 * JSON in one environment variable; the client secret is never part of it, only the secret's id.
 */
import { z } from 'zod';

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

const httpUrl = z
  .string()
  .url()
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL');

export const applicationConfigSchema = z.object({
  applicationId: z.string().regex(APPLICATION_ID_PATTERN),
  authorizeUrl: httpUrl,
  tokenUrl: httpUrl,
  revocationUrl: httpUrl,
  /** When set, the callback requires and checks `iss` (RFC 9207). */
  issuer: z.string().min(1).optional(),
  clientId: z.string().min(1),
  /** Secrets Manager secret id (name or ARN) holding the client secret as a plain string. */
  clientSecretId: z.string().min(1),
  scopes: z.array(z.string().min(1)).default([]),
  tokenEndpointAuth: z.enum(TOKEN_AUTH_METHODS).default('client_secret_post'),
  revocationBody: z.enum(REVOCATION_BODIES).default('json'),
  /** Exact redirect URI registered at the provider. */
  redirectUri: httpUrl,
  /** Allowed `returnTo` targets: a value is allowed when its origin and path equal one entry's. */
  returnTo: z.array(httpUrl).default([]),
});

export type ApplicationConfig = z.output<typeof applicationConfigSchema>;
export type ApplicationConfigInput = z.input<typeof applicationConfigSchema>;

export const applicationsSchema = z
  .array(applicationConfigSchema)
  .min(1)
  .refine((apps) => new Set(apps.map((a) => a.applicationId)).size === apps.length, 'applicationId values must be unique');
