/**
 * Configuration of the local stack's `default` application from the `OAUTH_*` environment variables
 * (docs/contract.md "Local stack"), validated with the same schema the functions use. Without provider variables the
 * stack runs the built-in development provider, and ./dev-application describes the application registered there.
 * `OAUTH_PROFILE` names a provider profile (packages/cdk/src/definitions/profiles), resolved here as infra/config.ts
 * does at synthesis, so the functions get the same flat configuration in both places.
 */
import {
  DEFAULT_APPLICATION_ID,
  REVOCATION_BODIES,
  TOKEN_AUTH_METHODS,
  type ApplicationConfig,
  type RevocationBody,
  type TokenAuthMethod,
} from '@token-vault/cdk/src/definitions/applications';
import { PROFILE_IDS } from '@token-vault/cdk/src/definitions/profiles';
import { HTTP_ROUTES } from '@token-vault/cdk/src/definitions/functions';
import { checkUrls, definedOnly, oneOf, pairs, resolved, splitList, validated } from './config/validate';
import {
  LocalConfigError,
  OAUTH_ENV,
  PROVIDER_VARIABLES,
  REQUIRED_FOR_EXTERNAL,
  REQUIRED_WITH_PROFILE,
  type OAuthEnvName,
} from './config/variables';

export { describeIssues, validated } from './config/validate';
export { LocalConfigError, OAUTH_ENV } from './config/variables';

/** Client id of the `default` application at the built-in development provider. */
export const DEV_CLIENT_ID = 'token-vault-local';
/** Scopes the `default` application asks the development provider for, unless `OAUTH_SCOPES` says otherwise. */
export const DEV_SCOPES: readonly string[] = ['read', 'write'];
/** Path of the local "connected" page, the default `returnTo` target. */
export const CONNECTED_PATH = '/connected';

/** The `default` application without its secret id, plus the client secret that goes into Secrets Manager. */
export interface LocalApplication {
  readonly config: Omit<ApplicationConfig, 'clientSecretId'>;
  /** Stored in the emulator's Secrets Manager; never placed in the functions' environment. */
  readonly clientSecret: string;
}

/** Settings that apply whichever provider is used, resolved from the environment and the port. */
export interface CommonSettings {
  readonly redirectUri: string;
  readonly returnTo: readonly string[];
  /** Undefined when `OAUTH_SCOPES` is unset (each mode has its own default). */
  readonly scopes: readonly string[] | undefined;
  readonly tokenEndpointAuth: TokenAuthMethod | undefined;
  readonly revocationBody: RevocationBody | undefined;
  /** From `OAUTH_AUTHORIZATION_PARAMETERS`; undefined when unset. */
  readonly authorizationParameters?: Readonly<Record<string, string>> | undefined;
  /** From `OAUTH_RESOURCE`; undefined when unset. */
  readonly resource?: readonly string[] | undefined;
}

/** What the environment asks for. */
export type ProviderChoice =
  /** A provider named by `OAUTH_*`: the application is complete and validated. */
  | { readonly kind: 'external'; readonly application: LocalApplication }
  /** No provider variables: start the development provider, then call {@link developmentApplication}. */
  | { readonly kind: 'development'; readonly settings: CommonSettings };

/** Endpoints of a running development provider (a subset of `DevProvider` from dev-provider-process.ts). */
export interface DevProviderEndpoints {
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
}

/** Base URL of the local server on a port. */
export function localBaseUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * Reads the `OAUTH_*` variables. Empty values count as unset.
 *
 * @param env - where to read them (usually `process.env`)
 * @param port - the port the local server actually listens on (for the default redirect URI and returnTo)
 * @throws LocalConfigError when some provider variables are set but not all required ones, or a value is invalid
 */
export function readProviderChoice(env: NodeJS.ProcessEnv, port: number): ProviderChoice {
  const get = (name: OAuthEnvName): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const base = localBaseUrl(port);
  const tokenEndpointAuth = oneOf(OAUTH_ENV.TOKEN_AUTH, get(OAUTH_ENV.TOKEN_AUTH), TOKEN_AUTH_METHODS);
  const revocationBody = oneOf(OAUTH_ENV.REVOCATION_BODY, get(OAUTH_ENV.REVOCATION_BODY), REVOCATION_BODIES);
  const profile = oneOf(OAUTH_ENV.PROFILE, get(OAUTH_ENV.PROFILE), PROFILE_IDS);
  const profileParameters = pairs(OAUTH_ENV.PROFILE_PARAMETERS, get(OAUTH_ENV.PROFILE_PARAMETERS));
  const authorizationParameters = pairs(OAUTH_ENV.AUTHORIZATION_PARAMETERS, get(OAUTH_ENV.AUTHORIZATION_PARAMETERS));
  const resourceRaw = get(OAUTH_ENV.RESOURCE);
  const scopesRaw = get(OAUTH_ENV.SCOPES);
  const returnToRaw = get(OAUTH_ENV.RETURN_TO);
  const settings: CommonSettings = {
    redirectUri: get(OAUTH_ENV.REDIRECT_URI) ?? `${base}${HTTP_ROUTES.CALLBACK}`,
    returnTo: returnToRaw ? splitList(returnToRaw, ',') : [`${base}${CONNECTED_PATH}`],
    scopes: scopesRaw ? splitList(scopesRaw, /\s+/) : undefined,
    tokenEndpointAuth,
    revocationBody,
    ...(authorizationParameters === undefined ? {} : { authorizationParameters }),
    ...(resourceRaw === undefined ? {} : { resource: splitList(resourceRaw, ',') }),
  };

  checkUrls([
    [`${OAUTH_ENV.REDIRECT_URI} (or PORT)`, settings.redirectUri],
    ...settings.returnTo.map((url, i): [string, string] => [`${OAUTH_ENV.RETURN_TO} (entry ${i + 1})`, url]),
  ]);

  if (!PROVIDER_VARIABLES.some((name) => get(name) !== undefined)) {
    if (revocationBody === 'json') {
      throw new LocalConfigError(
        `${OAUTH_ENV.REVOCATION_BODY}=json does not work with the built-in development provider (it speaks RFC 7009 form); ` +
          `unset it, or set ${REQUIRED_FOR_EXTERNAL.join(', ')} to use another provider`,
      );
    }
    return { kind: 'development', settings };
  }

  const required = profile === undefined ? REQUIRED_FOR_EXTERNAL : REQUIRED_WITH_PROFILE;
  const missing = required.filter((name) => get(name) === undefined);
  if (missing.length > 0) {
    const set = PROVIDER_VARIABLES.filter((name) => get(name) !== undefined);
    throw new LocalConfigError(
      profile === undefined
        ? `incomplete provider configuration: ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set, but ` +
            `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. Set all of ` +
            `${REQUIRED_FOR_EXTERNAL.join(', ')} (and optionally ${OAUTH_ENV.ISSUER}), or none of them to use the ` +
            `built-in development provider`
        : `incomplete provider configuration: ${OAUTH_ENV.PROFILE}=${profile} also needs ${missing.join(', ')} ` +
            `(the endpoints come from the profile)`,
    );
  }
  if (profile === undefined && profileParameters !== undefined) {
    throw new LocalConfigError(
      `${OAUTH_ENV.PROFILE_PARAMETERS} is only used with ${OAUTH_ENV.PROFILE}; set one of ${PROFILE_IDS.join(', ')} or unset it`,
    );
  }

  checkUrls([
    [OAUTH_ENV.AUTHORIZE_URL, get(OAUTH_ENV.AUTHORIZE_URL)],
    [OAUTH_ENV.TOKEN_URL, get(OAUTH_ENV.TOKEN_URL)],
    [OAUTH_ENV.REVOCATION_URL, get(OAUTH_ENV.REVOCATION_URL)],
  ]);
  const clientId = get(OAUTH_ENV.CLIENT_ID) ?? '';
  const given = {
    authorizeUrl: get(OAUTH_ENV.AUTHORIZE_URL),
    tokenUrl: get(OAUTH_ENV.TOKEN_URL),
    revocationUrl: get(OAUTH_ENV.REVOCATION_URL),
    issuer: get(OAUTH_ENV.ISSUER),
    scopes: settings.scopes ? [...settings.scopes] : undefined,
    tokenEndpointAuth: settings.tokenEndpointAuth,
    revocationBody: settings.revocationBody,
    authorizationParameters: settings.authorizationParameters,
    resource: settings.resource ? [...settings.resource] : undefined,
  };
  const provider =
    profile === undefined
      ? { ...given, scopes: given.scopes ?? [] }
      : resolved({
          applicationId: DEFAULT_APPLICATION_ID,
          clientId,
          profile,
          ...definedOnly(given),
          ...(profileParameters === undefined ? {} : { profileParameters }),
        });
  const config = validated({
    ...definedOnly(provider),
    applicationId: DEFAULT_APPLICATION_ID,
    clientId,
    redirectUri: settings.redirectUri,
    returnTo: [...settings.returnTo],
  });
  // `get` is non-undefined here: checked by `missing` above.
  return { kind: 'external', application: { config, clientSecret: get(OAUTH_ENV.CLIENT_SECRET) ?? '' } };
}
