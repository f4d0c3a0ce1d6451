/**
 * Configuration of the local stack's `default` application from the `OAUTH_*` environment variables
 * (docs/contract.md "Local stack"), validated with the same schema the functions use. Without provider variables the
 * stack runs the built-in development provider, and ./dev-application describes the application registered there.
 * `OAUTH_PROFILE` names a provider profile (packages/cdk/src/definitions/profiles), resolved here as infra/config.ts
 * does at synthesis, so the functions get the same flat configuration in both places.
 */
import {
  applicationsSchema,
  DEFAULT_APPLICATION_ID,
  REVOCATION_BODIES,
  TOKEN_AUTH_METHODS,
  type ApplicationConfig,
  type RevocationBody,
  type TokenAuthMethod,
} from '@token-vault/cdk/src/definitions/applications';
import { PROFILE_IDS, ProfileError, resolveProfile } from '@token-vault/cdk/src/definitions/profiles';
import { HTTP_ROUTES } from '@token-vault/cdk/src/definitions/functions';

/** The environment variables read here. */
export const OAUTH_ENV = {
  AUTHORIZE_URL: 'OAUTH_AUTHORIZE_URL',
  TOKEN_URL: 'OAUTH_TOKEN_URL',
  REVOCATION_URL: 'OAUTH_REVOCATION_URL',
  ISSUER: 'OAUTH_ISSUER',
  CLIENT_ID: 'OAUTH_CLIENT_ID',
  CLIENT_SECRET: 'OAUTH_CLIENT_SECRET',
  /** Space-separated. */
  SCOPES: 'OAUTH_SCOPES',
  /** `client_secret_post` (default) or `client_secret_basic`. */
  TOKEN_AUTH: 'OAUTH_TOKEN_AUTH',
  /** `json` (default for an external provider) or `form`. */
  REVOCATION_BODY: 'OAUTH_REVOCATION_BODY',
  /** Comma-separated `returnTo` allow-list. */
  RETURN_TO: 'OAUTH_RETURN_TO',
  /** Default `http://127.0.0.1:$PORT/oauth/callback`; sent to the provider exactly as given. */
  REDIRECT_URI: 'OAUTH_REDIRECT_URI',
  /** A provider profile id (`google`, `keycloak`, ...); its endpoints make the three URL variables optional. */
  PROFILE: 'OAUTH_PROFILE',
  /** The profile's template parameters, comma-separated `name=value` pairs (`baseUrl=https://sso.example.com,realm=acme`). */
  PROFILE_PARAMETERS: 'OAUTH_PROFILE_PARAMETERS',
  /** Extra authorization request parameters, comma-separated `name=value` pairs (`prompt=consent,audience=api`). */
  AUTHORIZATION_PARAMETERS: 'OAUTH_AUTHORIZATION_PARAMETERS',
  /** RFC 8707 resource indicators, comma-separated. */
  RESOURCE: 'OAUTH_RESOURCE',
} as const;

type OAuthEnvName = (typeof OAUTH_ENV)[keyof typeof OAUTH_ENV];

/**
 * Variables that name a provider. Any of them set means "use that provider", and then every one in
 * {@link REQUIRED_FOR_EXTERNAL} must be set too.
 */
const PROVIDER_VARIABLES: readonly OAuthEnvName[] = [
  OAUTH_ENV.AUTHORIZE_URL,
  OAUTH_ENV.TOKEN_URL,
  OAUTH_ENV.REVOCATION_URL,
  OAUTH_ENV.ISSUER,
  OAUTH_ENV.CLIENT_ID,
  OAUTH_ENV.CLIENT_SECRET,
  OAUTH_ENV.PROFILE,
  OAUTH_ENV.PROFILE_PARAMETERS,
];

const REQUIRED_FOR_EXTERNAL: readonly OAuthEnvName[] = [
  OAUTH_ENV.AUTHORIZE_URL,
  OAUTH_ENV.TOKEN_URL,
  OAUTH_ENV.REVOCATION_URL,
  OAUTH_ENV.CLIENT_ID,
  OAUTH_ENV.CLIENT_SECRET,
];

/** With a profile, the endpoints come from it. */
const REQUIRED_WITH_PROFILE: readonly OAuthEnvName[] = [OAUTH_ENV.CLIENT_ID, OAUTH_ENV.CLIENT_SECRET];

/** Client id of the `default` application at the built-in development provider. */
export const DEV_CLIENT_ID = 'token-vault-local';
/** Scopes the `default` application asks the development provider for, unless `OAUTH_SCOPES` says otherwise. */
export const DEV_SCOPES: readonly string[] = ['read', 'write'];
/** Path of the local "connected" page, the default `returnTo` target. */
export const CONNECTED_PATH = '/connected';

/** Thrown for an unusable `OAUTH_*` configuration; the message names the variable and never quotes a secret. */
export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
}

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

/** Resolves a profile; its errors name the variable that feeds the field. */
function resolved(selection: Parameters<typeof resolveProfile>[0]): ReturnType<typeof resolveProfile> {
  try {
    return resolveProfile(selection);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    const [field = '', name] = error.field.split('.');
    const variable =
      field === 'profileParameters' ? `${OAUTH_ENV.PROFILE_PARAMETERS} (${name})` : (FIELD_VARIABLE[field] ?? field);
    throw new LocalConfigError(`invalid provider configuration: ${variable}: ${error.reason}`);
  }
}

// ---------------------------------------------------------------------------------------------- helpers

/** Which variable feeds each field (for error messages). */
const FIELD_VARIABLE: Readonly<Record<string, string>> = {
  authorizeUrl: OAUTH_ENV.AUTHORIZE_URL,
  tokenUrl: OAUTH_ENV.TOKEN_URL,
  revocationUrl: OAUTH_ENV.REVOCATION_URL,
  issuer: OAUTH_ENV.ISSUER,
  clientId: OAUTH_ENV.CLIENT_ID,
  scopes: OAUTH_ENV.SCOPES,
  tokenEndpointAuth: OAUTH_ENV.TOKEN_AUTH,
  revocationBody: OAUTH_ENV.REVOCATION_BODY,
  redirectUri: `${OAUTH_ENV.REDIRECT_URI} (or PORT)`,
  returnTo: OAUTH_ENV.RETURN_TO,
  profile: OAUTH_ENV.PROFILE,
  authorizationParameters: OAUTH_ENV.AUTHORIZATION_PARAMETERS,
  resource: OAUTH_ENV.RESOURCE,
};

/** Validates one application (with a placeholder secret id; the real ARN exists only after provisioning). */
export function validated(input: Record<string, unknown>): Omit<ApplicationConfig, 'clientSecretId'> {
  const parsed = applicationsSchema.safeParse([{ ...input, clientSecretId: 'pending' }]);
  if (!parsed.success) throw new LocalConfigError(describeIssues(parsed.error.issues));
  const [app] = parsed.data;
  if (!app) throw new LocalConfigError('no application');
  const { clientSecretId: _placeholder, ...config } = app;
  return config;
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** One line per problem, naming the variable (values are not quoted: they may be long or sensitive). */
export function describeIssues(issues: readonly Issue[]): string {
  const lines = issues.map((issue) => {
    // path is [index in the array, field, ...entry index]
    const field = typeof issue.path[1] === 'string' ? issue.path[1] : undefined;
    const variable = (field && FIELD_VARIABLE[field]) ?? field ?? 'configuration';
    const entry = typeof issue.path[2] === 'number' ? ` (entry ${issue.path[2] + 1})` : '';
    return `${variable}${entry}: ${issue.message}`;
  });
  return `invalid provider configuration: ${lines.join('; ')}`;
}

/**
 * Every URL must parse and be http(s). Checked before the schema so that the message names the variable (and
 * because the schema's http(s) refinement assumes a parsable URL).
 */
function checkUrls(entries: ReadonlyArray<readonly [string, string | undefined]>): void {
  const bad = entries
    .filter(([, value]) => value !== undefined && !isHttpUrl(value))
    .map(([name]) => `${name}: must be an http(s) URL`);
  if (bad.length > 0) throw new LocalConfigError(`invalid provider configuration: ${bad.join('; ')}`);
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  return /^https?:$/.test(new URL(value).protocol);
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new LocalConfigError(`${name} must be one of ${allowed.join(', ')}`);
}

/** `name=value` pairs, comma-separated; undefined when the variable is unset. */
function pairs(name: string, value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of splitList(value, ',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LocalConfigError(`${name} must be comma-separated name=value pairs`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The object without its undefined properties (so they don't replace a profile's values). */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function splitList(value: string, separator: string | RegExp): string[] {
  return value
    .split(separator)
    .map((part) => part.trim())
    .filter(Boolean);
}
