/**
 * The `default` application as registered at the built-in development provider (local/dev-provider.mjs): its
 * client, and the application configuration the functions get for it (plain, or shaped by a provider profile).
 */
import { randomBytes } from 'node:crypto';
import {
  applicationsSchema,
  DEFAULT_APPLICATION_ID,
  type ApplicationConfig,
  type ApplicationConfigInput,
  type ProviderBehaviourFields,
} from '@token-vault/cdk/src/definitions/applications';
import {
  PROFILES,
  resolveProfile,
  type ProfileId,
  type ProfileParameterKind,
  type ProviderOverrides,
} from '@token-vault/cdk/src/definitions/profiles';
import {
  DEV_CLIENT_ID,
  DEV_SCOPES,
  describeIssues,
  LocalConfigError,
  validated,
  type CommonSettings,
  type DevProviderEndpoints,
  type LocalApplication,
} from './config';
import type { DevProviderClient } from './dev-provider-process';
import { registeredApplication, type RegisteredClient } from './registered-application';

/** A fresh random client secret for the development provider's client (256 bits). */
export function newDevClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The client to register at the development provider for the `default` application. */
export function developmentClient(settings: CommonSettings, clientSecret: string): DevProviderClient {
  return {
    client_id: DEV_CLIENT_ID,
    client_secret: clientSecret,
    redirect_uris: [settings.redirectUri],
    token_endpoint_auth_method: settings.tokenEndpointAuth ?? 'client_secret_post',
  };
}

/** The client of an application registered at the development provider (see {@link devProviderApplication}). */
export interface DevProviderApplicationClient extends RegisteredClient {
  /**
   * Provider fields as a profile would set them (quirks, authorization parameters, error-code map), for tests that
   * make the development provider behave like a real one.
   * @default - none: the development provider's plain OAuth 2.0
   */
  readonly behaviour?: ProviderBehaviourFields;
}

/**
 * An application registered at the development provider: endpoints and issuer from the provider, `form`
 * revocation (oidc-provider speaks RFC 7009's form body, not the seed provider's JSON).
 */
export function devProviderApplication(
  provider: DevProviderEndpoints,
  client: DevProviderApplicationClient,
): ApplicationConfigInput {
  return { ...registeredApplication(DEFAULT_APPLICATION_ID, provider, client, DEV_SCOPES), ...client.behaviour };
}

/** Stand-ins for profile parameters: every templated endpoint is replaced by the development provider's. */
const PARAMETER_STAND_INS: Readonly<Record<ProfileParameterKind, string>> = {
  base_url: 'https://stand-in.example',
  host: 'stand-in.example',
  path_segment: 'stand-in',
};

/**
 * An application at the development provider configured by a provider profile: the profile's scopes, parameters,
 * error-code map and quirks, with the development provider's endpoints. The issuer is checked only when the
 * profile's provider sends `iss`; `json` revocation becomes `form` (the only body the development provider
 * speaks), `none` stays `none`.
 */
export function devProviderProfileApplication(
  provider: DevProviderEndpoints,
  profile: ProfileId,
  client: DevProviderApplicationClient & { readonly overrides?: ProviderOverrides },
): ApplicationConfigInput {
  const parameters = Object.fromEntries(
    Object.entries(PROFILES[profile].parameters).map(([name, p]) => [name, PARAMETER_STAND_INS[p.kind]]),
  );
  const resolvedProvider = resolveProfile({
    applicationId: DEFAULT_APPLICATION_ID,
    clientId: client.clientId,
    profile,
    profileParameters: parameters,
    ...(client.scopes === undefined ? {} : { scopes: client.scopes }),
    ...(client.tokenEndpointAuth === undefined ? {} : { tokenEndpointAuth: client.tokenEndpointAuth }),
    ...client.overrides,
    authorizeUrl: provider.authorizeUrl,
    tokenUrl: provider.tokenUrl,
    revocationUrl: provider.revocationUrl,
  });
  const { issuer, ...rest } = resolvedProvider;
  return {
    ...rest,
    ...(issuer === undefined ? {} : { issuer: provider.issuer }),
    revocationBody: rest.revocationBody === 'json' ? 'form' : rest.revocationBody,
    applicationId: DEFAULT_APPLICATION_ID,
    clientId: client.clientId,
    clientSecretId: client.clientSecretId,
    redirectUri: client.redirectUri,
    returnTo: [...client.returnTo],
    ...client.behaviour,
  };
}

/**
 * The `default` application at a running development provider: client `token-vault-local` (registered with
 * {@link developmentClient}), `read write` scopes, `client_secret_post`, RFC 7009 form revocation and the
 * provider's issuer (so the callback checks `iss`), with the overrides the environment allowed.
 */
export function developmentApplication(
  provider: DevProviderEndpoints,
  settings: CommonSettings,
  clientSecret: string,
): LocalApplication {
  const config = validated({
    applicationId: DEFAULT_APPLICATION_ID,
    authorizeUrl: provider.authorizeUrl,
    tokenUrl: provider.tokenUrl,
    revocationUrl: provider.revocationUrl,
    issuer: provider.issuer,
    clientId: DEV_CLIENT_ID,
    scopes: [...(settings.scopes ?? DEV_SCOPES)],
    tokenEndpointAuth: settings.tokenEndpointAuth ?? 'client_secret_post',
    revocationBody: 'form',
    redirectUri: settings.redirectUri,
    returnTo: [...settings.returnTo],
    ...(settings.authorizationParameters === undefined
      ? {}
      : { authorizationParameters: { ...settings.authorizationParameters } }),
    ...(settings.resource === undefined ? {} : { resource: [...settings.resource] }),
  });
  return { config, clientSecret };
}

/**
 * The value of the functions' `TOKEN_VAULT_APPLICATIONS` variable: the application with the id (ARN) of the
 * secret that holds its client secret.
 */
export function applicationsValue(application: LocalApplication, clientSecretId: string): ApplicationConfig[] {
  const parsed = applicationsSchema.safeParse([{ ...application.config, clientSecretId }]);
  if (!parsed.success) throw new LocalConfigError(describeIssues(parsed.error.issues));
  return parsed.data;
}
