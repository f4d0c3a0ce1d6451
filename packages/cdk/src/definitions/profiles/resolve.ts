/**
 * Turns "profile + parameters + overrides" into the flat provider fields of an application's configuration.
 * Runs where the configuration is assembled (infra/config.ts at synthesis, local/config.ts for the local stack),
 * never in the functions: they receive the result.
 */
import {
  HTTPS_REQUIRED_MESSAGE,
  isSecureOrLoopbackUrl,
  type ErrorCodeTarget,
  type RevocationBody,
  type ScopeSeparator,
  type TokenAuthMethod,
} from '../applications';
import { PROFILES } from './catalogue';
import type { ProfileId } from './ids';
import type { ProfileParameter, ProviderProfile } from './types';

/** A profile that can't be resolved for an application; names the application and the field, never a secret. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';

  constructor(
    readonly applicationId: string,
    /** The application field at fault, e.g. `profileParameters.tenant`. */
    readonly field: string,
    /** What is wrong and how to fix it. */
    readonly reason: string,
  ) {
    super(`applications[${applicationId}].${field}: ${reason}`);
  }
}

/** Fields an application may set over its profile's (each replaces the profile's; the two maps are merged). */
export interface ProviderOverrides {
  readonly authorizeUrl?: string;
  readonly tokenUrl?: string;
  readonly revocationUrl?: string;
  /** An empty string turns the profile's `iss` check off. */
  readonly issuer?: string;
  readonly scopes?: readonly string[];
  readonly requiredScopes?: readonly string[];
  readonly tokenEndpointAuth?: TokenAuthMethod;
  readonly revocationBody?: RevocationBody;
  /** Merged over the profile's; an empty value removes the profile's parameter of that name. */
  readonly authorizationParameters?: Readonly<Record<string, string>>;
  readonly resource?: readonly string[];
  readonly scopeSeparator?: ScopeSeparator;
  /** Merged over the profile's. */
  readonly errorCodes?: Readonly<Record<string, ErrorCodeTarget>>;
  readonly bearerTokenTypes?: readonly string[];
  readonly rotatesRefreshTokens?: boolean;
  readonly reuseGraceSeconds?: number;
  readonly refreshTokenIdleExpirySeconds?: number;
  readonly refreshTokenOnFirstConsentOnly?: boolean;
  readonly revokeReplacedRefreshTokens?: boolean;
}

/** What an application says about its provider. */
export interface ProfileSelection extends ProviderOverrides {
  readonly applicationId: string;
  readonly clientId: string;
  readonly profile: ProfileId;
  /** Values of the profile's template parameters, e.g. `{ tenant: 'contoso.onmicrosoft.com' }`. */
  readonly profileParameters?: Readonly<Record<string, string>>;
}

/** The provider fields of an application's configuration, fully resolved (see src/definitions/applications.ts). */
export interface ResolvedProvider {
  readonly profile: ProfileId;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly issuer?: string;
  /** The application's (or the profile's default) scopes plus the required ones. */
  readonly scopes: string[];
  readonly requiredScopes: string[];
  readonly tokenEndpointAuth: TokenAuthMethod;
  readonly revocationBody: RevocationBody;
  readonly authorizationParameters: Record<string, string>;
  readonly resource?: string[];
  readonly scopeSeparator: ScopeSeparator;
  readonly errorCodes: Record<string, ErrorCodeTarget>;
  readonly bearerTokenTypes: string[];
  readonly rotatesRefreshTokens: boolean;
  readonly reuseGraceSeconds?: number;
  readonly refreshTokenIdleExpirySeconds?: number;
  readonly refreshTokenOnFirstConsentOnly: boolean;
  readonly revokeReplacedRefreshTokens: boolean;
}

/** The profile of an id. */
export function profileOf(id: ProfileId): ProviderProfile {
  return PROFILES[id];
}

/**
 * Applies an application's profile: template parameters filled in and checked, overrides applied.
 * @throws ProfileError for an unknown, missing or invalid parameter (the message says what to put there)
 */
export function resolveProfile(selection: ProfileSelection): ResolvedProvider {
  const profile = PROFILES[selection.profile];
  const fail = (field: string, reason: string): never => {
    throw new ProfileError(selection.applicationId, field, reason);
  };
  if (profile === undefined) fail('profile', `unknown profile; use one of ${Object.keys(PROFILES).join(', ')}`);
  const values = parameterValues(profile, selection.profileParameters ?? {}, fail);
  values.clientId = encodeURIComponent(selection.clientId);
  const expand = (template: string): string =>
    template.replace(/\{([A-Za-z]+)\}/g, (_match, name: string) => values[name] ?? `{${name}}`);

  const quirks = profile.quirks;
  const scopes = [...(selection.scopes ?? profile.defaultScopes)];
  const requiredScopes = [...(selection.requiredScopes ?? profile.requiredScopes)];
  const issuer =
    selection.issuer === undefined
      ? profile.endpoints.issuer === undefined
        ? undefined
        : expand(profile.endpoints.issuer)
      : selection.issuer;
  const reuseGraceSeconds = selection.reuseGraceSeconds ?? quirks.reuseGraceSeconds;
  const refreshTokenIdleExpirySeconds = selection.refreshTokenIdleExpirySeconds ?? quirks.refreshTokenIdleExpirySeconds;
  const resource = selection.resource;
  return {
    profile: profile.id,
    authorizeUrl: selection.authorizeUrl ?? expand(profile.endpoints.authorizeUrl),
    tokenUrl: selection.tokenUrl ?? expand(profile.endpoints.tokenUrl),
    revocationUrl: selection.revocationUrl ?? expand(profile.endpoints.revocationUrl),
    ...(issuer === undefined || issuer === '' ? {} : { issuer }),
    scopes: [...new Set([...scopes, ...requiredScopes])],
    requiredScopes,
    tokenEndpointAuth: selection.tokenEndpointAuth ?? profile.tokenEndpointAuth,
    revocationBody: selection.revocationBody ?? profile.revocationBody,
    authorizationParameters: mergeParameters(profile.authorizationParameters, selection.authorizationParameters ?? {}),
    ...(resource === undefined ? {} : { resource: [...resource] }),
    scopeSeparator: selection.scopeSeparator ?? profile.scopeSeparator,
    errorCodes: { ...profile.errorCodes, ...selection.errorCodes },
    bearerTokenTypes: [...(selection.bearerTokenTypes ?? profile.bearerTokenTypes)],
    rotatesRefreshTokens: selection.rotatesRefreshTokens ?? quirks.rotatesRefreshTokens,
    ...(reuseGraceSeconds === undefined ? {} : { reuseGraceSeconds }),
    ...(refreshTokenIdleExpirySeconds === undefined ? {} : { refreshTokenIdleExpirySeconds }),
    refreshTokenOnFirstConsentOnly: selection.refreshTokenOnFirstConsentOnly ?? quirks.refreshTokenOnFirstConsentOnly,
    revokeReplacedRefreshTokens: selection.revokeReplacedRefreshTokens ?? quirks.grantPerAuthorization ?? false,
  };
}

/** The profile's parameters with the application's values (or the defaults), each checked for its kind. */
function parameterValues(
  profile: ProviderProfile,
  given: Readonly<Record<string, string>>,
  fail: (field: string, reason: string) => never,
): Record<string, string> {
  const names = Object.keys(profile.parameters);
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(profile.parameters, name)) {
      fail(
        `profileParameters.${name}`,
        names.length === 0
          ? `the ${profile.id} profile takes no parameters; remove it`
          : `the ${profile.id} profile takes no such parameter; it takes ${names.join(', ')}`,
      );
    }
  }
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(profile.parameters)) {
    const value = given[name] ?? parameter.default;
    if (value === undefined || value.trim() === '') {
      fail(`profileParameters.${name}`, `required by the ${profile.id} profile: ${parameter.description}`);
    } else {
      values[name] = checkedValue(value.trim(), parameter, (reason) =>
        fail(`profileParameters.${name}`, `${reason}: ${parameter.description}`),
      );
    }
  }
  return values;
}

const HOST =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?$/;
const PATH_SEGMENT = /^[A-Za-z0-9._~-]{1,128}$/;

/** A parameter value ready to put into a URL template (or a call of `invalid`). */
function checkedValue(value: string, parameter: ProfileParameter, invalid: (reason: string) => never): string {
  switch (parameter.kind) {
    case 'host':
      return HOST.test(value) && value.length <= 253
        ? value
        : invalid('must be a host name (with an optional :port), without scheme or path');
    case 'path_segment':
      return PATH_SEGMENT.test(value) && value !== '.' && value !== '..'
        ? value
        : invalid('must be one path segment of [A-Za-z0-9._~-]');
    case 'base_url': {
      if (!URL.canParse(value)) return invalid('must be a URL');
      const url = new URL(value);
      if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
        return invalid('must be a URL without query, fragment or credentials');
      }
      if (!isSecureOrLoopbackUrl(value)) return invalid(HTTPS_REQUIRED_MESSAGE);
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    }
  }
}

/** The profile's parameters with the application's merged over them; an empty value removes one. */
function mergeParameters(
  base: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...base, ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === '') delete merged[name];
  return merged;
}
