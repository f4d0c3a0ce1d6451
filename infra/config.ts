/**
 * Deployment configuration of infra/app.ts: a JSON file (`-c config=path/to/vault.json`), optionally with the
 * applications replaced from the command line (`-c applications='[...]'`). Without either, the example in
 * infra/config/example.json is used so that `cdk synth` works on a fresh clone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import {
  applicationConfigSchema,
  DEFAULT_APPLICATION_ID,
  ERROR_CODE_TARGETS,
  OTESSE_DEFAULTS,
  PROVIDER_BEHAVIOUR_FIELDS,
  providerBehaviourOf,
  REVOCATION_BODIES,
  SCOPE_SEPARATORS,
  TOKEN_AUTH_METHODS,
} from '@token-vault/cdk/lib/definitions/applications';
import {
  PROFILE_IDS,
  ProfileError,
  resolveProfile,
  type ResolvedProvider,
} from '@token-vault/cdk/lib/definitions/profiles';
import { TokenVaultConfigError } from '@token-vault/cdk';

/** Context keys read by the app. */
export const CONTEXT_KEYS = {
  /** Path of a JSON configuration file, relative to the working directory. */
  CONFIG: 'config',
  /** JSON array of applications; replaces the file's `applications`. */
  APPLICATIONS: 'applications',
} as const;

/** The example configuration used when no `config` context is given. */
export const EXAMPLE_CONFIG_PATH = path.join(__dirname, 'config', 'example.json');

/**
 * One application: the fields of the construct's `TokenVaultApplication` (infra/deployment.ts passes them through),
 * plus a provider profile (`profile`, `profileParameters`) and the provider fields a profile sets, which the
 * application may override. Profiles are resolved here, at synthesis: the functions get flat values.
 */
const applicationSchema = z
  .object({
    applicationId: z.string().optional(),
    /** A provider profile (packages/cdk/src/definitions/profiles): endpoints, scopes, parameters and quirks preset. */
    profile: z.enum(PROFILE_IDS).optional(),
    /** Values of the profile's endpoint template parameters, e.g. `{ "tenant": "contoso.onmicrosoft.com" }`. */
    profileParameters: z.record(z.string(), z.string()).optional(),
    authorizeUrl: z.string().optional(),
    tokenUrl: z.string().optional(),
    revocationUrl: z.string().optional(),
    issuer: z.string().optional(),
    clientId: z.string(),
    clientSecretArn: z.string().optional(),
    scopes: z.array(z.string()).optional(),
    requiredScopes: z.array(z.string()).optional(),
    tokenEndpointAuth: z.enum(TOKEN_AUTH_METHODS).optional(),
    revocationBody: z.enum(REVOCATION_BODIES).optional(),
    redirectUri: z.string().optional(),
    returnTo: z.array(z.string()).optional(),
    /** Session binding (README "Session binding"); default true. */
    sessionBinding: z.boolean().optional(),
    authorizationParameters: z.record(z.string(), z.string()).optional(),
    resource: z.array(z.string()).optional(),
    scopeSeparator: z.enum(SCOPE_SEPARATORS).optional(),
    errorCodes: z.record(z.string(), z.enum(ERROR_CODE_TARGETS)).optional(),
    bearerTokenTypes: z.array(z.string()).optional(),
    rotatesRefreshTokens: z.boolean().optional(),
    reuseGraceSeconds: z.number().optional(),
    refreshTokenIdleExpirySeconds: z.number().optional(),
    refreshTokenOnFirstConsentOnly: z.boolean().optional(),
  })
  .strict();

type ApplicationInput = z.output<typeof applicationSchema>;

/** One application after its profile is resolved: what infra/deployment.ts hands the construct. */
export type DeploymentApplication = Omit<ApplicationInput, 'profileParameters'> & Partial<ResolvedProvider>;

/** The file format (all fields but `applications` optional; unknown fields are errors, to catch typos). */
export const deploymentConfigSchema = z
  .object({
    /** Vault name (prefix of the function role names). */
    name: z.string().optional(),
    /** Prefix of the two stack names: `<prefix>-Data` and `<prefix>-Service`. */
    stackPrefix: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/)
      .default('TokenVault'),
    applications: z.array(applicationSchema).min(1),
    returnTo: z.array(z.string()).optional(),
    alarmEmail: z.string().optional(),
    refreshMarginSeconds: z.number().optional(),
    sweepLookaheadSeconds: z.number().optional(),
    sweepIntervalMinutes: z.number().optional(),
    refreshCooldownSeconds: z.number().optional(),
    defaultAccessTokenTtlSeconds: z.number().optional(),
    defaultRefreshTokenTtlSeconds: z.number().optional(),
    providerTimeoutMs: z.number().optional(),
    callbackThrottle: z.object({ rateLimit: z.number(), burstLimit: z.number() }).strict().optional(),
    logRetentionDays: z.number().optional(),
    tableEncryption: z.enum(['AWS_OWNED', 'AWS_MANAGED']).optional(),
    /** X-Ray active tracing of the functions (default on). */
    tracing: z.boolean().optional(),
    /** Termination protection of the data stack. */
    terminationProtection: z.boolean().default(true),
    /**
     * Also deploy the example caller Lambda (examples/otesse-caller), granted `grantFetch` and `grantRefresh`.
     * `apiBaseUrl` overrides the provider API it calls.
     */
    exampleCaller: z.object({ apiBaseUrl: z.string().url().optional() }).strict().optional(),
  })
  .strict();

/** The validated configuration, applications resolved (see {@link DeploymentApplication}). */
export type DeploymentConfig = Omit<z.output<typeof deploymentConfigSchema>, 'applications'> & {
  readonly applications: DeploymentApplication[];
};

/** Reads a context value given either as a string (command line) or as JSON (cdk.json). */
type ContextReader = (key: string) => unknown;

/** Loads and validates the configuration from CDK context (see {@link CONTEXT_KEYS}). */
export function loadDeploymentConfig(
  tryGetContext: ContextReader,
  cwd: string = process.cwd(),
): { config: DeploymentConfig; source: string } {
  const configPath = tryGetContext(CONTEXT_KEYS.CONFIG);
  if (configPath !== undefined && typeof configPath !== 'string') {
    throw new TokenVaultConfigError(`-c ${CONTEXT_KEYS.CONFIG}=PATH expects a file path.`);
  }
  const file = configPath !== undefined ? path.resolve(cwd, configPath) : EXAMPLE_CONFIG_PATH;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new TokenVaultConfigError(`Cannot read the configuration file ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const applications = tryGetContext(CONTEXT_KEYS.APPLICATIONS);
  if (applications !== undefined) {
    raw = {
      ...(raw as object),
      applications: typeof applications === 'string' ? parseJson(applications) : applications,
    };
  }
  const parsed = deploymentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new TokenVaultConfigError(`Invalid configuration (${file}):\n  ${problems.join('\n  ')}`);
  }
  const problems: string[] = [];
  const resolved = parsed.data.applications.map((app) => resolveApplication(app, problems));
  if (problems.length > 0)
    throw new TokenVaultConfigError(`Invalid configuration (${file}):\n  ${problems.join('\n  ')}`);
  return { config: { ...parsed.data, applications: resolved }, source: file };
}

/** Endpoints that receive the client secret, codes or tokens (or the user's login): never plain http when deployed. */
const PROVIDER_ENDPOINTS = ['authorizeUrl', 'tokenUrl', 'revocationUrl'] as const;

/**
 * Applies the application's profile, then checks what the construct can't: no `http:` endpoint (the functions'
 * schema accepts loopback http for the local stack; a deployment has no use for it) and the provider fields the
 * profile set. Problems are collected, one line each, naming the application and the field.
 */
function resolveApplication(app: ApplicationInput, problems: string[]): DeploymentApplication {
  const applicationId = app.applicationId ?? DEFAULT_APPLICATION_ID;
  const { profileParameters, ...rest } = app;
  let resolved: DeploymentApplication = rest;
  if (app.profile !== undefined) {
    try {
      resolved = {
        ...rest,
        ...resolveProfile({
          ...rest,
          applicationId,
          profile: app.profile,
          ...(profileParameters === undefined ? {} : { profileParameters }),
        }),
      };
    } catch (error) {
      if (!(error instanceof ProfileError)) throw error;
      problems.push(error.message);
      return rest;
    }
  } else if (profileParameters !== undefined) {
    problems.push(
      `applications[${applicationId}].profileParameters: only used with a profile; name one in "profile" (${PROFILE_IDS.join(', ')}) or remove it`,
    );
  }
  for (const field of PROVIDER_ENDPOINTS) {
    const value = resolved[field];
    if (value !== undefined && URL.canParse(value) && new URL(value).protocol === 'http:') {
      problems.push(
        `applications[${applicationId}].${field}: http: is not allowed in a deployment (the client secret and tokens would cross ` +
          "the network unencrypted); use the provider's https:// endpoint.",
      );
    }
  }
  problems.push(...behaviourProblems(applicationId, resolved));
  return resolved;
}

/**
 * The provider fields checked with the functions' own schema (endpoints, redirect URI and returnTo are checked by
 * the construct with the same schema, so only these are reported here).
 */
function behaviourProblems(applicationId: string, app: DeploymentApplication): string[] {
  const candidate = {
    applicationId,
    authorizeUrl: OTESSE_DEFAULTS.authorizeUrl,
    tokenUrl: OTESSE_DEFAULTS.tokenUrl,
    revocationUrl: OTESSE_DEFAULTS.revocationUrl,
    clientId: app.clientId,
    clientSecretId: 'stand-in',
    redirectUri: 'https://stand-in.example/oauth/callback',
    ...providerBehaviourOf(app),
  };
  const parsed = applicationConfigSchema.safeParse(candidate);
  if (parsed.success) return [];
  return parsed.error.issues
    .filter((issue) => (PROVIDER_BEHAVIOUR_FIELDS as readonly PropertyKey[]).includes(issue.path[0] ?? ''))
    .map((issue) => `applications[${applicationId}].${issue.path.join('.')}: ${issue.message}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TokenVaultConfigError(
      `-c ${CONTEXT_KEYS.APPLICATIONS}=... is not valid JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
}
